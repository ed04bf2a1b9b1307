"""The audit trail: hash-chained entries, one chain per entity, and their verification.

Every state change of every lifecycle appends an :class:`AuditEntry` (see
:mod:`servicecore.lifecycle`). Each entry carries the hash of the previous entry of the same
entity, and the entity itself carries the hash of its latest entry (``audit_head``), so an edited,
removed, inserted or reordered entry - the last one included - is detected by :func:`verify_chain`.
The trail is evidence for warranty claims, penalties and disputes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Protocol

import attrs

from servicecore.errors import AuditChainError

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "AuditSink",
    "ChainVerdict",
    "payload_digest",
    "verify_chain",
]

GENESIS = ""
"""The ``prev_hash`` of an entity's first entry."""


def _canonical(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date | time | Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, Mapping):
        return dict(value)
    cls = type(value)
    if attrs.has(cls):
        return {f.name: getattr(value, f.name) for f in attrs.fields(cls)}
    raise TypeError(f"cannot put {type(value).__name__} into an audit payload")


_EMPTY_DIGEST = hashlib.sha256(b"{}").hexdigest()


def payload_digest(payload: Mapping[str, object] | None) -> str:
    """Return the SHA-256 hex digest of ``payload`` in canonical JSON (sorted keys, UTC times).

    Raises:
        TypeError: The payload holds a value with no canonical JSON form.
    """
    if not payload:
        return _EMPTY_DIGEST
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()


