"""Use cases. Every person-facing action (GUI, CLI, importer, district server) goes through here."""

from .errors import FieldErrors, NotFound, PermissionDenied, ServiceError, ValidationError

__all__ = ["Actor", "Context", "FieldErrors", "NotFound", "PermissionDenied", "SYSTEM_ACTOR", "ServiceError", "ValidationError"]


def __getattr__(name: str):
    # The context needs the store and the models (SQLAlchemy): loaded on first use, so that the desktop's
    # login window and the error types come up without them (#13).
    if name in ("Actor", "Context", "SYSTEM_ACTOR"):
        from . import context

        return getattr(context, name)
    raise AttributeError(name)
