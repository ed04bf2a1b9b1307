"""The audit trail: hash-chained entries, one chain per entity, and their verification.

Every state change of every lifecycle appends an :class:`AuditEntry` (see
:mod:`servicecore.lifecycle`). Each entry carries the hash of the previous entry of the same
entity, and the entity itself carries the hash of its latest entry (``audit_head``), so an edited,
removed, inserted or reordered entry - the last one included - is detected by :func:`verify_chain`.
The trail is evidence for warranty claims, penalties and disputes.

An entry records the scheme that hashed it (see :class:`AuditScheme`): storages seal every
new entry with the tenant in its hash, and with a host's secret (:class:`AuditKey`, HMAC-SHA256)
when they are given one; entries written before either stay verifiable by their own scheme.
The threat model - what each scheme does and does not detect - is in the documentation
(``docs/storage/audit-keys.rst``).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

import attrs

from servicecore.errors import AuditChainError, DuplicateId, ValidationError

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditKey",
    "AuditLog",
    "AuditScheme",
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


def _canonical_json(payload: Mapping[str, object] | None) -> str:
    """``payload`` in canonical JSON: sorted keys, no spaces, UTC times (``{}`` when empty).

    Raises:
        TypeError: The payload holds a value with no canonical JSON form.
    """
    if not payload:
        return "{}"
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_canonical)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def payload_digest(payload: Mapping[str, object] | None) -> str:
    """Return the SHA-256 hex digest of ``payload`` in canonical JSON (sorted keys, UTC times).

    Raises:
        TypeError: The payload holds a value with no canonical JSON form.
    """
    return _digest(_canonical_json(payload))


class AuditScheme(enum.IntEnum):
    """How an entry's ``hash`` was computed (stored with the entry, so old trails stay verifiable).

    Attributes:
        PLAIN: SHA-256 over the entry's fields (entries written before schemes existed).
        TENANT: SHA-256 over the fields and the tenant: an entry copied to another tenant no
            longer matches its hash, unless whoever moved it recomputed the hashes.
        KEYED: HMAC-SHA256 with the host's :class:`AuditKey` over the fields and the tenant:
            nobody without the key can make an entry that verifies.
    """

    PLAIN = 1
    TENANT = 2
    KEYED = 3


_MIN_KEY_BYTES = 32


class AuditKey:
    """The host's secret for keyed audit hashes (HMAC-SHA256); it never appears in a repr.

    Give it to the storage (``MemoryStorage(audit_key=...)``, ``SQLAlchemyStorage(...,
    audit_key=...)``) to seal new entries, and to :func:`verify_chain` to check them. The
    storage keeps it in memory only: it is never written to the database, the outbox or a log.

    Args:
        secret: At least 32 bytes (e.g. ``secrets.token_bytes(32)``, kept in the host's secret
            store).

    Raises:
        ValidationError: ``secret`` is not bytes of at least 32 (field ``audit_key``; the
            message never shows the value).
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) < _MIN_KEY_BYTES:
            raise ValidationError.single(
                "audit_key", "<hidden>", f"must be at least {_MIN_KEY_BYTES} bytes"
            )
        self._secret = bytes(secret)

    def sign(self, text: bytes) -> str:
        """Return the HMAC-SHA256 hex digest of ``text`` under this key."""
        return hmac.new(self._secret, text, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "AuditKey(<hidden>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuditKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.sign(b"servicecore audit key identity"))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("an AuditKey is not pickled (it would leave the process)")


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


def _sealed_text(scheme: AuditScheme, tenant: str, plain: str) -> bytes:
    # The scheme and the tenant lead, so that no entry of one scheme or tenant reads as one of
    # another; the plain hash of the fields follows (it already joins them unambiguously).
    return "\x1f".join((f"servicecore-audit-v{int(scheme)}", tenant, plain)).encode()


def _plain(entry: AuditEntry) -> str:
    return _entry_hash(
        entry.entity_kind,
        entry.entity_id,
        entry.seq,
        entry.trigger,
        entry.from_state,
        entry.to_state,
        entry.actor_id,
        entry.at,
        entry.reason,
        entry.payload_digest,
        entry.prev_hash,
    )


def _scheme(value: object) -> AuditScheme:
    """The scheme an entry names (its number as stored, or the scheme itself).

    Raises:
        ValidationError: No such scheme.
    """
    try:
        return AuditScheme(value)  # type: ignore[arg-type]  # any value: refused below if unknown
    except (ValueError, TypeError):
        raise ValidationError.single("scheme", value, "is not an audit scheme") from None


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
        hash: The digest of the fields above under ``scheme`` (with ``tenant`` from
            :attr:`AuditScheme.TENANT` on).
        tenant: The tenant whose trail holds the entry (set when a storage seals it; empty for
            entries of a plain :class:`AuditLog`).
        scheme: How ``hash`` was computed (:class:`AuditScheme`).
        payload_json: The change's payload in the canonical JSON ``payload_digest`` was
            computed from (``{}`` for none), so the payload is kept as evidence and sealed
            through its digest; empty for entries written before payloads were kept. Read it
            with :attr:`payload`.
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
    tenant: str = ""
    scheme: AuditScheme = attrs.field(default=AuditScheme.PLAIN, converter=_scheme)
    payload_json: str = ""

    @property
    def payload(self) -> dict[str, Any] | None:
        """The change's payload as kept, or ``None`` for an entry written before they were kept.

        Its values are JSON: enums as their values, times as ISO text in UTC, decimals as text.

        Raises:
            ValueError: The kept text is not JSON (edited in the store: :func:`verify_chain`
                reports it).
        """
        if not self.payload_json:
            return None
        value = json.loads(self.payload_json)
        if not isinstance(value, dict):
            raise ValueError(f"the payload of seq {self.seq} is not a JSON object")
        return value

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
        text = _canonical_json(payload)
        digest = _digest(text)
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
            payload_json=text,
        )

    def sealed(self, tenant: str, key: AuditKey | None = None) -> AuditEntry:
        """Return this entry of ``tenant``, hashed with the tenant (and ``key`` if given).

        Storages seal each entry as it is appended; its ``prev_hash`` is kept, so the entry
        still follows the one before it.
        """
        scheme = AuditScheme.TENANT if key is None else AuditScheme.KEYED
        text = _sealed_text(scheme, tenant, _plain(self))
        sealed = hashlib.sha256(text).hexdigest() if key is None else key.sign(text)
        return attrs.evolve(self, tenant=tenant, scheme=scheme, hash=sealed)

    def unsealed_hash(self) -> str:
        """Return the hash the entry had as built, before a storage sealed it (its plain hash)."""
        return _plain(self)

    def expected_hash(self, key: AuditKey | None = None) -> str:
        """Recompute the hash from the entry's fields under its scheme (differs if edited).

        Raises:
            ValidationError: The entry is keyed and no ``key`` is given (field ``key``).
        """
        if self.scheme is AuditScheme.PLAIN:
            return _plain(self)
        text = _sealed_text(self.scheme, self.tenant, _plain(self))
        if self.scheme is AuditScheme.TENANT:
            return hashlib.sha256(text).hexdigest()
        if key is None:
            raise ValidationError.single("key", None, "a keyed audit entry needs the audit key")
        return key.sign(text)


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


