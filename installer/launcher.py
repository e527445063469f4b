"""Entry script of the frozen program: the same ``station`` command as the installed one."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
