"""The login every demo ledger is made with (made-up data). A module of its own, importing nothing: the login
box reads it before the store and its heavy imports are loaded (tests/test_startup.py)."""

DEMO_ADMIN, DEMO_PASSWORD = "admin", "demo123"
