"""Clocks and id generators: the everyday implementations of the Clock and IdGenerator ports."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from servicecore.errors import ValidationError

__all__ = ["FixedClock", "SystemClock", "UuidIdGenerator"]


class SystemClock:
    """The real time, in UTC (a :class:`~servicecore.ports.Clock`)."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests, demos and replaying history.

    Args:
        at: The time it shows.

    Raises:
        ValidationError: ``at`` is naive.
    """

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValidationError.single("at", at, "must be timezone-aware")
        self._at = at
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the time the clock shows."""
        return self._at

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward by ``by`` and return the new time.

        Raises:
            ValidationError: ``by`` is negative (time does not go back).
        """
        if by < timedelta(0):
            raise ValidationError.single("by", by, "must not be negative")
        with self._lock:
            self._at += by
            return self._at


class UuidIdGenerator:
    """Random ids with a readable prefix per kind, e.g. ``ServiceRequest-3f2a...``."""

    def new_id(self, kind: str) -> str:
        """Return a new id for a record of ``kind`` (a 32-hex-digit UUID4 after the kind)."""
        return f"{kind}-{uuid.uuid4().hex}"
