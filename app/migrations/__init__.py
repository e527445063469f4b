"""Alembic migrations of the station store.

``HEAD_REVISION`` lets the app see that a DB is current without importing
Alembic (which costs half a second at start); tests/test_db.py checks it
against the scripts. Update it with every new revision.
"""

HEAD_REVISION = "0011"
