"""The one context every command takes: who acts, in which unit of work, under which settings.

A command is a plain function ``command(cx, arguments...)``. Its :class:`CommandContext` carries
the unit of work, the actor, the clock and the :class:`DeskSettings` (policy, id generator,
token signer, evidence store, closure policy, default SLA, currency) so that no command repeats
them and no command can run with settings other than its caller's: a host that gives the desk a
deny-by-default policy gets that policy in every command, including the ones it runs through
:meth:`~servicecore.services.desk.ServiceDesk.run`.

Scheduled jobs (alerts, maintenance generation, expiries, outbox delivery) commit record by
record, so they take a :class:`JobContext` (storage and tenant instead of one unit of work) and
open a :class:`CommandContext` per record with :meth:`JobContext.command`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar

import attrs

from servicecore.basics import UuidIdGenerator
from servicecore.errors import ConcurrencyError, ServicecoreError, ValidationError
from servicecore.lifecycle import Lifecycle, Stateful, TransitionContext
from servicecore.lifecycle.facts import NO_FACTS, Facts
from servicecore.model.actor import SYSTEM, Actor
from servicecore.model.audit import AuditEntry
from servicecore.model.closure import ClosurePolicy
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import ServiceType
from servicecore.model.processing import ChecklistItem, checklist_problems
from servicecore.model.request import ServiceRequest
from servicecore.model.sla import SlaPolicy
from servicecore.ports import Clock, EvidenceStore, IdGenerator, Query, Storage, UnitOfWork
from servicecore.services.facts import load_facts
from servicecore.services.permissions import DEFAULT_POLICY, Policy, RequestScope
from servicecore.services.tokens import TokenSigner

__all__ = [
    "COMMANDS",
    "DEFAULT_IDS",
    "CommandContext",
    "CommandInfo",
    "DeskSettings",
    "ExpiryRun",
    "JobContext",
    "command",
    "job",
    "query",
]

P = ParamSpec("P")
T = TypeVar("T")
E = TypeVar("E", bound=Stateful)

DEFAULT_IDS: IdGenerator = UuidIdGenerator()
"""Ids for new records and events unless the settings name another generator."""


def _currency(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isupper()):
        raise ValidationError.single(attribute.name, value, "must be a three-letter ISO 4217 code")


def _checklists(value: object) -> Mapping[ServiceType, tuple[ChecklistItem, ...]]:
    if not isinstance(value, Mapping):
        raise ValidationError.single("checklists", value, "must map service types to items")
    found: dict[ServiceType, tuple[ChecklistItem, ...]] = {}
    for kind, items in value.items():
        if not isinstance(kind, ServiceType):
            raise ValidationError.single("checklists", kind, "is not a ServiceType")
        listed = tuple(items) if isinstance(items, tuple | list) else None
        if listed is None or not all(isinstance(i, ChecklistItem) for i in listed):
            raise ValidationError.single(
                f"checklists[{kind.value}]", items, "must be a sequence of ChecklistItem"
            )
        twice = checklist_problems(listed)
        if twice is not None:
            raise ValidationError.single(f"checklists[{kind.value}]", items, twice)
        found[kind] = listed
    return MappingProxyType(found)


@attrs.frozen(kw_only=True)
class DeskSettings:
    """What every command of one desk shares (the host's wiring, set once).

    Attributes:
        policy: Who may do what; asked by every command before it writes.
        ids: Ids for new records and events.
        signer: Signs check-in tokens (none: confirmations carry no token and check-in is
            refused).
        evidence_store: Where photos and documents go (none: evidence is refused).
        closure_policy: What a request needs before it may close (seed 001: photos).
        default_sla: SLA for requests without a contract.
        currency: The currency of new processing orders (ISO 4217).
        checklists: The inspection checklist each new processing order starts with, by the
            request's service type (none: no checklist).

    Raises:
        ValidationError: ``currency`` is not a three-letter code, or a checklist holds an
            item code twice.
    """

    policy: Policy = DEFAULT_POLICY
    ids: IdGenerator = DEFAULT_IDS
    signer: TokenSigner | None = None
    evidence_store: EvidenceStore | None = None
    closure_policy: ClosurePolicy = attrs.field(factory=ClosurePolicy)
    default_sla: SlaPolicy | None = None
    currency: str = attrs.field(default="EUR", validator=_currency)
    checklists: Mapping[ServiceType, tuple[ChecklistItem, ...]] = attrs.field(
        factory=dict, converter=_checklists
    )

    def require_signer(self) -> TokenSigner:
        """Return the token signer.

        Raises:
            ValidationError: These settings have no signer (field ``signer``).
        """
        if self.signer is None:
            raise ValidationError.single("signer", None, "this desk issues no check-in tokens")
        return self.signer

    def require_evidence_store(self) -> EvidenceStore:
        """Return the evidence store.

        Raises:
            ValidationError: These settings have no evidence store (field ``evidence_store``).
        """
        if self.evidence_store is None:
            raise ValidationError.single("evidence_store", None, "this desk stores no evidence")
        return self.evidence_store


DEFAULT_SETTINGS = DeskSettings()


def _working_on(uow: UnitOfWork, request_id: str) -> frozenset[str]:
    """The technicians with a dispatch order for the request that was not rejected or revoked."""
    withdrawn = (DispatchStatus.REJECTED, DispatchStatus.REVOKED)
    return frozenset(
        d.technician_id
        for d in uow.dispatches.iterate(Query(equals={"request_id": request_id}))
        if d.status not in withdrawn
    )


@attrs.frozen
class CommandContext:
    """Who runs a command, in which unit of work, when, and under which settings.

    Attributes:
        uow: The open unit of work; the command never commits it (its caller does, once).
        actor: Who acts; asked about by the policy and named in every audit entry.
        clock: Where "now" comes from.
        settings: The desk's settings (default policy and ids when not given).
    """

    uow: UnitOfWork
    actor: Actor
    clock: Clock
    settings: DeskSettings = DEFAULT_SETTINGS

    @property
    def ids(self) -> IdGenerator:
        """The id generator of the settings."""
        return self.settings.ids

    def now(self) -> datetime:
        """Return the clock's now."""
        return self.clock.now()

    def check(self, command: str, subject: object | None = None) -> None:
        """Ask the settings' policy whether the actor may run ``command`` (on ``subject``).

        A request is handed to the policy as a
        :class:`~servicecore.services.permissions.RequestScope` (the request and, when asked,
        the technicians working on it).

        Raises:
            PermissionDenied: The policy refuses.
        """
        if isinstance(subject, ServiceRequest):
            subject = RequestScope(subject, functools.partial(_working_on, self.uow, subject.id))
        self.settings.policy.check(self.actor, command, subject)

    def transition(
        self,
        *,
        reason: str = "",
        payload: Mapping[str, object] | None = None,
        facts: Facts | None = None,
    ) -> TransitionContext:
        """Return a lifecycle transition context for the actor at the clock's now.

        Raises:
            ValidationError: ``reason`` is too long or the payload is malformed.
        """
        return TransitionContext(
            actor=self.actor,
            at=self.clock.now(),
            reason=reason,
            payload=payload,
            facts=NO_FACTS if facts is None else facts,
        )

    def fire(
        self,
        lifecycle: Lifecycle[E, Any],
        entity: E,
        trigger: str,
        *,
        reason: str = "",
        payload: Mapping[str, object] | None = None,
        given: Facts | None = None,
    ) -> AuditEntry:
        """Fire ``trigger`` on ``entity`` with the facts it needs, each related record loaded once.

        ``given`` holds the inputs of the change (a new slot, the stock on hand...); the related
        records the trigger's guards declare are loaded through the unit of work. The audit entry
        goes to the unit of work's trail; the caller stores the entity.

        Raises:
            InvalidTransition, TransitionRefused: The lifecycle refuses (nothing changes).
            NotFound: A related record does not exist.
            ValidationError: An input the trigger needs is missing.
        """
        facts = load_facts(self.uow, entity, lifecycle.needs(entity, trigger), given)
        ctx = self.transition(reason=reason, payload=payload, facts=facts)
        return lifecycle.fire(entity, trigger, ctx, self.uow.audit)

    def create(
        self,
        lifecycle: Lifecycle[E, Any],
        entity: E,
        *,
        payload: Mapping[str, object] | None = None,
        given: Facts | None = None,
    ) -> AuditEntry:
        """Record the birth of ``entity``, with the facts its creation guards need.

        Raises:
            TransitionRefused: A creation guard does not hold.
            DuplicateId: The entity was created before.
            NotFound: A related record does not exist.
        """
        facts = load_facts(self.uow, entity, lifecycle.create_needs(), given)
        return lifecycle.create(
            entity, self.transition(payload=payload, facts=facts), self.uow.audit
        )


@attrs.frozen
class JobContext:
    """What a scheduled job needs: it commits record by record, so it holds the storage.

    Attributes:
        storage: Where the tenant's records live.
        tenant: The company the job runs for.
        clock: Where "now" comes from.
        actor: Who runs it (the system actor by default).
        settings: The desk's settings.
    """

    storage: Storage
    tenant: str
    clock: Clock
    actor: Actor = SYSTEM
    settings: DeskSettings = DEFAULT_SETTINGS

    @property
    def ids(self) -> IdGenerator:
        """The id generator of the settings."""
        return self.settings.ids

    def check(self, command: str, subject: object | None = None) -> None:
        """Ask the settings' policy whether the actor may run ``command`` (on ``subject``).

        Raises:
            PermissionDenied: The policy refuses.
        """
        self.settings.policy.check(self.actor, command, subject)

    def expire_each(
        self, ids: Sequence[str], expire: Callable[[CommandContext, str], bool]
    ) -> ExpiryRun:
        """Run ``expire(cx, id)`` for each id in a unit of work of its own, committing each.

        ``expire`` returns ``False`` when the record is no longer due (another process changed
        it since it was found); such records, and those whose commit meets a concurrent change,
        are reported as skipped without holding back the others.
        """
        expired: list[str] = []
        skipped: list[str] = []
        for record_id in ids:
            try:
                with self.command() as cx:
                    if not expire(cx, record_id):
                        skipped.append(record_id)
                        continue
                    cx.uow.commit()
            except ConcurrencyError:
                skipped.append(record_id)
            else:
                expired.append(record_id)
        return ExpiryRun(tuple(expired), tuple(skipped))

    @contextmanager
    def command(self) -> Iterator[CommandContext]:
        """Open a unit of work of the tenant and yield a command context on it.

        The caller commits (``cx.uow.commit()``); leaving without a commit writes nothing.
        """
        with self.storage.unit_of_work(self.tenant) as uow:
            yield CommandContext(uow, self.actor, self.clock, self.settings)


@attrs.frozen
class ExpiryRun:
    """What one run of an expiry job (quotes, contracts) did.

    Attributes:
        expired: Ids of the records expired now.
        skipped: Ids of due records another process changed meanwhile (left as they are).
    """

    expired: tuple[str, ...]
    skipped: tuple[str, ...]


Kind = Literal["command", "job", "query"]


@attrs.frozen
class CommandInfo:
    """What the registry knows of one public command, job or query.

    Attributes:
        function: The registered function (the one hosts call).
        permission: The command name the policy is asked about (a key of ``DEFAULT_RULES``).
        kind: ``"command"`` (takes a :class:`CommandContext`), ``"job"`` (takes a
            :class:`JobContext`) or ``"query"`` (reads through a unit of work; the desk asks the
            policy before it opens one).
    """

    function: Callable[..., object]
    permission: str
    kind: Kind

    @property
    def name(self) -> str:
        """The function's name, e.g. ``"book"``."""
        return self.function.__name__


COMMANDS: dict[str, CommandInfo] = {}
"""Every registered command, job and query by ``module.name``: what the desk exposes."""


def _register(function: Callable[..., object], permission: str, kind: Kind) -> None:
    COMMANDS[f"{function.__module__}.{function.__name__}"] = CommandInfo(function, permission, kind)


class _Checking(Protocol):
    def check(self, command: str, subject: object | None = None) -> None: ...


C = TypeVar("C", bound=_Checking)


_log = logging.getLogger("servicecore.services")
_STARTED = {"command": logging.DEBUG, "query": logging.DEBUG, "job": logging.INFO}


def _log_fields(context: object, name: str, kind: str, args: tuple[object, ...]) -> dict[str, Any]:
    """The structured fields of a command's log records: tenant, command, actor, entity id."""
    tenant = getattr(context, "tenant", None)
    if tenant is None:
        uow = getattr(context, "uow", None)
        tenant = getattr(uow, "tenant", None)
    actor = getattr(context, "actor", None)
    return {
        "tenant": tenant,
        "command": name,
        "kind": kind,
        "actor": getattr(actor, "id", None),
        "entity_id": args[0] if args and isinstance(args[0], str) else None,
    }


def _checked(
    permission: str, kind: Kind
) -> Callable[[Callable[Concatenate[C, P], T]], Callable[Concatenate[C, P], T]]:
    """Register a function of ``kind`` that asks the policy about ``permission`` first."""

    def register(function: Callable[Concatenate[C, P], T]) -> Callable[Concatenate[C, P], T]:
        @functools.wraps(function)
        def run(context: C, /, *args: P.args, **kwargs: P.kwargs) -> T:
            # Worked out only for a record that is written: most hosts log neither level.
            if _log.isEnabledFor(_STARTED[kind]):
                fields = _log_fields(context, function.__name__, kind, args)
                _log.log(_STARTED[kind], "%s %s", kind, function.__name__, extra=fields)
            try:
                context.check(permission)
                if isinstance(context, CommandContext) and kind == "command":
                    # A command that fails leaves nothing in its caller's unit of work.
                    with context.uow.savepoint():
                        result = function(context, *args, **kwargs)
                else:
                    result = function(context, *args, **kwargs)
            except ServicecoreError as exc:
                # Logged once, by the innermost command that refused (commands call commands).
                if not getattr(exc, "_servicecore_logged", False):
                    exc._servicecore_logged = True  # type: ignore[attr-defined]
                    if _log.isEnabledFor(logging.INFO):
                        fields = _log_fields(context, function.__name__, kind, args)
                        _log.info(
                            "%s refused: %s: %s",
                            function.__name__,
                            type(exc).__name__,
                            exc,
                            extra={**fields, "error": type(exc).__name__},
                        )
                raise
            if kind == "job" and _log.isEnabledFor(logging.INFO):
                fields = _log_fields(context, function.__name__, kind, args)
                _log.info("job %s done: %r", function.__name__, result, extra=fields)
            return result

        _register(run, permission, kind)
        return run

    return register


def command(
    permission: str,
) -> Callable[
    [Callable[Concatenate[CommandContext, P], T]], Callable[Concatenate[CommandContext, P], T]
]:
    """Register a command and ask the policy about ``permission`` before it runs.

    The policy is asked first with no subject ("may this actor run this command at all?"),
    before anything is read or written; the command then asks again with the record it acts on
    (ownership). A deny-everything policy therefore refuses every command before it touches
    storage.
    """
    return _checked(permission, "command")


def job(
    permission: str,
) -> Callable[[Callable[Concatenate[JobContext, P], T]], Callable[Concatenate[JobContext, P], T]]:
    """Register a scheduled job and ask the policy about ``permission`` before it runs."""
    return _checked(permission, "job")


def query(
    permission: str,
) -> Callable[
    [Callable[Concatenate[CommandContext, P], T]], Callable[Concatenate[CommandContext, P], T]
]:
    """Register a read and ask the policy about ``permission`` before it reads anything.

    A read takes a :class:`CommandContext` like a command and writes nothing; the desk runs it
    in a unit of work that it never commits.
    """
    return _checked(permission, "query")
