from datetime import timedelta

import attrs
import pytest
from factories import (
    NOW,
    TECH,
    archive,
    completed_processing,
    ctx,
    dispatch,
    photo,
    processing,
    request,
)

from servicecore.errors import ClosurePolicyError, InvalidTransition, TransitionRefused
from servicecore.lifecycle import ARCHIVE, DISPATCH, REQUEST, available_triggers
from servicecore.lifecycle.facts import Facts
from servicecore.model.archive import ArchiveStatus
from servicecore.model.audit import AuditLog, verify_chain
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import EvidenceKind, ServiceType
from servicecore.model.processing import ProcessingStatus
from servicecore.model.request import RequestStatus

REGISTERED = archive(status=ArchiveStatus.REGISTERED)


def opened(trail: AuditLog, **kw: object):
    req = request(**kw)
    REQUEST.create(req, ctx(facts=Facts(archive=REGISTERED)), trail)
    return req


def in_progress(trail: AuditLog):
    req = opened(trail)
    d = dispatch(status=DispatchStatus.IN_PROGRESS)
    REQUEST.fire(req, "assign", ctx(facts=Facts(dispatches=[d])), trail)
    REQUEST.fire(req, "start", ctx(facts=Facts(dispatches=[d])), trail)
    return req


def resolved(trail: AuditLog):
    req = in_progress(trail)
    done = completed_processing(status=ProcessingStatus.COMPLETED)
    REQUEST.fire(req, "resolve", ctx(facts=Facts(processing_orders=[done])), trail)
    return req


def closing_facts(before: int = 3, after: int = 3, policy: ClosurePolicy | None = None):
    evidence = [photo(i, EvidenceKind.PHOTO_BEFORE) for i in range(before)]
    evidence += [photo(i, EvidenceKind.PHOTO_AFTER) for i in range(after)]
    return Facts(
        processing_orders=[completed_processing(status=ProcessingStatus.COMPLETED)],
        dispatches=(),
        evidence=evidence,
        closure_policy=policy or ClosurePolicy(min_photos_before=3, min_photos_after=3),
    )


def test_a_request_for_a_registered_archive_opens():
    trail = AuditLog()
    req = opened(trail)
    assert req.status is RequestStatus.OPEN
    assert trail.head("ServiceRequest", "R-1").trigger == "create"  # type: ignore[union-attr]


@pytest.mark.parametrize("status", [ArchiveStatus.DRAFT, ArchiveStatus.INVALIDATED])
def test_an_archive_that_is_not_registered_takes_no_request(status):
    trail = AuditLog()
    with pytest.raises(TransitionRefused, match=status.value) as info:
        REQUEST.create(request(), ctx(facts=Facts(archive=archive(status=status))), trail)
    assert info.value.guard == "archive_registered"
    assert len(trail) == 0


def test_an_archive_invalidated_through_its_lifecycle_takes_no_request():
    trail = AuditLog()
    a = archive()
    ARCHIVE.create(a, ctx(), trail)
    ARCHIVE.fire(a, "register", ctx(), trail)
    ARCHIVE.fire(a, "invalidate", ctx(reason="scrapped after flood"), trail)
    with pytest.raises(TransitionRefused, match="invalidated"):
        REQUEST.create(request(), ctx(facts=Facts(archive=a)), trail)


def test_the_archive_given_must_be_the_one_the_request_names():
    with pytest.raises(TransitionRefused, match="names A-1"):
        REQUEST.create(request(), ctx(facts=Facts(archive=archive(id="A-2"))), AuditLog())


def test_a_consult_request_needs_no_archive():
    trail = AuditLog()
    req = request(service_type=ServiceType.CONSULT, archive_id=None)
    REQUEST.create(req, ctx(), trail)
    assert req.status is RequestStatus.OPEN


def test_a_consult_request_closes_directly_without_dispatch():
    trail = AuditLog()
    req = request(service_type=ServiceType.CONSULT, archive_id=None)
    REQUEST.create(req, ctx(), trail)
    REQUEST.fire(req, "close", ctx(reason="Explained the filter cleaning steps"), trail)
    assert req.status is RequestStatus.CLOSED
    assert req.closure is not None
    assert req.closure.summary == "Explained the filter cleaning steps"


def test_a_repair_request_does_not_close_directly():
    trail = AuditLog()
    req = opened(trail)
    with pytest.raises(TransitionRefused, match="only consults") as info:
        REQUEST.fire(req, "close", ctx(reason="done"), trail)
    assert info.value.guard == "closes_directly"


