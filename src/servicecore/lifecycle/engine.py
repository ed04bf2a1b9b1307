"""The lifecycle engine: a table of rules run by one shared ``transitions.Machine``.

A :class:`Lifecycle` is data: states (an ``Enum``), an initial state, guards that must hold for
the entity to be created, and :class:`Rule` rows (trigger, source states, destination, guards,
effects). It builds ONE module-level ``transitions.Machine(model=None, auto_transitions=False)``
and fires events with ``machine.events[trigger].trigger(entity, ...)``: no machine per entity and
no ``add_model`` (both cost kilobytes and milliseconds per entity and break slotted classes; see
DESIGN.md). The entity keeps its state in its own ``status`` field.

Every successful move appends an :class:`~servicecore.model.audit.AuditEntry` to an
:class:`~servicecore.model.audit.AuditSink` and records the entry's hash in the entity's
``audit_head``. A refused move changes nothing: not the entity, not the trail.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, cast

import attrs
from transitions import Machine

from servicecore.errors import (
    AuditChainError,
    DuplicateId,
    InvalidTransition,
    TransitionRefused,
    ValidationError,
)
from servicecore.lifecycle.facts import NO_FACTS, FactName, Facts
from servicecore.model import _validate as v
from servicecore.model.actor import Actor
from servicecore.model.audit import AuditEntry, AuditSink

__all__ = [
    "Guard",
    "Lifecycle",
    "Rule",
    "Stateful",
    "TransitionContext",
]

S = TypeVar("S", bound=Enum)
T = TypeVar("T")


class Stateful(Protocol):
    """What the engine needs of an entity: an id, a ``status`` and an ``audit_head``."""

    @property
    def id(self) -> str:
        """The entity's id."""
        ...

    status: Any
    audit_head: str | None


E = TypeVar("E", bound=Stateful)

_EMPTY: Mapping[str, object] = types.MappingProxyType({})


def _frozen_mapping(value: object) -> Any:
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        return value  # the validator reports it
    return types.MappingProxyType(dict(value))


