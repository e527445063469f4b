"""One error type for everything a person can get wrong, with Chinese messages per field."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose; ``str()`` is for a person."""


class ValidationError(ServiceError):
    """Bad input. ``errors`` maps a field name to a Chinese message that names the field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(self.errors.values()))


class NotFound(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class FieldErrors:
    """Collects every problem of a form before raising, so the person sees them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
