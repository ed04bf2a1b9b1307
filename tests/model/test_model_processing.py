from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import (
    Loaner,
    Money,
    MoneyLine,
    PartCode,
    PartUsage,
    ProcessingOrder,
    ProcessingStatus,
    ReturnedPart,
    SolutionType,
)

T0 = datetime(2025, 4, 1, 8, tzinfo=UTC)


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def line(amount: str, category: str = "labour") -> MoneyLine:
    return MoneyLine(description=category, amount=cny(amount), category=category)


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "pr-1",
        "request_id": "rq-1",
        "dispatch_id": "dp-1",
        "currency": "CNY",
    }
    return {**base, **over}


def complete_kwargs(**over: Any) -> dict[str, Any]:
    return kwargs(
        solution_type=SolutionType.RETURN_REPAIR,
        solution_text="更换启动电容",
        labour_hours=Decimal("1.5"),
        **over,
    )


def test_valid_processing_order_builds_open_with_nothing_filled() -> None:
    order = ProcessingOrder(**kwargs())
    assert order.status is ProcessingStatus.OPEN
    assert order.labour_hours == 0
    assert order.total_income() == Money.zero("CNY")


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in ProcessingStatus] == ["open", "completed", "cancelled"]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("request_id", "rq 1"),
        ("dispatch_id", None),
        ("currency", "cny"),
        ("solution_type", "sale"),
        ("solution_text", ""),
        ("fault_cause", 3),
        ("labour_hours", Decimal(-1)),
        ("labour_hours", 1.5),
        ("labour_hours", Decimal("NaN")),
        ("parts_used", [PartUsage(part_code=PartCode("C"), quantity=1, unit_price=cny("3"))]),
        ("returned_parts", "C"),
        ("loaners", None),
        ("income_lines", line("1")),
        ("cost_lines", [line("1")]),
        ("status", "open"),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ProcessingOrder(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    if isinstance(bad, Decimal) and bad.is_nan():
        assert caught.value.errors[0].value.is_nan()  # type: ignore[attr-defined]
    else:
        assert caught.value.errors[0].value == bad


@pytest.mark.parametrize("field", ["income_lines", "cost_lines"])
def test_a_line_in_another_currency_is_refused_naming_its_index(field: str) -> None:
    eur = MoneyLine(description="travel", amount=Money(Decimal(5), "EUR"))
    with pytest.raises(ValidationError) as caught:
        ProcessingOrder(**kwargs(**{field: (line("10"), eur)}))
    assert caught.value.errors[0].path == f"{field}[1]"
    assert caught.value.errors[0].value == eur.amount


def test_a_part_priced_in_another_currency_is_refused() -> None:
    usd = PartUsage(part_code=PartCode("CAP-45UF"), quantity=1, unit_price=Money(Decimal(3), "USD"))
    with pytest.raises(ValidationError) as caught:
        ProcessingOrder(**kwargs(parts_used=(usd,)))
    assert caught.value.errors[0].path == "parts_used[0]"


def test_totals_are_the_exact_sums_of_the_lines() -> None:
    order = ProcessingOrder(
        **kwargs(
            income_lines=(line("0.10"), line("0.20"), line("199.99", "call-out")),
            cost_lines=(line("33.33", "travel"), line("33.33", "travel"), line("33.34", "travel")),
        )
    )
    assert order.total_income() == cny("200.29")
    assert order.total_cost() == cny("100.00")


def test_totals_refuse_a_line_swapped_in_another_currency_later() -> None:
    order = ProcessingOrder(**kwargs())
    # A field replaced after construction is checked item by item, not against the currency.
    order.income_lines = (MoneyLine(description="x", amount=Money(Decimal(1), "EUR")),)
    with pytest.raises(ValidationError):
        order.total_income()


def test_parts_charge_counts_only_charged_parts() -> None:
    order = ProcessingOrder(
        **kwargs(
            parts_used=(
                PartUsage(part_code=PartCode("CAP"), quantity=2, unit_price=cny("12.50")),
                PartUsage(
                    part_code=PartCode("FAN"), quantity=1, unit_price=cny("80"), charged=False
                ),
            )
        )
    )
    assert order.parts_charge() == cny("25.00")


def test_nothing_is_missing_on_a_filled_order() -> None:
    assert ProcessingOrder(**complete_kwargs()).missing_for_completion() == ()


def test_an_empty_order_misses_solution_and_hours() -> None:
    assert ProcessingOrder(**kwargs()).missing_for_completion() == (
        "solution_type",
        "solution_text",
        "labour_hours",
    )


def test_a_repair_with_loaner_misses_the_loaner_until_one_is_recorded() -> None:
    order = ProcessingOrder(**complete_kwargs())
    order.solution_type = SolutionType.REPAIR_WITH_LOANER
    assert order.missing_for_completion() == ("loaners",)
    order.loaners = (Loaner(item_code="LOAN-PUMP", out_at=T0),)
    assert order.missing_for_completion() == ()


def test_loaner_back_before_out_is_refused() -> None:
    back = T0 - timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        Loaner(item_code="LOAN-1", out_at=T0, back_at=back)
    assert caught.value.errors[0].path == "back_at"
    assert caught.value.errors[0].value == back


def test_loaner_is_out_until_it_comes_back() -> None:
    assert Loaner(item_code="L", out_at=T0).is_out
    assert not Loaner(item_code="L", out_at=T0, back_at=T0 + timedelta(days=4)).is_out


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("part_code", ""),
        ("quantity", 0),
        ("unit_price", Decimal(3)),
        ("serial", ""),
        ("charged", "yes"),
    ],
)
def test_part_usage_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {"part_code": "CAP", "quantity": 1, "unit_price": cny("3")}
    with pytest.raises(ValidationError) as caught:
        PartUsage(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(("field", "bad"), [("quantity", -2), ("condition", ""), ("part_code", 5)])
def test_returned_part_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {"part_code": "CAP", "quantity": 1, "condition": "burnt"}
    with pytest.raises(ValidationError) as caught:
        ReturnedPart(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("field", "bad"), [("description", ""), ("amount", Decimal(1)), ("category", " ")]
)
def test_money_line_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {"description": "labour", "amount": cny("1"), "category": "labour"}
    with pytest.raises(ValidationError) as caught:
        MoneyLine(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad
