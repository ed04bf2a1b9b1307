"""The engine, specified on a small stand-alone lifecycle (a door), independent of the domain."""

import enum
from datetime import UTC, datetime

import attrs
import pytest

from servicecore.errors import (
    AuditChainError,
    ClosurePolicyError,
    DuplicateId,
    InvalidTransition,
    TransitionRefused,
    ValidationError,
)
from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import Facts, required
from servicecore.model import _validate as v
from servicecore.model.actor import Actor, Role
from servicecore.model.audit import AuditLog, verify_chain
from servicecore.model.request import RequestStatus

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = Actor(id="alice", roles={Role.SUPERVISOR})


class DoorStatus(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    LOCKED = "locked"
    BROKEN = "broken"


@attrs.define(eq=False, kw_only=True)
class Door:
    id: str = attrs.field(validator=v.identifier)
    key: str = ""
    opened: int = attrs.field(default=0, validator=v.integer(min_value=0))
    status: DoorStatus = attrs.field(default=DoorStatus.CLOSED, validator=v.member(DoorStatus))
    audit_head: str | None = None


def has_key(door: Door, ctx: TransitionContext) -> str | None:
    # The door's key travels as the generic "payment reference" input: any typed fact would do.
    return None if ctx.facts.payment_reference == door.key else "wrong key"


def count(door: Door, _: TransitionContext) -> None:
    door.opened += 1


def break_counter(door: Door, _: TransitionContext) -> None:
    door.opened = -1  # the validator refuses it: an effect that fails


DOOR = Lifecycle(
    kind="Door",
    entity_type=Door,
    states=DoorStatus,
    initial=DoorStatus.CLOSED,
    rules=[
        Rule(trigger="open", sources=(DoorStatus.CLOSED,), dest=DoorStatus.OPEN, effects=(count,)),
        Rule(trigger="close", sources=(DoorStatus.OPEN,), dest=DoorStatus.CLOSED),
        Rule(
            trigger="lock",
            sources=(DoorStatus.CLOSED,),
            dest=DoorStatus.LOCKED,
            guards=(Guard("has_key", "the right key", has_key),),
        ),
        Rule(
            trigger="unlock",
            sources=(DoorStatus.LOCKED,),
            dest=DoorStatus.CLOSED,
            guards=(Guard("has_key", "the right key", has_key, ClosurePolicyError),),
        ),
        Rule(trigger="knock", sources=(DoorStatus.CLOSED, DoorStatus.LOCKED)),
        Rule(
            trigger="smash",
            sources=(DoorStatus.CLOSED, DoorStatus.LOCKED),
            dest=DoorStatus.BROKEN,
            needs_reason=True,
        ),
        Rule(
            trigger="jam",
            sources=(DoorStatus.OPEN,),
            dest=DoorStatus.BROKEN,
            effects=(break_counter,),
        ),
    ],
)


def ctx(**kw: object) -> TransitionContext:
    return TransitionContext(actor=ALICE, at=AT, **kw)  # type: ignore[arg-type]


def new_door(trail: AuditLog, key: str = "k") -> Door:
    door = Door(id="D-1", key=key)
    DOOR.create(door, ctx(), trail)
    return door


def test_fire_moves_the_entity_and_records_an_entry():
    trail = AuditLog()
    door = new_door(trail)
    entry = DOOR.fire(door, "open", ctx(), trail)
    assert door.status is DoorStatus.OPEN
    assert (entry.from_state, entry.to_state, entry.trigger) == ("closed", "open", "open")
    assert door.audit_head == entry.hash
    assert entry.seq == 2


def test_effects_run_after_the_move():
    trail = AuditLog()
    door = new_door(trail)
    DOOR.fire(door, "open", ctx(), trail)
    assert door.opened == 1


def test_an_illegal_trigger_raises_invalid_transition_naming_state_and_allowed_triggers():
    trail = AuditLog()
    door = new_door(trail)
    with pytest.raises(InvalidTransition) as info:
        DOOR.fire(door, "close", ctx(), trail)
    assert info.value.entity == "Door D-1"
    assert info.value.state == "closed"
    assert info.value.trigger == "close"
    assert info.value.allowed == ("knock", "lock", "open", "smash")


def test_an_unknown_trigger_is_an_invalid_transition():
    trail = AuditLog()
    door = new_door(trail)
    with pytest.raises(InvalidTransition, match="'fly'"):
        DOOR.fire(door, "fly", ctx(), trail)


def test_a_refusing_guard_raises_transition_refused_and_changes_nothing():
    trail = AuditLog()
    door = new_door(trail)
    head = door.audit_head
    with pytest.raises(TransitionRefused) as info:
        DOOR.fire(door, "lock", ctx(facts=Facts(payment_reference="wrong")), trail)
    assert info.value.guard == "has_key"
    assert info.value.reason == "wrong key"
    assert door.status is DoorStatus.CLOSED
    assert door.audit_head == head
    assert len(trail) == 1


def test_a_guard_can_raise_its_own_error_subclass():
    trail = AuditLog()
    door = new_door(trail)
    DOOR.fire(door, "lock", ctx(facts=Facts(payment_reference="k")), trail)
    with pytest.raises(ClosurePolicyError):
        DOOR.fire(door, "unlock", ctx(facts=Facts(payment_reference="x")), trail)


def test_a_trigger_that_needs_a_reason_is_refused_without_one():
    trail = AuditLog()
    door = new_door(trail)
    with pytest.raises(TransitionRefused, match="reason is required"):
        DOOR.fire(door, "smash", ctx(reason="  "), trail)
    DOOR.fire(door, "smash", ctx(reason="fire drill"), trail)
    assert door.status is DoorStatus.BROKEN
    assert trail.head("Door", "D-1").reason == "fire drill"  # type: ignore[union-attr]


def test_a_self_loop_keeps_the_state_but_still_leaves_an_entry():
    trail = AuditLog()
    door = new_door(trail)
    DOOR.fire(door, "lock", ctx(facts=Facts(payment_reference="k")), trail)
    entry = DOOR.fire(door, "knock", ctx(), trail)
    assert door.status is DoorStatus.LOCKED
    assert (entry.from_state, entry.to_state) == ("locked", "locked")


def test_a_failing_effect_restores_every_field_and_records_nothing():
    trail = AuditLog()
    door = new_door(trail)
    DOOR.fire(door, "open", ctx(), trail)
    head = door.audit_head
    with pytest.raises(ValidationError, match="opened"):
        DOOR.fire(door, "jam", ctx(), trail)
    assert (door.status, door.opened, door.audit_head) == (DoorStatus.OPEN, 1, head)
    assert len(trail) == 2


def test_an_entity_changed_behind_the_trails_back_is_refused():
    trail = AuditLog()
    door = new_door(trail)
    door.audit_head = "0" * 64
    with pytest.raises(AuditChainError, match="audit head"):
        DOOR.fire(door, "open", ctx(), trail)
    assert door.status is DoorStatus.CLOSED


def test_create_records_the_first_entry_once():
    trail = AuditLog()
    door = new_door(trail)
    first = trail.head("Door", "D-1")
    assert first is not None
    assert (first.trigger, first.from_state, first.to_state, first.seq) == (
        "create",
        "",
        "closed",
        1,
    )
    with pytest.raises(DuplicateId, match="created before"):
        DOOR.create(door, ctx(), trail)
    with pytest.raises(DuplicateId, match="created before"):
        DOOR.create(Door(id="D-1"), ctx(), trail)


def test_create_refuses_an_entity_not_in_the_initial_state():
    door = Door(id="D-2", status=DoorStatus.OPEN)
    with pytest.raises(ValidationError, match="starts as 'closed'"):
        DOOR.create(door, ctx(), AuditLog())


def test_create_guards_refuse_creation_and_record_nothing():
    lifecycle = Lifecycle(
        kind="Door",
        entity_type=Door,
        states=DoorStatus,
        initial=DoorStatus.CLOSED,
        rules=[],
        create_guards=[Guard("keyed", "needs a key", lambda d, _c: None if d.key else "no key")],
    )
    trail = AuditLog()
    with pytest.raises(TransitionRefused, match="no key"):
        lifecycle.create(Door(id="D-3"), ctx(), trail)
    assert len(trail) == 0


def test_another_entity_type_is_refused():
    with pytest.raises(ValidationError, match="runs Door"):
        DOOR.fire(object(), "open", ctx(), AuditLog())  # type: ignore[arg-type]


def test_available_triggers_without_context_follow_the_table():
    trail = AuditLog()
    door = new_door(trail)
    assert DOOR.available_triggers(door) == ("knock", "lock", "open", "smash")


def test_available_triggers_with_context_check_guards_and_reasons():
    trail = AuditLog()
    door = new_door(trail)
    assert DOOR.available_triggers(door, ctx(facts=Facts(payment_reference="no"))) == (
        "knock",
        "open",
    )
    assert DOOR.available_triggers(door, ctx(facts=Facts(payment_reference="k"), reason="r")) == (
        "knock",
        "lock",
        "open",
        "smash",
    )


def test_the_chain_of_a_driven_entity_verifies():
    trail = AuditLog()
    door = new_door(trail)
    for trigger in ["open", "close", "knock", "open", "close"]:
        DOOR.fire(door, trigger, ctx(), trail)
    assert verify_chain(trail.entries("Door", "D-1"), head=door.audit_head).ok


def test_mermaid_diagram_is_drawn_from_the_table():
    text = DOOR.to_mermaid()
    assert text.startswith("stateDiagram-v2\n    [*] --> closed\n")
    assert "    closed --> locked : lock [has_key]\n" in text
    assert "    locked --> broken : smash [reason_given]\n" in text
    assert "    broken --> [*]\n" in text


def test_a_trigger_named_twice_for_one_state_is_refused():
    with pytest.raises(ValueError, match="twice"):
        Lifecycle(
            kind="Door",
            entity_type=Door,
            states=DoorStatus,
            initial=DoorStatus.CLOSED,
            rules=[
                Rule(trigger="open", sources=(DoorStatus.CLOSED,), dest=DoorStatus.OPEN),
                Rule(trigger="open", sources=(DoorStatus.CLOSED,), dest=DoorStatus.BROKEN),
            ],
        )


def test_create_is_a_reserved_trigger():
    with pytest.raises(ValueError, match="reserved"):
        Lifecycle(
            kind="Door",
            entity_type=Door,
            states=DoorStatus,
            initial=DoorStatus.CLOSED,
            rules=[Rule(trigger="create", sources=(DoorStatus.CLOSED,))],
        )


def test_a_context_needs_an_aware_time():
    with pytest.raises(ValidationError, match="timezone-aware"):
        TransitionContext(actor=ALICE, at=datetime(2026, 1, 1))


def test_a_missing_fact_names_the_fact():
    with pytest.raises(ValidationError) as info:
        required(ctx().facts.evidence, "evidence")
    assert info.value.errors[0].path == "facts.evidence"


def test_facts_of_the_wrong_type_are_refused_naming_them():
    with pytest.raises(ValidationError) as info:
        Facts(dispatches=["D-1"])  # type: ignore[list-item]
    assert info.value.errors[0].path.startswith("dispatches")


def test_a_trigger_needs_what_its_guards_and_effects_declare():
    from servicecore.lifecycle import REQUEST
    from servicecore.testing import factories as f

    resolved = f.request(status=RequestStatus.RESOLVED)
    assert REQUEST.needs(resolved, "close") == {
        "closure_policy",
        "processing_orders",
        "evidence",
        "dispatches",
    }
    assert REQUEST.needs(resolved, "no_such_trigger") == frozenset()
    assert REQUEST.create_needs() == {"archive"}


def test_one_machine_serves_every_entity():
    trail = AuditLog()
    doors = [Door(id=f"D-{i}") for i in range(3)]
    for d in doors:
        DOOR.create(d, ctx(), trail)
        DOOR.fire(d, "open", ctx(), trail)
    assert DOOR.machine.models == []
    assert all(d.status is DoorStatus.OPEN for d in doors)


def test_every_fact_is_either_a_related_record_or_an_input():
    import typing

    import attrs as attrs_

    from servicecore.lifecycle.facts import INPUTS, RELATED, FactName

    names = set(attrs_.fields_dict(Facts))
    assert names == set(typing.get_args(FactName)) == RELATED | INPUTS
    assert not RELATED & INPUTS
