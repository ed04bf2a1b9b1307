"""The times of the report tests' hand-built data (as in the reporting contract)."""

from datetime import timedelta

from servicecore.testing.reporting import AS_OF, NOW

__all__ = ["AS_OF", "NOW", "D", "H"]

H = timedelta(hours=1)
D = timedelta(days=1)