def _mapping(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise v.fail(attribute, value, "must be a mapping with string keys")


@attrs.frozen(kw_only=True)
class TransitionContext:
    """Who fires a trigger, when, why, and the facts the guards may need.

    Attributes:
        actor: Who does it; recorded in the audit entry.
        at: When (timezone-aware); recorded in UTC.
        reason: Why, in the actor's words; some triggers require one (reject, revoke, cancel...).
        payload: What the change carries (e.g. the new slot); its digest is recorded.
        facts: What the guards and effects consult besides the entity (see
            :class:`~servicecore.lifecycle.facts.Facts`): related records such as the request's
            processing orders and evidence when it closes, and inputs of the change such as a
            booking's new slot.

    Raises:
        ValidationError: ``at`` is naive, ``actor`` is not an Actor, ``facts`` is not a Facts, or
            the payload is malformed.
    """

    actor: Actor = attrs.field(validator=v.instance(Actor))
    at: datetime = attrs.field(validator=v.aware_datetime)
    reason: str = attrs.field(default="", validator=v.text(2000, allow_empty=True))
    payload: Mapping[str, object] = attrs.field(
        default=_EMPTY, converter=_frozen_mapping, validator=_mapping
    )
    facts: Facts = attrs.field(default=NO_FACTS, validator=v.instance(Facts))


@attrs.frozen
class Guard(Generic[E]):
    """A named condition a move needs; ``check`` returns ``None`` when it holds, else the reason.

    Attributes:
        name: Short identifier shown in errors and diagrams, e.g. ``"by_assigned_technician"``.
        description: One sentence for the docs.
        check: ``(entity, context) -> None | reason``; may raise ``ValidationError`` when a fact
            it needs is missing.
        error: The :class:`TransitionRefused` subclass raised when it does not hold.
        needs: The facts ``check`` reads (see :class:`~servicecore.lifecycle.facts.Facts`).
    """

    name: str
    description: str
    check: Callable[[E, TransitionContext], str | None]
    error: type[TransitionRefused] = TransitionRefused
    needs: tuple[FactName, ...] = ()


Effect = Callable[[Any, TransitionContext], None]


@attrs.frozen(kw_only=True)
class Rule(Generic[E, S]):
    """One row of a lifecycle table.

    Attributes:
        trigger: The event name, e.g. ``"accept"``.
        sources: The states it may fire from.
        dest: The state it leads to; ``None`` keeps the entity in its state (a self-loop such as
            rescheduling a booking).
        guards: Conditions that must all hold, checked in order before anything changes.
        effects: Field updates applied after the state changed (e.g. stamping ``accepted_at``).
        needs_reason: Whether the actor must give a reason.
        description: One sentence for the docs.
        needs: The facts the effects read (the guards declare their own).
    """

    trigger: str
    sources: tuple[S, ...]
    dest: S | None = None
    guards: tuple[Guard[E], ...] = ()
    effects: tuple[Effect, ...] = ()
    needs_reason: bool = False
    description: str = ""
    needs: tuple[FactName, ...] = ()


def _reason_guard(trigger: str) -> Guard[Any]:
    return Guard(
        "reason_given",
        f"{trigger} needs a reason",
        lambda _e, ctx: None if ctx.reason.strip() else "a reason is required",
    )


class Lifecycle(Generic[E, S]):
    """A lifecycle table and the one shared machine that runs it.

    Args:
        kind: The aggregate's name, used in audit entries and errors (e.g. ``"DispatchOrder"``).
        entity_type: The entity class.
        states: The status enum.
        initial: The state a new entity starts in.
        rules: The table.
        create_guards: Conditions for creating an entity (checked by :meth:`create`).

    Raises:
        ValueError: The table is inconsistent: a trigger named twice for one source state, a state
            not in ``states``, or a trigger named ``create``.
    """

    def __init__(
        self,
        *,
        kind: str,
        entity_type: type[E],
        states: type[S],
        initial: S,
        rules: Sequence[Rule[E, S]],
        create_guards: Sequence[Guard[E]] = (),
    ) -> None:
        self.kind = kind
        self.entity_type = entity_type
        self.states = states
        self.initial = initial
        self.rules: tuple[Rule[E, S], ...] = tuple(rules)
        self.create_guards: tuple[Guard[E], ...] = tuple(create_guards)
        self._by_source: dict[tuple[str, S], Rule[E, S]] = {}
        for rule in self.rules:
            if rule.trigger == "create":
                raise ValueError(f"{kind}: 'create' is reserved for Lifecycle.create")
            for state in (*rule.sources, *(() if rule.dest is None else (rule.dest,))):
                if not isinstance(state, states):
                    raise ValueError(f"{kind}.{rule.trigger}: {state!r} is not a {states.__name__}")
            for source in rule.sources:
                if (rule.trigger, source) in self._by_source:
                    raise ValueError(f"{kind}: {rule.trigger!r} from {source.value!r} twice")
                self._by_source[(rule.trigger, source)] = rule
        self._allowed: dict[S, tuple[str, ...]] = {
            state: tuple(sorted({t for (t, s) in self._by_source if s is state}))
            for state in states
        }
        self._fields: tuple[str, ...] = tuple(f.name for f in attrs.fields(cast(Any, entity_type)))
        # Every field at once, in C: the snapshot a refused move is undone from.
        self._snapshot = operator.attrgetter(*self._fields, self._fields[0])
        self.machine = Machine(
            model=None,
            states=list(states),
            initial=initial,
            auto_transitions=False,
            send_event=True,
            model_attribute="status",
            name=kind,
        )
        for (trigger, source), rule in self._by_source.items():
            self.machine.add_transition(
                trigger,
                source,
                source if rule.dest is None else rule.dest,
                conditions=[self._guard_runner(rule)],
                after=[self._effect_runner(rule)] if rule.effects else None,
            )

    # -- building blocks handed to transitions -------------------------------------------------

    def _guards_of(self, rule: Rule[E, S]) -> tuple[Guard[E], ...]:
        return ((_reason_guard(rule.trigger),) if rule.needs_reason else ()) + rule.guards

    def _guard_runner(self, rule: Rule[E, S]) -> Callable[[Any], bool]:
        guards = self._guards_of(rule)

        def run(event_data: Any) -> bool:
            entity = event_data.model
            ctx: TransitionContext = event_data.kwargs["ctx"]
            for guard in guards:
                refusal = guard.check(entity, ctx)
                if refusal is not None:
                    raise guard.error(
                        self.label(entity), entity.status.value, rule.trigger, guard.name, refusal
                    )
            return True

        return run

    @staticmethod
    def _effect_runner(rule: Rule[E, S]) -> Callable[[Any], None]:
        effects = rule.effects

        def run(event_data: Any) -> None:
            ctx: TransitionContext = event_data.kwargs["ctx"]
            for effect in effects:
                effect(event_data.model, ctx)

        return run

    # -- queries ---------------------------------------------------------------------------------

    def label(self, entity: E) -> str:
        """Return ``"<kind> <id>"`` for messages."""
        return f"{self.kind} {entity.id}"

    def allowed(self, state: S) -> tuple[str, ...]:
        """Return the triggers the table allows from ``state``, sorted (guards not checked)."""
        return self._allowed[state]

    def rule_for(self, trigger: str, state: S) -> Rule[E, S] | None:
        """Return the rule that ``trigger`` runs from ``state``, or ``None`` if none does."""
        return self._by_source.get((trigger, state))

    def needs(self, entity: E, trigger: str) -> frozenset[str]:
        """Return the facts ``trigger`` needs from the entity's state (none if it cannot fire)."""
        rule = self._by_source.get((trigger, entity.status))
        if rule is None:
            return frozenset()
        return frozenset(rule.needs).union(*(g.needs for g in rule.guards))

    def create_needs(self) -> frozenset[str]:
        """Return the facts the creation guards need."""
        return frozenset().union(*(g.needs for g in self.create_guards))

    def available_triggers(
        self, entity: E, ctx: TransitionContext | None = None
    ) -> tuple[str, ...]:
        """Return what may happen next to ``entity``.

        Without ``ctx`` this is every trigger the table allows from the entity's state; with it,
        only those whose guards hold now (a guard missing a fact counts as not holding).
        """
        allowed = self._allowed[entity.status]
        if ctx is None:
            return allowed
        return tuple(t for t in allowed if self._passes(entity, t, ctx))

    def _passes(self, entity: E, trigger: str, ctx: TransitionContext) -> bool:
        rule = self._by_source[(trigger, entity.status)]
        try:
            return all(g.check(entity, ctx) is None for g in self._guards_of(rule))
        except ValidationError:
            return False

    # -- commands --------------------------------------------------------------------------------

    def create(self, entity: E, ctx: TransitionContext, audit: AuditSink) -> AuditEntry:
        """Record the birth of ``entity`` in its initial state: the first entry of its chain.

        Raises:
            ValidationError: ``entity`` is not of this lifecycle's type or not in the initial state.
            TransitionRefused: A creation guard does not hold (nothing is recorded).
            DuplicateId: The entity (or another with its id) was created before: it has audit
                entries (a storage may find this only when its unit of work commits).
        """
        self._check_type(entity)
        if entity.status is not self.initial:
            raise ValidationError.single(
                "status", entity.status, f"a new {self.kind} starts as {self.initial.value!r}"
            )
        if entity.audit_head is not None:
            raise DuplicateId(f"{self.label(entity)} has been created before")
        for guard in self.create_guards:
            refusal = guard.check(entity, ctx)
            if refusal is not None:
                raise guard.error(self.label(entity), "", "create", guard.name, refusal)
        entry = AuditEntry.create(
            entity_kind=self.kind,
            entity_id=entity.id,
            trigger="create",
            from_state="",
            to_state=self.initial.value,
            actor_id=ctx.actor.id,
            at=ctx.at,
            reason=ctx.reason,
            payload=ctx.payload,
        )
        entry = audit.append(entry)
        entity.audit_head = entry.hash
        return entry

    def fire(self, entity: E, trigger: str, ctx: TransitionContext, audit: AuditSink) -> AuditEntry:
        """Fire ``trigger`` on ``entity``: check, move, apply effects, append the audit entry.

        Returns:
            The audit entry that records the move.

        Raises:
            InvalidTransition: The table has no ``trigger`` from the entity's state; names the
                allowed triggers.
            TransitionRefused: A guard (or the need for a reason) refused the move; a subclass such
                as ``ClosurePolicyError`` where the guard says so.
            ValidationError: A guard needed a fact that ``ctx`` does not carry, or the entity is of
                another type.
            AuditChainError: The trail's newest entry is not the one the entity names (the entity
                was changed outside its lifecycle, or the trail was tampered with).

        In every error case the entity and the trail are left exactly as they were.
        """
        self._check_type(entity)
        state = entity.status
        if (trigger, state) not in self._by_source:
            raise InvalidTransition(self.label(entity), state.value, trigger, self._allowed[state])
        head = audit.head(self.kind, entity.id)
        if (None if head is None else head.hash) != entity.audit_head:
            raise AuditChainError(
                f"{self.label(entity)}: its audit head does not match the trail's newest entry"
            )
        before = self._snapshot(entity)[:-1]  # the name added twice makes it a tuple always
        try:
            self.machine.events[trigger].trigger(entity, ctx=ctx)
            entry = AuditEntry.create(
                entity_kind=self.kind,
                entity_id=entity.id,
                trigger=trigger,
                from_state=state.value,
                to_state=entity.status.value,
                actor_id=ctx.actor.id,
                at=ctx.at,
                reason=ctx.reason,
                payload=ctx.payload,
                previous=head,
            )
            entry = audit.append(entry)
        except BaseException:
            for name, value in zip(self._fields, before, strict=True):
                object.__setattr__(entity, name, value)
            raise
        entity.audit_head = entry.hash
        return entry

    def _check_type(self, entity: object) -> None:
        if not isinstance(entity, self.entity_type):
            raise ValidationError.single(
                "entity", entity, f"the {self.kind} lifecycle runs {self.entity_type.__name__}"
            )

    # -- documentation ---------------------------------------------------------------------------

    def final_states(self) -> tuple[S, ...]:
        """Return the states no trigger leaves."""
        return tuple(s for s in self.states if not self._allowed[s])

    def to_mermaid(self) -> str:
        """Return the lifecycle as a Mermaid ``stateDiagram-v2``, drawn from the table itself."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for rule in self.rules:
            guards = [g.name for g in self._guards_of(rule)]
            label = rule.trigger + (f" [{', '.join(guards)}]" if guards else "")
            for source in rule.sources:
                dest = source if rule.dest is None else rule.dest
                lines.append(f"    {source.value} --> {dest.value} : {label}")
        lines.extend(f"    {s.value} --> [*]" for s in self.final_states())
        return "\n".join(lines) + "\n"

    def describe(self) -> Iterable[tuple[str, str, str, str, str]]:
        """Yield ``(trigger, sources, dest, guards, description)`` rows for documentation tables."""
        for rule in self.rules:
            yield (
                rule.trigger,
                ", ".join(s.value for s in rule.sources),
                "(same)" if rule.dest is None else rule.dest.value,
                ", ".join(g.name for g in self._guards_of(rule)) or "-",
                rule.description,
            )