def test_assign_needs_a_live_dispatch_order():
    trail = AuditLog()
    req = opened(trail)
    rejected = dispatch(status=DispatchStatus.REJECTED)
    with pytest.raises(TransitionRefused, match="no dispatch order"):
        REQUEST.fire(req, "assign", ctx(facts=Facts(dispatches=[rejected])), trail)
    REQUEST.fire(req, "assign", ctx(facts=Facts(dispatches=[dispatch()])), trail)
    assert req.status is RequestStatus.ASSIGNED


def test_dispatch_orders_of_other_requests_do_not_count():
    trail = AuditLog()
    req = opened(trail)
    with pytest.raises(TransitionRefused):
        REQUEST.fire(
            req, "assign", ctx(facts=Facts(dispatches=[dispatch(request_id="R-9")])), trail
        )


def test_a_revoked_dispatch_leaves_the_request_assignable_again():
    trail = AuditLog()
    req = opened(trail)
    d = dispatch()
    DISPATCH.create(d, ctx(facts=Facts(request=req)), trail)
    REQUEST.fire(req, "assign", ctx(facts=Facts(dispatches=[d])), trail)
    with pytest.raises(TransitionRefused, match="still live: D-1"):
        REQUEST.fire(req, "unassign", ctx(facts=Facts(dispatches=[d])), trail)
    DISPATCH.fire(d, "revoke", ctx(reason="technician left the company"), trail)
    REQUEST.fire(req, "unassign", ctx(facts=Facts(dispatches=[d])), trail)
    assert req.status is RequestStatus.OPEN
    assert "assign" in available_triggers(req)


def test_start_needs_a_dispatch_in_progress_and_stamps_the_response():
    trail = AuditLog()
    req = opened(trail)
    d = dispatch(status=DispatchStatus.ACCEPTED)
    REQUEST.fire(req, "assign", ctx(facts=Facts(dispatches=[d])), trail)
    with pytest.raises(TransitionRefused, match="in progress"):
        REQUEST.fire(req, "start", ctx(facts=Facts(dispatches=[d])), trail)
    d.status = DispatchStatus.IN_PROGRESS
    later = NOW + timedelta(hours=2)
    REQUEST.fire(req, "start", ctx(at=later, facts=Facts(dispatches=[d])), trail)
    assert req.responded_at == later


def test_each_finished_hold_period_is_kept_on_the_request():
    trail = AuditLog()
    req = in_progress(trail)
    REQUEST.fire(req, "hold", ctx(at=NOW, reason="waiting for parts"), trail)
    assert req.holds == ()
    REQUEST.fire(req, "resume", ctx(at=NOW + timedelta(hours=5)), trail)
    REQUEST.fire(req, "hold", ctx(at=NOW + timedelta(hours=6), reason="customer away"), trail)
    REQUEST.fire(req, "resume", ctx(at=NOW + timedelta(hours=7)), trail)
    assert req.holds == (
        TimeRange(NOW, NOW + timedelta(hours=5)),
        TimeRange(NOW + timedelta(hours=6), NOW + timedelta(hours=7)),
    )


def test_time_on_hold_is_added_up():
    trail = AuditLog()
    req = in_progress(trail)
    REQUEST.fire(req, "hold", ctx(at=NOW, reason="waiting for parts"), trail)
    assert req.held_since == NOW
    REQUEST.fire(req, "resume", ctx(at=NOW + timedelta(hours=5)), trail)
    REQUEST.fire(req, "hold", ctx(at=NOW + timedelta(hours=6), reason="customer away"), trail)
    REQUEST.fire(req, "resume", ctx(at=NOW + timedelta(hours=7)), trail)
    assert req.on_hold_total == timedelta(hours=6)
    assert req.held_since is None


def test_hold_needs_a_reason():
    trail = AuditLog()
    req = in_progress(trail)
    with pytest.raises(TransitionRefused, match="reason"):
        REQUEST.fire(req, "hold", ctx(), trail)


def test_resolve_needs_every_processing_order_complete():
    trail = AuditLog()
    req = in_progress(trail)
    open_order = processing(id="P-2")
    done = completed_processing(status=ProcessingStatus.COMPLETED)
    with pytest.raises(TransitionRefused, match="still open: P-2"):
        REQUEST.fire(req, "resolve", ctx(facts=Facts(processing_orders=[done, open_order])), trail)
    with pytest.raises(TransitionRefused, match="no completed"):
        REQUEST.fire(req, "resolve", ctx(facts=Facts(processing_orders=[])), trail)
    REQUEST.fire(req, "resolve", ctx(facts=Facts(processing_orders=[done])), trail)
    assert req.status is RequestStatus.RESOLVED


