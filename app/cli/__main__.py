"""``python -m app.cli``: the ``station`` command."""

import sys

from . import main

sys.exit(main())
