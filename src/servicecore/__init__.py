"""servicecore: the after-sales service engine that ERPs, helpdesks and notebooks import."""

from __future__ import annotations

__version__ = "0.1.0"
