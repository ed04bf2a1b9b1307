"""Quote, contract and care plan lifecycles."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from factories import NOW, SUPERVISOR, care_plan, contract, ctx, quote

from servicecore.errors import TransitionRefused
from servicecore.lifecycle import CARE, CONTRACT, QUOTE
from servicecore.lifecycle.facts import Facts
from servicecore.model.audit import AuditLog
from servicecore.model.care import CareStatus
from servicecore.model.common import Money
from servicecore.model.contract import ContractStatus
from servicecore.model.quote import PartLine, QuoteStatus


def issued(trail: AuditLog):
    q = quote()
    QUOTE.create(q, ctx(), trail)
    QUOTE.fire(q, "issue", ctx(), trail)
    return q


def test_a_quote_without_lines_is_not_issued():
    trail = AuditLog()
    q = quote(service_lines=())
    QUOTE.create(q, ctx(), trail)
    with pytest.raises(TransitionRefused, match="no lines"):
        QUOTE.fire(q, "issue", ctx(), trail)


def test_a_quote_past_its_validity_is_not_issued():
    trail = AuditLog()
    q = quote()
    QUOTE.create(q, ctx(), trail)
    with pytest.raises(TransitionRefused, match="not after"):
        QUOTE.fire(q, "issue", ctx(at=NOW + timedelta(days=30)), trail)


def test_a_changed_quote_becomes_a_new_version_and_keeps_the_old_one():
    trail = AuditLog()
    q = issued(trail)
    first_lines = q.service_lines
    QUOTE.fire(q, "change", ctx(actor=SUPERVISOR, reason="customer asked for a part"), trail)
    assert (q.status, q.quote_version) == (QuoteStatus.DRAFT, 2)
    assert len(q.revisions) == 1
    kept = q.revisions[0]
    assert (kept.quote_version, kept.service_lines, kept.changed_by) == (1, first_lines, "sup-1")
    part = PartLine(
        part_code="RELAY-7",
        description="Compressor relay",
        quantity=Decimal(1),
        unit_price=Money("80000", "IDR"),
        unit_cost=Money("45000", "IDR"),
    )
    q.part_lines = (part,)
    QUOTE.fire(q, "issue", ctx(), trail)
    QUOTE.fire(q, "change", ctx(reason="discount"), trail)
    assert q.quote_version == 3
    assert [r.quote_version for r in q.revisions] == [1, 2]
    assert q.revisions[1].part_lines == (part,)


def test_change_needs_a_reason():
    trail = AuditLog()
    q = issued(trail)
    with pytest.raises(TransitionRefused, match="reason"):
        QUOTE.fire(q, "change", ctx(), trail)


def test_accept_is_refused_after_the_validity_date():
    trail = AuditLog()
    q = issued(trail)
    with pytest.raises(TransitionRefused, match="not after"):
        QUOTE.fire(q, "accept", ctx(at=q.valid_until), trail)
    QUOTE.fire(q, "accept", ctx(at=q.valid_until - timedelta(seconds=1)), trail)
    assert q.status is QuoteStatus.ACCEPTED


def test_expire_only_after_the_validity_date():
    trail = AuditLog()
    q = issued(trail)
    with pytest.raises(TransitionRefused, match="still valid"):
        QUOTE.fire(q, "expire", ctx(), trail)
    QUOTE.fire(q, "expire", ctx(at=q.valid_until), trail)
    assert q.status is QuoteStatus.EXPIRED


@pytest.mark.parametrize("trigger", ["void", "reject"])
def test_void_and_reject_need_a_reason(trigger):
    trail = AuditLog()
    q = issued(trail)
    with pytest.raises(TransitionRefused, match="reason"):
        QUOTE.fire(q, trigger, ctx(), trail)
    QUOTE.fire(q, trigger, ctx(reason="too expensive"), trail)
    assert q.status in (QuoteStatus.VOIDED, QuoteStatus.REJECTED)


def active_contract(trail: AuditLog):
    k = contract()
    CONTRACT.create(k, ctx(), trail)
    CONTRACT.fire(k, "activate", ctx(), trail)
    return k


def test_a_contract_whose_period_is_over_does_not_activate():
    trail = AuditLog()
    k = contract(end=date(2026, 3, 1))
    CONTRACT.create(k, ctx(), trail)
    with pytest.raises(TransitionRefused, match="ended on 2026-03-01"):
        CONTRACT.fire(k, "activate", ctx(), trail)


def test_a_contract_is_extended_with_its_history_kept():
    trail = AuditLog()
    k = active_contract(trail)
    CONTRACT.fire(
        k, "extend", ctx(reason="renewed for 2027", facts=Facts(new_end=date(2027, 12, 31))), trail
    )
    assert k.end == date(2027, 12, 31)
    (ext,) = k.extensions
    assert (ext.old_end, ext.new_end, ext.reason) == (
        date(2026, 12, 31),
        date(2027, 12, 31),
        "renewed for 2027",
    )


def test_an_extension_must_move_the_end_later():
    trail = AuditLog()
    k = active_contract(trail)
    with pytest.raises(TransitionRefused, match="not after"):
        CONTRACT.fire(k, "extend", ctx(reason="x", facts=Facts(new_end=date(2026, 6, 30))), trail)
    assert k.extensions == ()


def test_a_contract_expires_only_after_its_end_in_its_own_timezone():
    trail = AuditLog()
    k = active_contract(trail)
    # 2026-12-31 17:30 UTC is already 2027-01-01 00:30 in Jakarta (UTC+7).
    from datetime import UTC, datetime

    with pytest.raises(TransitionRefused, match="runs until"):
        CONTRACT.fire(k, "expire", ctx(at=datetime(2026, 12, 31, 16, 0, tzinfo=UTC)), trail)
    CONTRACT.fire(k, "expire", ctx(at=datetime(2026, 12, 31, 17, 30, tzinfo=UTC)), trail)
    assert k.status is ContractStatus.EXPIRED


def test_an_expired_contract_is_renewed_by_extension():
    trail = AuditLog()
    k = active_contract(trail)
    later = NOW + timedelta(days=400)
    CONTRACT.fire(k, "expire", ctx(at=later), trail)
    CONTRACT.fire(
        k, "extend", ctx(at=later, reason="renewal", facts=Facts(new_end=date(2028, 1, 1))), trail
    )
    assert k.status is ContractStatus.ACTIVE


def test_terminate_needs_a_reason():
    trail = AuditLog()
    k = active_contract(trail)
    with pytest.raises(TransitionRefused, match="reason"):
        CONTRACT.fire(k, "terminate", ctx(), trail)
    CONTRACT.fire(k, "terminate", ctx(reason="customer sold the building"), trail)
    assert k.status is ContractStatus.TERMINATED


def test_a_care_plan_needs_participants_to_activate():
    trail = AuditLog()
    plan = care_plan(participants=())
    CARE.create(plan, ctx(), trail)
    with pytest.raises(TransitionRefused, match="no participants"):
        CARE.fire(plan, "activate", ctx(), trail)


def test_a_care_plan_executes_only_inside_its_schedule():
    trail = AuditLog()
    plan = care_plan()
    CARE.create(plan, ctx(), trail)
    CARE.fire(plan, "activate", ctx(), trail)
    with pytest.raises(TransitionRefused, match="runs"):
        CARE.fire(plan, "execute", ctx(), trail)
    CARE.fire(plan, "execute", ctx(at=plan.schedule.start), trail)
    CARE.fire(plan, "close", ctx(), trail)
    assert plan.status is CareStatus.CLOSED


def test_an_executing_care_plan_cannot_be_invalidated():
    from servicecore.errors import InvalidTransition

    trail = AuditLog()
    plan = care_plan()
    CARE.create(plan, ctx(), trail)
    CARE.fire(plan, "activate", ctx(), trail)
    CARE.fire(plan, "execute", ctx(at=plan.schedule.start), trail)
    with pytest.raises(InvalidTransition, match="allowed: close"):
        CARE.fire(plan, "invalidate", ctx(reason="x"), trail)
