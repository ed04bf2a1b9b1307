"""Rebuilding entities from the adapter's own rows.

Placeholder-free first version: the validating converter of :mod:`servicecore.serialization`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from servicecore.serialization import structure

__all__ = ["loader_for"]


@cache
def loader_for(cls: type) -> Callable[[Mapping[str, Any]], Any]:
    """Return the function that builds a ``cls`` from its stored data."""

    def load(data: Mapping[str, Any]) -> Any:
        return structure(data, cls)

    return load
