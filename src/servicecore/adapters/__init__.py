"""Implementations of the ports: storage (memory, SQLAlchemy), clocks and id generators."""

from __future__ import annotations

from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock, SystemClock, UuidIdGenerator

__all__ = ["FixedClock", "MemoryStorage", "SystemClock", "UuidIdGenerator"]
