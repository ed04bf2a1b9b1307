from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import (
    Money,
    PartCode,
    PartLine,
    Quote,
    QuoteRevision,
    QuoteStatus,
    ServiceLine,
)

T0 = datetime(2025, 4, 1, 8, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


LABOUR = ServiceLine(
    description="labour", quantity=Decimal("2.5"), unit_price=eur("60.00"), unit_cost=eur("35.00")
)
CAP = PartLine(
    part_code=PartCode("CAP-45UF"),
    description="start capacitor",
    quantity=Decimal(3),
    unit_price=eur("12.99"),
    unit_cost=eur("4.33"),
)


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "qt-1",
        "customer_id": "cust-1",
        "currency": "EUR",
        "valid_until": T0 + timedelta(days=30),
        "request_id": "rq-1",
        "service_lines": (LABOUR,),
        "part_lines": (CAP,),
    }
    return {**base, **over}


def revision(n: int) -> QuoteRevision:
    return QuoteRevision(
        quote_version=n,
        service_lines=(LABOUR,),
        part_lines=(),
        valid_until=T0,
        changed_at=T0,
        changed_by="sales-1",
        reason="discount",
    )


def test_valid_quote_builds_as_draft_version_one() -> None:
    quote = Quote(**kwargs())
    assert quote.status is QuoteStatus.DRAFT
    assert quote.quote_version == 1
    assert quote.version == 0


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in QuoteStatus] == [
        "draft",
        "issued",
        "accepted",
        "rejected",
        "voided",
        "expired",
    ]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("customer_id", None),
        ("currency", "euro"),
        ("valid_until", datetime(2025, 5, 1)),
        ("request_id", "rq 1"),
        ("quote_version", 0),
        ("service_lines", [LABOUR]),
        ("part_lines", LABOUR),
        ("revisions", None),
        ("status", "draft"),
        ("version", -1),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_a_part_line_in_the_service_lines_is_refused_naming_its_index() -> None:
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs(service_lines=(LABOUR, CAP)))
    assert caught.value.errors[0].path == "service_lines[1]"


@pytest.mark.parametrize("field", ["service_lines", "part_lines"])
def test_a_line_in_another_currency_is_refused(field: str) -> None:
    cny = Money(Decimal(10), "CNY")
    bad_line = {
        "service_lines": ServiceLine(
            description="x", quantity=Decimal(1), unit_price=cny, unit_cost=cny
        ),
        "part_lines": PartLine(
            part_code=PartCode("P"),
            description="x",
            quantity=Decimal(1),
            unit_price=cny,
            unit_cost=cny,
        ),
    }[field]
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs(**{field: (bad_line,)}))
    assert caught.value.errors[0].path == f"{field}[0]"
    assert caught.value.errors[0].value == cny


def test_a_revision_in_another_currency_is_refused() -> None:
    cny = Money(Decimal(10), "CNY")
    line = ServiceLine(description="x", quantity=Decimal(1), unit_price=cny, unit_cost=cny)
    rev = QuoteRevision(
        quote_version=1,
        service_lines=(line,),
        part_lines=(),
        valid_until=T0,
        changed_at=T0,
        changed_by="s",
        reason="r",
    )
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs(quote_version=2, revisions=(rev,)))
    assert caught.value.errors[0].path == "revisions[0].service_lines[0]"


@pytest.mark.parametrize(("cls", "extra"), [(ServiceLine, {}), (PartLine, {"part_code": "P"})])
def test_a_line_with_price_and_cost_in_different_currencies_is_refused(
    cls: type, extra: dict[str, object]
) -> None:
    cost = Money(Decimal(1), "USD")
    with pytest.raises(ValidationError) as caught:
        cls(description="x", quantity=Decimal(1), unit_price=eur("2"), unit_cost=cost, **extra)
    assert caught.value.errors[0].path == "unit_cost"
    assert caught.value.errors[0].value == cost


@pytest.mark.parametrize("bad", [Decimal(0), Decimal(-1), 1, Decimal("Infinity")])
def test_a_line_quantity_must_be_a_positive_decimal(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceLine(description="x", quantity=bad, unit_price=eur("1"), unit_cost=eur("1"))  # type: ignore[arg-type]
    assert caught.value.errors[0].path == "quantity"


def test_revisions_must_number_upwards_below_the_current_version() -> None:
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs(quote_version=3, revisions=(revision(2), revision(1))))
    assert caught.value.errors[0].path == "revisions[1].quote_version"
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs(quote_version=2, revisions=(revision(1), revision(2))))
    assert caught.value.errors[0].path == "quote_version"
    assert caught.value.errors[0].value == 2


def test_totals_profit_and_margin_to_the_cent() -> None:
    quote = Quote(**kwargs())
    # labour 2.5 x 60.00 = 150.00 (cost 87.50); parts 3 x 12.99 = 38.97 (cost 12.99)
    assert quote.total_price() == eur("188.97")
    assert quote.total_cost() == eur("100.49")
    assert quote.estimated_profit() == eur("88.48")
    assert quote.margin() == Decimal("88.48") / Decimal("188.97")


def test_a_loss_making_quote_has_negative_profit() -> None:
    line = ServiceLine(
        description="goodwill", quantity=Decimal(1), unit_price=eur("10"), unit_cost=eur("25")
    )
    quote = Quote(**kwargs(service_lines=(line,), part_lines=()))
    assert quote.estimated_profit() == eur("-15")
    assert quote.margin() == Decimal("-1.5")


def test_an_empty_quote_totals_zero_and_has_no_margin() -> None:
    quote = Quote(**kwargs(service_lines=(), part_lines=()))
    assert quote.total_price() == Money.zero("EUR")
    assert quote.margin() is None


def test_snapshot_freezes_the_current_version() -> None:
    quote = Quote(**kwargs(quote_version=2, revisions=(revision(1),)))
    snap = quote.snapshot(T0 + timedelta(hours=1), "sales-2", "customer asked for more parts")
    assert snap.quote_version == 2
    assert snap.service_lines == (LABOUR,)
    assert snap.part_lines == (CAP,)
    assert snap.valid_until == quote.valid_until
    assert snap.changed_by == "sales-2"
    # A snapshot of version n followed by version n + 1 is a valid history.
    assert Quote(**kwargs(quote_version=3, revisions=(revision(1), snap))).quote_version == 3


def test_snapshot_refuses_a_blank_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        Quote(**kwargs()).snapshot(T0, "sales-2", " ")
    assert caught.value.errors[0].path == "reason"