def verify_chain(
    entries: Sequence[AuditEntry],
    head: str | None = None,
    *,
    key: AuditKey | None = None,
    tenant: str | None = None,
    require_keyed: bool = False,
) -> ChainVerdict:
    """Check that ``entries`` (one entity's, in stored order) form an intact chain.

    Args:
        entries: The entity's audit entries in the order the store returns them.
        head: The entity's ``audit_head``; when given, the last entry must be the one it names, so
            that removing the newest entries is detected too.
        key: The host's audit key: keyed entries are checked with it (without it, a keyed
            entry is reported as unverifiable). With a key, an entry hashed without one after a
            keyed entry is reported too (a keyed trail never goes back to unkeyed hashes).
        tenant: The tenant the trail is read from: an entry sealed for another tenant is
            reported (an entry moved between tenants).
        require_keyed: Report every entry not hashed with the key (for trails begun after the
            host set its key: a whole trail rewritten without the key is then detected too).

    Returns:
        A verdict listing every problem: an edited entry (hash does not match its fields), a
        broken link (``prev_hash`` differs from the previous entry's hash, as after a removal,
        insertion or reordering), a sequence gap, a foreign entry, an entry of another tenant,
        an unkeyed entry where a keyed one is needed, a kept payload that does not match its
        digest (edited), or a head mismatch.
    """
    problems: list[str] = []
    prev: AuditEntry | None = None
    keyed_seen = False
    for position, entry in enumerate(entries, start=1):
        if prev is not None and (entry.entity_kind, entry.entity_id) != (
            prev.entity_kind,
            prev.entity_id,
        ):
            problems.append(
                f"entry at position {position} (seq {entry.seq}) belongs to "
                f"{entry.entity_kind} {entry.entity_id}, not {prev.entity_kind} {prev.entity_id}"
            )
        problems.extend(_entry_problems(entry, key, tenant, require_keyed, keyed_seen))
        keyed_seen = keyed_seen or entry.scheme is AuditScheme.KEYED
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


