import pytest
from factories import NOW, OTHER_TECH, SUPERVISOR, TECH, ctx, dispatch, request

from servicecore.errors import TransitionRefused
from servicecore.lifecycle import DISPATCH, available_triggers
from servicecore.lifecycle.facts import Facts
from servicecore.model.audit import AuditLog
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.request import RequestStatus


def created(trail: AuditLog):
    d = dispatch()
    DISPATCH.create(d, ctx(actor=SUPERVISOR, facts=Facts(request=request())), trail)
    return d


@pytest.mark.parametrize(
    "status", [RequestStatus.CLOSED, RequestStatus.CANCELLED, RequestStatus.RESOLVED]
)
def test_a_finished_request_takes_no_new_dispatch(status):
    with pytest.raises(TransitionRefused, match="takes no new dispatch"):
        DISPATCH.create(dispatch(), ctx(facts=Facts(request=request(status=status))), AuditLog())


def test_the_request_given_must_be_the_orders_request():
    with pytest.raises(TransitionRefused, match="names R-1"):
        DISPATCH.create(dispatch(), ctx(facts=Facts(request=request(id="R-2"))), AuditLog())


def test_the_assigned_technician_accepts_and_the_time_is_kept():
    trail = AuditLog()
    d = created(trail)
    DISPATCH.fire(d, "accept", ctx(actor=TECH), trail)
    assert d.status is DispatchStatus.ACCEPTED
    assert d.accepted_at == NOW


@pytest.mark.parametrize("trigger", ["accept", "reject"])
@pytest.mark.parametrize("actor", [OTHER_TECH, SUPERVISOR])
def test_only_the_assigned_technician_accepts_or_rejects(trigger, actor):
    trail = AuditLog()
    d = created(trail)
    with pytest.raises(TransitionRefused, match="only technician T-7") as info:
        DISPATCH.fire(d, trigger, ctx(actor=actor, reason="busy"), trail)
    assert info.value.guard == "by_assigned_technician"
    assert d.status is DispatchStatus.ASSIGNED


def test_reject_needs_a_reason_and_keeps_it():
    trail = AuditLog()
    d = created(trail)
    with pytest.raises(TransitionRefused, match="reason"):
        DISPATCH.fire(d, "reject", ctx(actor=TECH), trail)
    DISPATCH.fire(d, "reject", ctx(actor=TECH, reason="no ladder for a 4 m unit"), trail)
    assert d.status is DispatchStatus.REJECTED
    assert d.reject_reason == "no ladder for a 4 m unit"


@pytest.mark.parametrize("accepted_first", [False, True])
def test_revoke_needs_a_reason_and_keeps_it(accepted_first):
    trail = AuditLog()
    d = created(trail)
    if accepted_first:
        DISPATCH.fire(d, "accept", ctx(actor=TECH), trail)
    with pytest.raises(TransitionRefused, match="reason"):
        DISPATCH.fire(d, "revoke", ctx(actor=SUPERVISOR), trail)
    DISPATCH.fire(d, "revoke", ctx(actor=SUPERVISOR, reason="wrong assignment"), trail)
    assert (d.status, d.revoke_reason) == (DispatchStatus.REVOKED, "wrong assignment")


def test_work_in_progress_cannot_be_revoked():
    trail = AuditLog()
    d = created(trail)
    DISPATCH.fire(d, "accept", ctx(actor=TECH), trail)
    DISPATCH.fire(d, "start", ctx(actor=TECH), trail)
    assert "revoke" not in available_triggers(d)


def test_start_and_complete_are_the_technicians_and_are_stamped():
    trail = AuditLog()
    d = created(trail)
    DISPATCH.fire(d, "accept", ctx(actor=TECH), trail)
    with pytest.raises(TransitionRefused):
        DISPATCH.fire(d, "start", ctx(actor=OTHER_TECH), trail)
    DISPATCH.fire(d, "start", ctx(actor=TECH), trail)
    DISPATCH.fire(d, "complete", ctx(actor=TECH), trail)
    assert d.status is DispatchStatus.COMPLETED
    assert d.started_at == NOW
    assert d.completed_at == NOW


def test_available_triggers_with_context_reflect_who_asks():
    trail = AuditLog()
    d = created(trail)
    assert available_triggers(d, ctx(actor=TECH)) == ("accept",)
    assert available_triggers(d, ctx(actor=TECH, reason="sick")) == (
        "accept",
        "move",
        "reassign",
        "reject",
        "revoke",
    )
    assert available_triggers(d, ctx(actor=SUPERVISOR, reason="x")) == (
        "move",
        "reassign",
        "revoke",
    )