def _entry_hash(
    entity_kind: str,
    entity_id: str,
    seq: int,
    trigger: str,
    from_state: str,
    to_state: str,
    actor_id: str,
    at: datetime,
    reason: str,
    digest: str,
    prev_hash: str,
) -> str:
    # Unit separators cannot occur in ids or state names, so the joined text is unambiguous;
    # the reason is length-prefixed because it is free text.
    text = "\x1f".join(
        (
            entity_kind,
            entity_id,
            str(seq),
            trigger,
            from_state,
            to_state,
            actor_id,
            at.isoformat(),
            f"{len(reason)}:{reason}",
            digest,
            prev_hash,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One state change of one entity, chained to the entity's previous entry.

    Attributes:
        entity_kind: The aggregate, e.g. ``"ServiceRequest"``.
        entity_id: The entity's id.
        seq: 1 for the entity's first entry, then 2, 3, ...
        trigger: What happened (``"create"`` for the first entry).
        from_state: State before (empty for the first entry).
        to_state: State after.
        actor_id: Who did it.
        at: When, in UTC.
        reason: Why, as given by the actor (may be empty).
        payload_digest: SHA-256 of the change's payload (see :func:`payload_digest`).
        prev_hash: ``hash`` of the previous entry, :data:`GENESIS` for the first.
        hash: SHA-256 over all the fields above.
    """

    entity_kind: str
    entity_id: str
    seq: int
    trigger: str
    from_state: str
    to_state: str
    actor_id: str
    at: datetime
    reason: str
    payload_digest: str
    prev_hash: str
    hash: str

    @classmethod
    def create(
        cls,
        *,
        entity_kind: str,
        entity_id: str,
        trigger: str,
        from_state: str,
        to_state: str,
        actor_id: str,
        at: datetime,
        reason: str = "",
        payload: Mapping[str, object] | None = None,
        previous: AuditEntry | None = None,
    ) -> AuditEntry:
        """Build the entry that follows ``previous`` (``None`` for the entity's first entry).

        Raises:
            AuditChainError: ``previous`` belongs to another entity.
            TypeError: ``payload`` holds a value with no canonical JSON form.
        """
        if previous is not None and (previous.entity_kind, previous.entity_id) != (
            entity_kind,
            entity_id,
        ):
            raise AuditChainError(
                f"previous entry is of {previous.entity_kind} {previous.entity_id}, "
                f"not of {entity_kind} {entity_id}"
            )
        seq = 1 if previous is None else previous.seq + 1
        prev_hash = GENESIS if previous is None else previous.hash
        at = at.astimezone(UTC)
        digest = payload_digest(payload)
        return cls(
            entity_kind=entity_kind,
            entity_id=entity_id,
            seq=seq,
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor_id,
            at=at,
            reason=reason,
            payload_digest=digest,
            prev_hash=prev_hash,
            hash=_entry_hash(
                entity_kind,
                entity_id,
                seq,
                trigger,
                from_state,
                to_state,
                actor_id,
                at,
                reason,
                digest,
                prev_hash,
            ),
        )

    def expected_hash(self) -> str:
        """Recompute the hash from the entry's fields (differs from ``hash`` if edited)."""
        return _entry_hash(
            self.entity_kind,
            self.entity_id,
            self.seq,
            self.trigger,
            self.from_state,
            self.to_state,
            self.actor_id,
            self.at,
            self.reason,
            self.payload_digest,
            self.prev_hash,
        )


@attrs.frozen
class ChainVerdict:
    """The outcome of :func:`verify_chain`; true when the chain is intact.

    Attributes:
        problems: What is wrong, one line per finding, naming the entry's ``seq`` (empty if intact).
    """

    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def raise_for_problems(self) -> None:
        """Raise if the chain is not intact.

        Raises:
            AuditChainError: Listing every problem found.
        """
        if self.problems:
            raise AuditChainError("; ".join(self.problems))


def verify_chain(entries: Sequence[AuditEntry], head: str | None = None) -> ChainVerdict:
    """Check that ``entries`` (one entity's, in stored order) form an intact chain.

    Args:
        entries: The entity's audit entries in the order the store returns them.
        head: The entity's ``audit_head``; when given, the last entry must be the one it names, so
            that removing the newest entries is detected too.

    Returns:
        A verdict listing every problem: an edited entry (hash does not match its fields), a
        broken link (``prev_hash`` differs from the previous entry's hash, as after a removal,
        insertion or reordering), a sequence gap, a foreign entry, or a head mismatch.
    """
    problems: list[str] = []
    prev: AuditEntry | None = None
    for position, entry in enumerate(entries, start=1):
        if prev is not None and (entry.entity_kind, entry.entity_id) != (
            prev.entity_kind,
            prev.entity_id,
        ):
            problems.append(
                f"entry at position {position} (seq {entry.seq}) belongs to "
                f"{entry.entity_kind} {entry.entity_id}, not {prev.entity_kind} {prev.entity_id}"
            )
        if entry.expected_hash() != entry.hash:
            problems.append(f"seq {entry.seq}: content does not match its hash (edited)")
        if entry.seq != position:
            problems.append(f"seq {entry.seq} found at position {position} (missing or moved)")
        expected_prev = GENESIS if prev is None else prev.hash
        if entry.prev_hash != expected_prev:
            problems.append(f"seq {entry.seq}: link to the previous entry is broken")
        prev = entry
    if head is not None:
        last = prev.hash if prev is not None else None
        if last != head:
            problems.append("the newest entry is not the one the entity names (entries removed)")
    return ChainVerdict(tuple(problems))


class AuditSink(Protocol):
    """Where a lifecycle appends audit entries (the unit of work's audit repository)."""

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        """Return the entity's newest entry, or ``None`` if it has none."""
        ...

    def append(self, entry: AuditEntry) -> None:
        """Append ``entry`` after the entity's current head.

        Raises:
            AuditChainError: ``entry`` does not follow the current head (a concurrent append won).
        """
        ...


class AuditLog:
    """An in-memory, append-only, thread-safe audit trail (an :class:`AuditSink`).

    Entries are kept per entity in append order; nothing can be changed or removed through this
    class's interface.
    """

    def __init__(self, entries: Iterable[AuditEntry] = ()) -> None:
        self._lock = threading.Lock()
        self._by_entity: dict[tuple[str, str], list[AuditEntry]] = {}
        for entry in entries:
            self.append(entry)

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        """Return the entity's newest entry, or ``None`` if it has none."""
        chain = self._by_entity.get((entity_kind, entity_id))
        return chain[-1] if chain else None

    def append(self, entry: AuditEntry) -> None:
        """Append ``entry`` after the entity's current head.

        Raises:
            AuditChainError: ``entry`` does not follow the current head.
        """
        with self._lock:
            chain = self._by_entity.setdefault((entry.entity_kind, entry.entity_id), [])
            expected = chain[-1].hash if chain else GENESIS
            if entry.prev_hash != expected or entry.seq != len(chain) + 1:
                raise AuditChainError(
                    f"{entry.entity_kind} {entry.entity_id}: entry seq {entry.seq} does not "
                    f"follow the current head (seq {len(chain)})"
                )
            chain.append(entry)

    def entries(self, entity_kind: str, entity_id: str) -> tuple[AuditEntry, ...]:
        """Return the entity's entries, oldest first (empty if none)."""
        with self._lock:
            return tuple(self._by_entity.get((entity_kind, entity_id), ()))

    def __iter__(self) -> Iterator[AuditEntry]:
        """Iterate over a snapshot of every entry, entity by entity, oldest first."""
        with self._lock:
            snapshot = [e for chain in self._by_entity.values() for e in chain]
        return iter(snapshot)

    def __len__(self) -> int:
        """Return the number of entries of all entities."""
        with self._lock:
            return sum(len(c) for c in self._by_entity.values())