def _entry_problems(
    entry: AuditEntry,
    key: AuditKey | None,
    tenant: str | None,
    require_keyed: bool,
    keyed_seen: bool,
) -> list[str]:
    found: list[str] = []
    if entry.scheme is AuditScheme.KEYED and key is None:
        found.append(f"seq {entry.seq}: keyed entry, and no audit key was given to check it")
    elif not hmac.compare_digest(entry.expected_hash(key), entry.hash):
        found.append(f"seq {entry.seq}: content does not match its hash (edited)")
    if key is not None and entry.scheme is not AuditScheme.KEYED:
        if require_keyed:
            found.append(f"seq {entry.seq}: not hashed with the audit key")
        elif keyed_seen:
            found.append(f"seq {entry.seq}: not hashed with the audit key after a keyed entry")
    if tenant is not None and entry.scheme is not AuditScheme.PLAIN and entry.tenant != tenant:
        found.append(f"seq {entry.seq}: sealed for tenant {entry.tenant}, read from {tenant}")
    if entry.payload_json and not hmac.compare_digest(
        _digest(entry.payload_json), entry.payload_digest
    ):
        found.append(f"seq {entry.seq}: the stored payload does not match its digest")
    return found


class AuditSink(Protocol):
    """Where a lifecycle appends audit entries (the unit of work's audit repository)."""

    def head(self, entity_kind: str, entity_id: str) -> AuditEntry | None:
        """Return the entity's newest entry, or ``None`` if it has none."""
        ...

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Append ``entry`` after the entity's current head.

        Returns:
            The entry as kept: a storage seals it (:meth:`AuditEntry.sealed`), so its ``hash``
            is the one the entity's ``audit_head`` must name.

        Raises:
            DuplicateId: ``entry`` starts a trail (``seq`` 1) and the entity has one: it was
                created before (a storage may find this only when it commits).
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

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Append ``entry`` after the entity's current head; return it (kept as given).

        Raises:
            DuplicateId: ``entry`` starts a trail (``seq`` 1) and the entity has one.
            AuditChainError: ``entry`` does not follow the current head.
        """
        with self._lock:
            chain = self._by_entity.setdefault((entry.entity_kind, entry.entity_id), [])
            if chain and entry.seq == 1:
                raise DuplicateId(f"{entry.entity_kind} {entry.entity_id} has been created before")
            expected = chain[-1].hash if chain else GENESIS
            if entry.prev_hash != expected or entry.seq != len(chain) + 1:
                raise AuditChainError(
                    f"{entry.entity_kind} {entry.entity_id}: entry seq {entry.seq} does not "
                    f"follow the current head (seq {len(chain)})"
                )
            chain.append(entry)
        return entry

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
