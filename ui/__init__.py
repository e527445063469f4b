"""The desktop app (PySide6). Imports ``app`` (and later ``sync.client``); nothing imports it back."""
