"""Use cases. Every person-facing action (GUI, CLI, importer, district server) goes through here."""

from .context import Actor, Context, SYSTEM_ACTOR
from .errors import FieldErrors, NotFound, PermissionDenied, ServiceError, ValidationError

__all__ = ["Actor", "Context", "FieldErrors", "NotFound", "PermissionDenied", "SYSTEM_ACTOR", "ServiceError", "ValidationError"]
