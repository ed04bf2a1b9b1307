"""Implementations of the ports: storage (memory, SQLAlchemy), clocks and id generators."""

from __future__ import annotations

from servicecore.basics import FixedClock, SystemClock, UuidIdGenerator
from servicecore.adapters.memory import MemoryStorage

__all__ = ["FixedClock", "MemoryStorage", "SystemClock", "UuidIdGenerator"]
