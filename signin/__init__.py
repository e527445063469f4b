"""手机签到: the phone sign-in server a station runs on its own network (``server``), and its commands (``cli``).

An adapter beside ``sync``: it uses the domain core (``app``) and nothing above it; the desktop (``ui``) starts it
from an activity. No Qt and no HTTP library here: the server is the standard library's, so the village bundle
needs nothing more (tests/test_layers.py, the import-linter contracts in pyproject.toml)."""
