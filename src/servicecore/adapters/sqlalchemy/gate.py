"""Prompt turns at a SQLite database's write lock for servicecore's writers in every process.

SQLite lets one transaction write at a time. A writer that finds the write lock taken sleeps and
looks again, with growing back-off (1, 2, 5 ... up to 100 ms between looks), so with several
processes writing the lock often lies free while every writer waiting for it sleeps. Measured
with ``benchmarks/load.py`` (eight and sixteen processes running a desk's mix of commands on
one file), servicecore's writers then spent nine tenths of their time asleep.

So before ``BEGIN IMMEDIATE`` each of servicecore's write transactions takes an advisory lock
on a file beside the database (``<database>-writer``), asking again every millisecond until the
busy timeout has passed, and lets it go after its ``COMMIT`` or ``ROLLBACK``: a waiting writer
starts at most about a millisecond after the one before it finished. Writers that do not take
the gate (other programs, a host's own transactions) are still waited for by SQLite's busy
timeout, as before. Where advisory file locks do not exist (Windows) or the file cannot be
opened, writers go straight to SQLite's own waiting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy import engine as sqlite_settings
from servicecore.errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no advisory file locks of this kind
    fcntl = None  # type: ignore[assignment]

__all__ = ["POLL_SECONDS", "WriterGate", "turn", "writer_gate"]

POLL_SECONDS = 0.001
"""How often a writer waiting for the gate asks again."""


class WriterGate:
    """The advisory lock that queues servicecore's writers of one SQLite file.

    Args:
        path: The lock file (created if missing; it holds nothing).
    """

    def __init__(self, path: str) -> None:
        self.path = path

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the gate for the block (one write transaction).

        Each turn opens the file anew, so that threads of one process queue too (a lock belongs
        to an open file). A file that cannot be opened leaves the block to SQLite's own waiting.

        Raises:
            StorageError: Another writer held the gate for longer than the busy timeout
                (``database is locked``); the block did not run.
        """
        assert fcntl is not None  # writer_gate() gives no gate without it
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            yield
            return
        try:
            self._wait(fd)
            yield
        finally:
            os.close(fd)  # lets the gate go

    def _wait(self, fd: int) -> None:
        assert fcntl is not None
        timeout = sqlite_settings.BUSY_TIMEOUT_SECONDS
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StorageError(
                        f"database is locked: another writer held {self.path} for more than "
                        f"{timeout:g} s"
                    ) from None
                time.sleep(POLL_SECONDS)


def writer_gate(engine: sa.Engine) -> WriterGate | None:
    """Return the gate of ``engine``'s SQLite file, or ``None`` (not SQLite, or no file locks)."""
    if fcntl is None or engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return WriterGate(os.path.abspath(database) + "-writer")


def turn(gate: WriterGate | None) -> AbstractContextManager[None]:
    """Return ``gate.turn()``, or a block that waits for nothing when there is no gate.

    Raises:
        StorageError: As :meth:`WriterGate.turn`, when the block is entered.
    """
    return nullcontext() if gate is None else gate.turn()
