from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import (
    CareEffectiveness,
    CareMethod,
    CarePlan,
    CareStatus,
    Money,
    MoneyLine,
    TimeRange,
)

T0 = datetime(2025, 9, 1, tzinfo=UTC)


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


EFFECT = CareEffectiveness(
    responses=120,
    leads=30,
    opportunities=8,
    expected_sales_uplift=cny("50000"),
    satisfaction_uplift_pct=Decimal("4.5"),
    loyalty_uplift_pct=Decimal("2"),
)


def kwargs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "care-1",
        "customer_category": "VIP",
        "method": CareMethod.SMS,
        "content": "尊敬的客户, 中秋节快乐!",
        "schedule": TimeRange(start=T0, end=T0 + timedelta(days=7)),
        "currency": "CNY",
        "participants": ("sales-1", "cs-2"),
        "cost_lines": (MoneyLine(description="SMS gateway", amount=cny("120.50"), category="sms"),),
    }
    return {**base, **over}


def test_valid_care_plan_builds_as_plan() -> None:
    plan = CarePlan(**kwargs())
    assert plan.status is CareStatus.PLAN
    assert plan.effectiveness is None


def test_status_values_are_the_lifecycle_names() -> None:
    assert [s.value for s in CareStatus] == ["plan", "active", "executing", "closed", "invalid"]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("customer_category", " "),
        ("method", "sms"),
        ("content", ""),
        ("schedule", T0),
        ("currency", "RMB1"),
        ("participants", ("sales-1", "sales-1")),
        ("participants", ["sales-1"]),
        ("cost_lines", cny("1")),
        ("effectiveness", {"responses": 1}),
        ("status", "plan"),
        ("version", "1"),
    ],
)
def test_bad_field_is_refused_naming_it(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        CarePlan(**kwargs(**{field: bad}))
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_a_cost_in_another_currency_is_refused() -> None:
    usd = MoneyLine(description="postage", amount=Money(Decimal(3), "USD"))
    with pytest.raises(ValidationError) as caught:
        CarePlan(**kwargs(cost_lines=(usd,)))
    assert caught.value.errors[0].path == "cost_lines[0]"


def test_an_effectiveness_in_another_currency_is_refused() -> None:
    eff = CareEffectiveness(expected_sales_uplift=Money(Decimal(1), "EUR"))
    with pytest.raises(ValidationError) as caught:
        CarePlan(**kwargs(effectiveness=eff))
    assert caught.value.errors[0].path == "effectiveness.expected_sales_uplift"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("responses", -1),
        ("leads", 1.0),
        ("opportunities", None),
        ("expected_sales_uplift", 5),
        ("satisfaction_uplift_pct", Decimal(-101)),
        ("loyalty_uplift_pct", 2.5),
    ],
)
def test_effectiveness_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {"expected_sales_uplift": cny("0")}
    with pytest.raises(ValidationError) as caught:
        CareEffectiveness(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_total_cost_sums_the_lines() -> None:
    lines = (
        MoneyLine(description="letters", amount=cny("0.85")),
        MoneyLine(description="envelopes", amount=cny("0.15")),
    )
    assert CarePlan(**kwargs(cost_lines=lines, effectiveness=EFFECT)).total_cost() == cny("1.00")


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (CareMethod.SMS, True),
        (CareMethod.EMAIL, True),
        (CareMethod.LETTER, False),
        (CareMethod.VISIT, False),
    ],
)
def test_only_sms_and_email_are_sent_automatically(method: CareMethod, expected: bool) -> None:
    assert CarePlan(**kwargs(method=method)).is_automatic is expected
