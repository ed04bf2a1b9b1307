"""The helper that returns a storage's reporting backend.

Every storage built on the kernel has :meth:`~servicecore.storage.kernel.KernelStorage.reporting`;
this helper also serves a host's storage written without the kernel.
"""

from __future__ import annotations

from servicecore.errors import ValidationError
from servicecore.ports import Storage
from servicecore.reports.port import ReportingBackend
from servicecore.reports.python import PythonReporting

__all__ = ["reporting_for"]


def reporting_for(storage: Storage) -> ReportingBackend:
    """Return ``storage.reporting()``, or reports counted in Python over its records.

    Raises:
        ValidationError: ``storage`` is not a storage (it has no ``unit_of_work``; named
            ``storage``).
    """
    own = getattr(storage, "reporting", None)
    if callable(own):
        found: ReportingBackend = own()
        return found
    if not callable(getattr(storage, "unit_of_work", None)):
        raise ValidationError.single("storage", type(storage).__name__, "is not a storage")
    return PythonReporting(storage)
