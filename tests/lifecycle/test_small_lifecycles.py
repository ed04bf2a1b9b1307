"""Processing order and product archive lifecycles, and the registry."""

from decimal import Decimal

import pytest
from factories import archive, completed_processing, ctx, processing

from servicecore.errors import TransitionRefused, ValidationError
from servicecore.lifecycle import ARCHIVE, LIFECYCLES, PROCESSING, lifecycle_of
from servicecore.lifecycle.facts import Facts
from servicecore.model.archive import ArchiveStatus
from servicecore.model.audit import AuditLog
from servicecore.model.enums import SolutionType
from servicecore.model.processing import ProcessingStatus


def test_processing_completes_only_when_required_fields_are_filled():
    trail = AuditLog()
    order = processing()
    PROCESSING.create(order, ctx(), trail)
    with pytest.raises(TransitionRefused, match="solution_type, solution_text, labour_hours"):
        PROCESSING.fire(order, "complete", ctx(), trail)
    order.solution_type = SolutionType.RETURN_REPAIR
    order.solution_text = "Cleaned the coil"
    order.labour_hours = Decimal("0.75")
    PROCESSING.fire(order, "complete", ctx(), trail)
    assert order.status is ProcessingStatus.COMPLETED


def test_a_repair_with_loaner_needs_the_loaner_recorded():
    trail = AuditLog()
    order = completed_processing(solution_type=SolutionType.REPAIR_WITH_LOANER)
    PROCESSING.create(order, ctx(), trail)
    with pytest.raises(TransitionRefused, match="loaners"):
        PROCESSING.fire(order, "complete", ctx(), trail)


@pytest.mark.parametrize("trigger", ["cancel"])
def test_processing_cancel_needs_a_reason(trigger):
    trail = AuditLog()
    order = processing()
    PROCESSING.create(order, ctx(), trail)
    with pytest.raises(TransitionRefused, match="reason"):
        PROCESSING.fire(order, trigger, ctx(), trail)


def test_an_archive_is_registered_then_invalidated_with_a_reason():
    trail = AuditLog()
    a = archive()
    ARCHIVE.create(a, ctx(), trail)
    ARCHIVE.fire(a, "register", ctx(), trail)
    with pytest.raises(TransitionRefused, match="reason"):
        ARCHIVE.fire(a, "invalidate", ctx(), trail)
    ARCHIVE.fire(a, "invalidate", ctx(reason="service expired"), trail)
    assert a.status is ArchiveStatus.INVALIDATED


def test_every_lifecycle_is_registered_by_its_entity_type():
    for lifecycle in LIFECYCLES.values():
        assert lifecycle.entity_type.__name__ == lifecycle.kind


def test_lifecycle_of_an_entity_without_one_is_a_validation_error():
    with pytest.raises(ValidationError, match="has no lifecycle"):
        lifecycle_of(object())


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_state_is_reachable_from_the_initial_state(name):
    lifecycle = LIFECYCLES[name]
    seen = {lifecycle.initial}
    frontier = [lifecycle.initial]
    while frontier:
        state = frontier.pop()
        for trigger in lifecycle.allowed(state):
            rule = lifecycle.rule_for(trigger, state)
            assert rule is not None
            dest = state if rule.dest is None else rule.dest
            if dest not in seen:
                seen.add(dest)
                frontier.append(dest)
    assert seen == set(lifecycle.states)


def test_recording_work_changes_only_recordable_fields_and_is_audited():
    trail = AuditLog()
    order = processing()
    PROCESSING.create(order, ctx(), trail)
    entry = PROCESSING.fire(
        order, "record", ctx(facts=Facts(changes={"labour_hours": Decimal("2.5")})), trail
    )
    assert order.labour_hours == Decimal("2.5")
    assert (entry.trigger, entry.to_state) == ("record", "open")
    with pytest.raises(TransitionRefused, match="cannot record status"):
        PROCESSING.fire(order, "record", ctx(facts=Facts(changes={"status": "completed"})), trail)


def test_a_bad_recorded_value_is_refused_and_changes_nothing():
    from servicecore.errors import ValidationError

    trail = AuditLog()
    order = processing()
    PROCESSING.create(order, ctx(), trail)
    with pytest.raises(ValidationError, match="labour_hours"):
        PROCESSING.fire(order, "record", ctx(facts=Facts(changes={"labour_hours": -1})), trail)
    assert order.labour_hours == Decimal(0)
    assert len(trail) == 1


def test_exchanged_parts_update_a_registered_archive():
    from servicecore.model.archive import ArchivePart

    trail = AuditLog()
    a = archive(parts=(ArchivePart(part_code="RELAY-7", quantity=1, serial="R-OLD"),))
    ARCHIVE.create(a, ctx(), trail)
    ARCHIVE.fire(a, "register", ctx(), trail)
    new = ArchivePart(part_code="RELAY-7", quantity=1, serial="R-NEW")
    old = ArchivePart(part_code="RELAY-7", quantity=1, serial="R-OLD")
    ARCHIVE.fire(
        a, "replace_parts", ctx(facts=Facts(removed_parts=(old,), installed_parts=(new,))), trail
    )
    assert a.parts == (new,)