def test_close_is_refused_with_closure_policy_error_when_photos_are_missing():
    trail = AuditLog()
    req = resolved(trail)
    with pytest.raises(ClosurePolicyError, match="photo_after: 1 on record, 3 required") as info:
        REQUEST.fire(req, "close", ctx(reason="fixed", facts=closing_facts(after=1)), trail)
    assert info.value.guard == "closure_policy"
    assert req.status is RequestStatus.RESOLVED
    assert req.closure is None


def test_close_is_accepted_once_the_photos_are_there():
    trail = AuditLog()
    req = resolved(trail)
    REQUEST.fire(req, "close", ctx(actor=TECH, reason="fixed", facts=closing_facts()), trail)
    assert req.status is RequestStatus.CLOSED
    assert req.closure is not None
    assert req.closure.closed_by == TECH.id


def test_photos_of_another_request_do_not_count():
    trail = AuditLog()
    req = resolved(trail)
    facts = closing_facts(after=0)
    others = [photo(i, EvidenceKind.PHOTO_AFTER, request_id="R-2") for i in range(3)]
    facts = attrs.evolve(facts, evidence=(*(facts.evidence or ()), *others))
    with pytest.raises(ClosurePolicyError):
        REQUEST.fire(req, "close", ctx(reason="fixed", facts=facts), trail)


def test_close_requires_the_signature_when_the_policy_says_so():
    trail = AuditLog()
    req = resolved(trail)
    policy = ClosurePolicy(require_signature=True)
    with pytest.raises(ClosurePolicyError, match="signature"):
        REQUEST.fire(req, "close", ctx(reason="x", facts=closing_facts(policy=policy)), trail)


def test_close_requires_a_fault_cause_by_default():
    trail = AuditLog()
    req = resolved(trail)
    facts = attrs.evolve(
        closing_facts(policy=ClosurePolicy()),
        processing_orders=[
            completed_processing(status=ProcessingStatus.COMPLETED, fault_cause=None)
        ],
    )
    with pytest.raises(ClosurePolicyError, match="fault cause"):
        REQUEST.fire(req, "close", ctx(reason="x", facts=facts), trail)


def test_a_missing_fact_is_a_validation_error_naming_it():
    from servicecore.errors import ValidationError

    trail = AuditLog()
    req = resolved(trail)
    with pytest.raises(ValidationError, match=r"facts\.closure_policy"):
        REQUEST.fire(
            req,
            "close",
            ctx(reason="x", facts=Facts(processing_orders=closing_facts().processing_orders)),
            trail,
        )


def test_cancel_needs_every_dispatch_revoked_first():
    trail = AuditLog()
    req = opened(trail)
    d = dispatch()
    REQUEST.fire(req, "assign", ctx(facts=Facts(dispatches=[d])), trail)
    with pytest.raises(TransitionRefused, match="still live"):
        REQUEST.fire(
            req, "cancel", ctx(reason="customer fixed it", facts=Facts(dispatches=[d])), trail
        )
    d.status = DispatchStatus.REVOKED
    REQUEST.fire(req, "cancel", ctx(reason="customer fixed it", facts=Facts(dispatches=[d])), trail)
    assert req.status is RequestStatus.CANCELLED


def test_a_closed_request_allows_nothing_more():
    trail = AuditLog()
    req = resolved(trail)
    REQUEST.fire(req, "close", ctx(reason="ok", facts=closing_facts()), trail)
    assert available_triggers(req) == ()
    with pytest.raises(InvalidTransition, match="final state"):
        REQUEST.fire(req, "reopen", ctx(reason="again"), trail)


def test_reopen_sends_a_resolved_request_back_to_work():
    trail = AuditLog()
    req = resolved(trail)
    REQUEST.fire(req, "reopen", ctx(reason="noise came back"), trail)
    assert req.status is RequestStatus.IN_PROGRESS


def test_the_whole_story_leaves_an_intact_chain():
    trail = AuditLog()
    req = resolved(trail)
    REQUEST.fire(req, "close", ctx(reason="ok", facts=closing_facts()), trail)
    entries = trail.entries("ServiceRequest", "R-1")
    assert [e.trigger for e in entries] == ["create", "assign", "start", "resolve", "close"]
    assert verify_chain(entries, head=req.audit_head).ok
