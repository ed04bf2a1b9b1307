"""The servicecore error hierarchy.

Every error servicecore raises on purpose derives from :class:`ServicecoreError`. Where a builtin
fits, a subclass also derives from it (``NotFound`` is a ``LookupError``, ``ValidationError`` a
``ValueError``), so hosts that already catch builtins keep working. Driver errors are translated at
the adapter boundary and chained with ``from``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "AuditChainError",
    "ClosurePolicyError",
    "ConcurrencyError",
    "DoubleBooking",
    "DuplicateId",
    "FieldError",
    "InvalidTransition",
    "MissingExtraError",
    "NotFound",
    "PermissionDenied",
    "SchemaVersionError",
    "ServicecoreError",
    "StorageError",
    "TransitionRefused",
    "ValidationError",
]


class ServicecoreError(Exception):
    """Root of every error servicecore raises on purpose."""


_REPR = reprlib.Repr()
_REPR.maxlevel = 6
_REPR.maxstring = 200
_REPR.maxother = 400
_REPR.maxlong = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdict = 20


def _shown(value: object) -> str:
    """Return ``repr(value)`` cut to a readable size.

    Hostile input can be huge, or nested too deeply for ``repr``: a ``RecursionError`` while
    reporting the error would hide it.
    """
    try:
        return _REPR.repr(value)
    except RecursionError:
        return f"<{type(value).__name__} nested too deeply to show>"


@attrs.frozen
class FieldError:
    """One bad field: where it is, what it held and what is wrong with it.

    Attributes:
        path: Dotted path of the field, with ``[i]`` for sequence items, e.g. ``parts[2].quantity``.
        value: The offending value, as given (its text form is shortened when it is huge or
            deeply nested).
        message: What is wrong, in words a developer can act on.
    """

    path: str
    value: object
    message: str

    def __str__(self) -> str:
        return f"{self.path}={_shown(self.value)}: {self.message}"

    def prefixed(self, prefix: str) -> FieldError:
        """Return this error with ``prefix`` put in front of its path."""
        if not prefix:
            return self
        sep = "" if self.path.startswith("[") or not self.path else "."
        return FieldError(f"{prefix}{sep}{self.path}", self.value, self.message)


class ValidationError(ServicecoreError, ValueError):
    """Input that breaks a rule of the model; lists every bad field with its path and value.

    Attributes:
        errors: The bad fields, in the order they were found (never empty).
    """

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("ValidationError needs at least one FieldError")
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @classmethod
    def single(cls, path: str, value: object, message: str) -> ValidationError:
        """Build the error for one bad field."""
        return cls([FieldError(path, value, message)])

    @classmethod
    def merge(cls, groups: Iterable[ValidationError], prefix: str = "") -> ValidationError:
        """Merge several validation errors into one, optionally under a common path prefix."""
        return cls([e.prefixed(prefix) for g in groups for e in g.errors])

    def __reduce__(self) -> tuple[type[ValidationError], tuple[tuple[FieldError, ...]]]:
        return (type(self), (self.errors,))


class NotFound(ServicecoreError, LookupError):
    """A record that was asked for by id does not exist (for this tenant).

    Attributes:
        kind: The kind of record, e.g. ``"ServiceRequest"``.
        id: The id that was asked for.
    """

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"{kind} {id!r} not found")

    def __reduce__(self) -> tuple[type[NotFound], tuple[str, str]]:
        return (type(self), (self.kind, self.id))


class InvalidTransition(ServicecoreError):
    """A trigger that the entity's lifecycle does not allow from its current state.

    Attributes:
        entity: ``"<Kind> <id>"`` of the entity.
        state: Its current state.
        trigger: The trigger that was refused.
        allowed: The triggers that are allowed from ``state``, sorted.
    """

    def __init__(self, entity: str, state: str, trigger: str, allowed: Sequence[str]) -> None:
        self.entity = entity
        self.state = state
        self.trigger = trigger
        self.allowed = tuple(allowed)
        shown = ", ".join(self.allowed) if self.allowed else "none (final state)"
        super().__init__(
            f"{entity} is {state!r}: trigger {trigger!r} is not allowed; allowed: {shown}"
        )

    def __reduce__(self) -> tuple[type[InvalidTransition], tuple[str, str, str, tuple[str, ...]]]:
        return (type(self), (self.entity, self.state, self.trigger, self.allowed))


class TransitionRefused(ServicecoreError):
    """A trigger allowed from the current state whose guard refused it; nothing changed.

    Attributes:
        entity: ``"<Kind> <id>"`` of the entity.
        state: Its current state.
        trigger: The trigger that was refused.
        guard: The name of the guard that refused.
        reason: Why the guard refused, in words.
    """

    def __init__(self, entity: str, state: str, trigger: str, guard: str, reason: str) -> None:
        self.entity = entity
        self.state = state
        self.trigger = trigger
        self.guard = guard
        self.reason = reason
        super().__init__(f"{entity} is {state!r}: {trigger!r} refused by {guard}: {reason}")

    def __reduce__(self) -> tuple[type[TransitionRefused], tuple[str, str, str, str, str]]:
        return (type(self), (self.entity, self.state, self.trigger, self.guard, self.reason))


class ClosurePolicyError(TransitionRefused):
    """A request may not close yet: its closure policy does not hold (fields, evidence)."""


class PermissionDenied(ServicecoreError, PermissionError):
    """The actor lacks the role (or relation, e.g. assigned technician) a command needs."""


class AuditChainError(ServicecoreError):
    """An audit trail failed verification: an entry was edited, removed, inserted or reordered."""


class ConcurrencyError(ServicecoreError):
    """An update was based on a stale version: someone else committed first. Reload and retry."""


class DoubleBooking(ServicecoreError):
    """A technician's time would be held twice: two bookings or dispatch orders overlap."""


class DuplicateId(ServicecoreError):
    """A record with this id already exists (for this tenant)."""


class SchemaVersionError(ServicecoreError):
    """The database schema is behind or ahead of this servicecore; names both versions."""


class MissingExtraError(ServicecoreError, ImportError):
    """A feature needs an optional extra that is not installed; the message says how to get it.

    One class for every optional feature (SQL storage, plots, pandas exports, QR images, the
    message-broker relay), so a host catches one thing. It is also an ``ImportError``, so code
    that already guards optional imports keeps working.

    Args:
        feature: What needs the extra, e.g. ``"the demo"``. When ``extra`` is omitted this is
            taken as the whole message (the form older code used).
        extra: The extra to install, e.g. ``"sql"``.
        package: The missing package, e.g. ``"sqlalchemy"``, when known.

    Attributes:
        feature: What needs the extra.
        extra: The extra to install (``None`` for the older message-only form).
        package: The missing package, when known.
        command: The ``pip install`` command that fixes it (empty for the message-only form).
    """

    def __init__(self, feature: str, extra: str | None = None, package: str | None = None) -> None:
        self.feature = feature
        self.extra = extra
        self.package = package
        self.command = f'pip install "servicecore[{extra}]"' if extra else ""
        if extra is None:
            message = feature
        else:
            needs = f"the {extra} extra" + (f" ({package})" if package else "")
            message = f"{feature} needs {needs}: {self.command}"
        super().__init__(message, name=package)

    def __reduce__(
        self,
    ) -> tuple[type[MissingExtraError], tuple[str, str | None, str | None]]:
        return (type(self), (self.feature, self.extra, self.package))


class StorageError(ServicecoreError):
    """The storage backend failed, not because of the caller's input (driver error, I/O)."""
