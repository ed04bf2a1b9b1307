"""Quotes (seed 004 服务报价): versions, price history, receivables, acceptance, expiry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from desk_actors import CS, HOUR, TECH

from servicecore.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.lifecycle import ARCHIVE, PROCESSING, REQUEST, TransitionContext
from servicecore.lifecycle.facts import Facts
from servicecore.model.actor import SYSTEM
from servicecore.model.common import Money
from servicecore.model.lines import MoneyLine
from servicecore.model.quote import PartLine, QuoteStatus, ServiceLine
from servicecore.services import quotes as q
from servicecore.services.permissions import DEFAULT_RULES, RolePolicy
from servicecore.testing import factories as f
from servicecore.testing.erp_finance import KNOWN_RECEIVABLES, InMemoryReceivables
from servicecore.testing.factories import command_context as cx
from servicecore.testing.factories import job_context as jx

DAY = timedelta(days=1)
# The expiry job is a clock-driven command of its own; this grants it as the host would.
JOB_POLICY = RolePolicy({**DEFAULT_RULES, "expire_quotes": frozenset(SYSTEM.roles)})


def idr(amount):
    return Money(amount, "IDR")


def labour(hours, price="150000", cost="90000"):
    return ServiceLine(
        description="Labour",
        quantity=Decimal(hours),
        unit_price=idr(price),
        unit_cost=idr(cost),
    )


def part(code, qty, price, cost):
    return PartLine(
        part_code=code,
        description=f"Part {code}",
        quantity=Decimal(qty),
        unit_price=idr(price),
        unit_cost=idr(cost),
    )


def draft(uow, clock, quote_id="Q-1", customer="C-1", **kw):
    kw.setdefault("service_lines", (labour("2"),))
    kw.setdefault("valid_until", clock.now() + 14 * DAY)
    return q.draft_quote(
        cx(uow, CS, clock), currency="IDR", customer_id=customer, quote_id=quote_id, **kw
    )


def seed_request(uow, clock, *, with_processing=True, currency="IDR"):
    archive = f.archive()
    ARCHIVE.create(archive, TransitionContext(actor=CS, at=clock.now()), uow.audit)
    ARCHIVE.fire(archive, "register", TransitionContext(actor=CS, at=clock.now()), uow.audit)
    uow.archives.add(archive)
    request = f.request()
    REQUEST.create(
        request,
        TransitionContext(actor=CS, at=clock.now(), facts=Facts(archive=archive)),
        uow.audit,
    )
    uow.requests.add(request)
    if with_processing:
        order = f.processing(
            currency=currency,
            income_lines=(MoneyLine(description="Call-out", amount=Money("50000", currency)),),
        )
        PROCESSING.create(order, TransitionContext(actor=TECH, at=clock.now()), uow.audit)
        uow.processing.add(order)


def test_changed_twice_and_accepted_every_version_priced_right(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        seed_request(uow, clock)
        draft(uow, clock, request_id="R-1", part_lines=(part("RELAY-1", "1", "80000", "50000"),))
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    clock.advance(HOUR)
    with storage.unit_of_work(tenant) as uow:
        q.change_quote(
            cx(uow, CS, clock), "Q-1", "customer wants the cheaper relay",
            part_lines=(part("RELAY-2", "1", "60000", "45000"),),
        )  # fmt: skip
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    clock.advance(HOUR)
    with storage.unit_of_work(tenant) as uow:
        q.change_quote(cx(uow, CS, clock), "Q-1", "one hour less labour")
        q.edit_quote(cx(uow, CS, clock), "Q-1", service_lines=(labour("1"),))
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        done = q.accept_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    assert done.processing_id == "P-1"
    with storage.unit_of_work(tenant) as uow:
        quote = uow.quotes.get("Q-1")
        versions = q.quote_versions(quote)
        order = uow.processing.get("P-1")
        v2 = q.quote_version(cx(uow), "Q-1", 2)
        entries = uow.audit.entries("ProcessingOrder", "P-1")
    assert quote.status is QuoteStatus.ACCEPTED
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.current for v in versions] == [False, False, True]
    assert [v.total_price for v in versions] == [idr(380000), idr(360000), idr(210000)]
    assert [v.total_cost for v in versions] == [idr(230000), idr(225000), idr(135000)]
    assert [v.estimated_profit for v in versions] == [idr(150000), idr(135000), idr(75000)]
    assert versions[0].margin == Decimal(150000) / Decimal(380000)
    assert versions[2].margin == Decimal("75000") / Decimal("210000")
    assert versions[2].estimated_profit == quote.estimated_profit()
    assert versions[2].margin == quote.margin()
    assert v2 == versions[1]
    assert v2.reason == "one hour less labour"
    assert v2.changed_by == CS.id
    assert v2.changed_at == f.NOW + 2 * HOUR
    assert versions[0].reason == "customer wants the cheaper relay"
    assert [x.part_code for x in v2.part_lines] == ["RELAY-2"]
    # The accepted version's lines became income on the request's open processing order.
    category = "quote Q-1 v3"
    assert order.income_lines[0].description == "Call-out"
    assert [(x.amount, x.category) for x in order.income_lines[1:]] == [
        (idr(150000), category),
        (idr(60000), category),
    ]
    assert order.total_income() == idr(50000) + versions[2].total_price
    assert entries[-1].trigger == "record"
    assert done.event.payload["processing_id"] == "P-1"


def test_accept_without_an_open_processing_order_hands_the_lines_to_the_host(
    storage, tenant, clock
):
    with storage.unit_of_work(tenant) as uow:
        seed_request(uow, clock, with_processing=False)
        draft(uow, clock, request_id="R-1")
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        done = q.accept_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    assert done.processing_id is None
    assert done.event.name == "QuoteAccepted"
    assert done.event.payload["processing_id"] is None
    assert done.event.payload["request_id"] == "R-1"
    [line] = done.event.payload["income_lines"]
    assert line["category"] == "quote Q-1 v1"
    assert Decimal(line["amount"]["amount"]) == Decimal(300000)
    with storage.unit_of_work(tenant) as uow:
        assert uow.quotes.get("Q-1").status is QuoteStatus.ACCEPTED


def test_accept_leaves_a_processing_order_in_another_currency_alone(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        seed_request(uow, clock, currency="USD")
        draft(uow, clock, request_id="R-1")
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        done = q.accept_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    assert done.processing_id is None
    with storage.unit_of_work(tenant) as uow:
        assert len(uow.processing.get("P-1").income_lines) == 1


def test_events_for_each_step(open_storage, tenant, clock):
    published = []
    storage = open_storage(publisher=lambda _, events: published.extend(events))
    with storage.unit_of_work(tenant) as uow:
        for quote_id in ("Q-1", "Q-2", "Q-3"):
            draft(uow, clock, quote_id=quote_id)
            q.issue_quote(cx(uow, CS, clock), quote_id)
        q.reject_quote(cx(uow, CS, clock), "Q-1", "too expensive")
        q.void_quote(cx(uow, CS, clock), "Q-2", "wrong customer")
        q.accept_quote(cx(uow, CS, clock), "Q-3")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.quotes.get("Q-1").status is QuoteStatus.REJECTED
        assert uow.quotes.get("Q-2").status is QuoteStatus.VOIDED
        assert uow.quotes.get("Q-3").status is QuoteStatus.ACCEPTED
        trail = [e.trigger for e in uow.audit.entries("Quote", "Q-1")]
    assert trail == ["create", "issue", "reject"]
    seen = [(e.name, e.entity_id) for e in published]
    assert seen == [
        ("QuoteDrafted", "Q-1"),
        ("QuoteIssued", "Q-1"),
        ("QuoteDrafted", "Q-2"),
        ("QuoteIssued", "Q-2"),
        ("QuoteDrafted", "Q-3"),
        ("QuoteIssued", "Q-3"),
        ("QuoteRejected", "Q-1"),
        ("QuoteVoided", "Q-2"),
        ("QuoteAccepted", "Q-3"),
    ]
    rejected = published[6].payload
    assert rejected["reason"] == "too expensive"
    assert Decimal(rejected["total_price"]["amount"]) == Decimal(300000)


def test_price_history_for_customer_and_part_newest_first(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock, "Q-1", part_lines=(part("FAN-1", "1", "100000", "70000"),))
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        clock.advance(DAY)
        q.change_quote(
            cx(uow, CS, clock), "Q-1", "discount",
            part_lines=(part("FAN-1", "1", "95000", "70000"),),
        )  # fmt: skip
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        clock.advance(DAY)
        draft(
            uow, clock, "Q-2", customer="C-2", part_lines=(part("FAN-1", "2", "110000", "72000"),)
        )
        q.issue_quote(cx(uow, CS, clock), "Q-2")
        q.reject_quote(cx(uow, CS, clock), "Q-2", "bought elsewhere")
        # Drafts and voided quotes were never prices anyone was quoted.
        draft(uow, clock, "Q-3", part_lines=(part("FAN-1", "1", "1", "1"),))
        draft(uow, clock, "Q-4", part_lines=(part("FAN-1", "1", "2", "1"),))
        q.issue_quote(cx(uow, CS, clock), "Q-4")
        q.void_quote(cx(uow, CS, clock), "Q-4", "typo")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        fan = q.price_history(cx(uow), part_code="FAN-1")
        mine = q.price_history(cx(uow), "C-1")
        mine_fan = q.price_history(cx(uow), "C-1", "FAN-1")
        newest = q.price_history(cx(uow), part_code="FAN-1", limit=1)
    assert [(r.quote_id, r.quote_version, r.unit_price, r.outcome) for r in fan] == [
        ("Q-2", 1, idr(110000), "rejected"),
        ("Q-1", 2, idr(95000), "issued"),
        ("Q-1", 1, idr(100000), "superseded"),
    ]
    assert [r.quoted_at for r in fan] == [f.NOW + 2 * DAY, f.NOW + DAY, f.NOW]
    assert fan[0].customer_id == "C-2"
    assert fan[0].quantity == Decimal(2)
    assert newest == fan[:1]
    # Without a part, the customer's service lines count too.
    assert [(r.quote_version, r.part_code) for r in mine] == [
        (2, None),
        (2, "FAN-1"),
        (1, None),
        (1, "FAN-1"),
    ]
    assert [r.unit_price for r in mine_fan] == [idr(95000), idr(100000)]


def test_price_history_needs_a_customer_or_a_part(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as raised:
            q.price_history(cx(uow))
        assert raised.value.errors[0].path == "customer_id"
        with pytest.raises(ValidationError) as raised:
            q.price_history(cx(uow), "C-1", limit=0)
        assert raised.value.errors[0].path == "limit"


def test_quote_context_shows_receivables_prices_and_earlier_quotes(storage, tenant, clock):
    erp = InMemoryReceivables(KNOWN_RECEIVABLES)
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock, "Q-1", part_lines=(part("FAN-1", "1", "100000", "70000"),))
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        draft(uow, clock, "Q-2", customer="C-2", part_lines=(part("FAN-1", "1", "90000", "1"),))
        q.issue_quote(cx(uow, CS, clock), "Q-2")
        draft(uow, clock, "Q-3", valid_until=clock.now() + 30 * DAY)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        seen = q.quote_context(cx(uow), erp, "C-1", ["FAN-1", "PUMP-9", "FAN-1"])
    assert seen.receivables_total == {
        "IDR": Money("1250099.99", "IDR"),
        "USD": Money("310.50", "USD"),
    }
    assert {r.document for r in seen.receivables} == {"INV-1001", "INV-1002", "INV-1003"}
    assert list(seen.part_prices) == ["FAN-1", "PUMP-9"]
    assert {r.quote_id for r in seen.part_prices["FAN-1"]} == {"Q-1", "Q-2"}
    assert seen.part_prices["PUMP-9"] == ()
    assert {r.quote_id for r in seen.customer_prices} == {"Q-1"}
    assert [s.quote_id for s in seen.earlier_quotes] == ["Q-3", "Q-1"]
    assert seen.earlier_quotes[1].total_price == idr(400000)
    assert seen.earlier_quotes[1].estimated_profit == idr(150000)
    with storage.unit_of_work(tenant) as uow:
        nobody = q.quote_context(cx(uow), erp, "C-3")
    assert nobody.receivables == ()
    assert nobody.receivables_total == {}


def test_an_issued_quote_cannot_be_edited(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock)
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as raised:
            q.edit_quote(cx(uow, CS, clock), "Q-1", service_lines=(labour("9"),))
        assert raised.value.errors[0].path == "status"
        assert "change it" in str(raised.value)
    with storage.unit_of_work(tenant) as uow:
        quote = uow.quotes.get("Q-1")
    assert quote.service_lines == (labour("2"),)
    assert quote.quote_version == 1


def test_edit_a_draft(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock)
        q.edit_quote(cx(uow, CS, clock), "Q-1", part_lines=(part("FAN-1", "3", "10", "7"),))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        quote = uow.quotes.get("Q-1")
        with pytest.raises(ValidationError) as raised:
            q.edit_quote(cx(uow, CS, clock), "Q-1")
        assert raised.value.errors[0].path == "quote_id"
        with pytest.raises(ValidationError) as raised:
            q.edit_quote(cx(uow, CS, clock), "Q-1", valid_until=clock.now())
        assert raised.value.errors[0].path == "valid_until"
    assert quote.service_lines == (labour("2"),)
    assert quote.total_price() == idr(300030)
    assert quote.quote_version == 1


def test_accept_after_expiry_is_refused(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock, valid_until=clock.now() + DAY)
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    clock.advance(DAY)
    with storage.unit_of_work(tenant) as uow, pytest.raises(TransitionRefused):
        q.accept_quote(cx(uow, CS, clock), "Q-1")
    with storage.unit_of_work(tenant) as uow:
        assert uow.quotes.get("Q-1").status is QuoteStatus.ISSUED


def test_unknown_version_and_unknown_quote(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert q.quote_version(cx(uow), "Q-1", 1).current
        with pytest.raises(NotFound) as raised:
            q.quote_version(cx(uow), "Q-1", 2)
        assert raised.value.kind == "QuoteVersion"
        assert raised.value.id == "Q-1 v2"
        with pytest.raises(NotFound):
            q.quote_version(cx(uow), "Q-9", 1)


def test_lines_in_another_currency_name_the_line(storage, tenant, clock):
    usd = PartLine(
        part_code="FAN-1",
        description="Fan",
        quantity=Decimal(1),
        unit_price=Money("10", "USD"),
        unit_cost=Money("7", "USD"),
    )
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError) as raised:
            draft(uow, clock, part_lines=(part("OK-1", "1", "1", "1"), usd))
        assert raised.value.errors[0].path == "part_lines[1]"
        draft(uow, clock)
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        with pytest.raises(ValidationError) as raised:
            q.change_quote(cx(uow, CS, clock), "Q-1", "priced in dollars", part_lines=(usd,))
        assert raised.value.errors[0].path == "part_lines[0]"
        quote = uow.quotes.get("Q-1")
        assert quote.status is QuoteStatus.ISSUED
        assert quote.quote_version == 1
        assert [e.trigger for e in uow.audit.entries("Quote", "Q-1")] == ["create", "issue"]


def test_draft_refusals(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        seed_request(uow, clock, with_processing=False)
        with pytest.raises(PermissionDenied):
            q.draft_quote(
                cx(uow, TECH, clock), currency="IDR", customer_id="C-1",
                valid_until=clock.now() + DAY, service_lines=(labour("1"),),)  # fmt: skip
        with pytest.raises(ValidationError) as raised:
            draft(uow, clock, customer="C-2", request_id="R-1")
        assert raised.value.errors[0].path == "request_id"
        with pytest.raises(NotFound):
            draft(uow, clock, request_id="R-404")
        with pytest.raises(ValidationError) as raised:
            draft(uow, clock, valid_until=clock.now())
        assert raised.value.errors[0].path == "valid_until"
        with pytest.raises(ValidationError) as raised:
            draft(uow, clock, quote_id="Q" * 51)
        assert raised.value.errors[0].path == "quote_id"
        assert uow.quotes.find("Q-1") is None


def test_lifecycle_refusals(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock, service_lines=())
        with pytest.raises(TransitionRefused):
            q.issue_quote(cx(uow, CS, clock), "Q-1")
        with pytest.raises(InvalidTransition):
            q.change_quote(cx(uow, CS, clock), "Q-1", "not issued yet")
        with pytest.raises(InvalidTransition):
            q.accept_quote(cx(uow, CS, clock), "Q-1")
        q.edit_quote(cx(uow, CS, clock), "Q-1", service_lines=(labour("1"),))
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        with pytest.raises(TransitionRefused):
            q.change_quote(cx(uow, CS, clock), "Q-1", "")
        with pytest.raises(TransitionRefused):
            q.reject_quote(cx(uow, CS, clock), "Q-1", "")


def test_expiry_job(open_storage, tenant, clock):
    storage = open_storage()
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock, "Q-1", valid_until=clock.now() + DAY)
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        draft(uow, clock, "Q-2", valid_until=clock.now() + 2 * DAY)
        q.issue_quote(cx(uow, CS, clock), "Q-2")
        draft(uow, clock, "Q-3", valid_until=clock.now() + DAY)  # a draft never expires
        draft(uow, clock, "Q-4", valid_until=clock.now() + DAY)
        q.issue_quote(cx(uow, CS, clock), "Q-4")
        q.accept_quote(cx(uow, CS, clock), "Q-4")
        uow.commit()
    assert q.expire_quotes(jx(storage, tenant, clock, policy=JOB_POLICY)) == q.ExpiryRun((), ())
    clock.advance(DAY)  # exactly Q-1's validity: no longer acceptable, so expired
    run = q.expire_quotes(jx(storage, tenant, clock, policy=JOB_POLICY))
    assert run == q.ExpiryRun(("Q-1",), ())
    assert q.expire_quotes(jx(storage, tenant, clock, policy=JOB_POLICY)) == q.ExpiryRun((), ())
    with storage.unit_of_work(tenant) as uow:
        statuses = {x: uow.quotes.get(x).status for x in ("Q-1", "Q-2", "Q-3", "Q-4")}
        entry = uow.audit.entries("Quote", "Q-1")[-1]
    assert statuses == {
        "Q-1": QuoteStatus.EXPIRED,
        "Q-2": QuoteStatus.ISSUED,
        "Q-3": QuoteStatus.DRAFT,
        "Q-4": QuoteStatus.ACCEPTED,
    }
    assert (entry.trigger, entry.actor_id) == ("expire", SYSTEM.id)


def test_expiry_job_needs_permission(storage, tenant, clock):
    with pytest.raises(PermissionDenied):
        q.expire_quotes(jx(storage, tenant, clock, actor=TECH, policy=JOB_POLICY))


def test_accept_records_on_one_open_order_only(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        seed_request(uow, clock)
        second = f.processing(id="P-2", dispatch_id="D-2")
        PROCESSING.create(second, TransitionContext(actor=TECH, at=clock.now()), uow.audit)
        uow.processing.add(second)
        draft(uow, clock, request_id="R-1")
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        done = q.accept_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    assert done.processing_id == "P-1"
    with storage.unit_of_work(tenant) as uow:
        assert len(uow.processing.get("P-1").income_lines) == 2
        assert uow.processing.get("P-2").income_lines == ()


class AcceptedMeanwhile:
    """A storage on which another process accepts Q-1 right after the job has listed it."""

    def __init__(self, storage, clock):
        self.storage = storage
        self.clock = clock
        self.opened = 0

    def unit_of_work(self, tenant):
        self.opened += 1
        if self.opened == 2:
            with self.storage.unit_of_work(tenant) as uow:
                q.accept_quote(cx(uow, CS, self.clock), "Q-1")
                uow.commit()
        return self.storage.unit_of_work(tenant)


def test_expiry_job_skips_a_quote_answered_meanwhile(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        draft(uow, clock, "Q-1", valid_until=clock.now() + DAY)
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        draft(uow, clock, "Q-2", valid_until=clock.now() + HOUR)
        q.issue_quote(cx(uow, CS, clock), "Q-2")
        uow.commit()
    # Both are due by then; Q-1 is still acceptable to the other process at its own clock.
    later = type(clock)(clock.now() + 2 * DAY)
    run = q.expire_quotes(jx(AcceptedMeanwhile(storage, clock), tenant, later, policy=JOB_POLICY))
    assert run == q.ExpiryRun(("Q-2",), ("Q-1",))
    with storage.unit_of_work(tenant) as uow:
        assert uow.quotes.get("Q-1").status is QuoteStatus.ACCEPTED
        assert uow.quotes.get("Q-2").status is QuoteStatus.EXPIRED
