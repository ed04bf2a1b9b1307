"""The storage kernel: every storage promise written once above a narrow backend protocol.

An adapter implements :class:`~servicecore.storage.backend.Backend` (reads of committed state,
atomic batches of writes) and becomes a storage with
``KernelStorage(backend, publisher=...)``; the kernel does the staging, copies, version checks,
slot claims, the audit chain and the outbox hand-over.
"""

from servicecore.storage.backend import Backend, Transaction
from servicecore.storage.kernel import KernelStorage, KernelUnitOfWork, check_tenant

__all__ = ["Backend", "KernelStorage", "KernelUnitOfWork", "Transaction", "check_tenant"]
