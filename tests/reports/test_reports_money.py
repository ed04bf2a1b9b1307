"""Service income, cost and margin on a hand-built set of processing orders, answers by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from report_times import NOW

from servicecore.errors import ValidationError
from servicecore.model.common import Money, TimeRange
from servicecore.model.enums import SolutionType as ST  # noqa: N817
from servicecore.model.lines import MoneyLine
from servicecore.model.processing import PartUsage, ProcessingStatus
from servicecore.reports.money import IncomeCostMarginRow, income_cost_margin
from servicecore.testing import factories as f

pytestmark = pytest.mark.usefixtures("data")

DONE = ProcessingStatus.COMPLETED
APRIL = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def lines(currency: str, *amounts: str) -> tuple[MoneyLine, ...]:
    return tuple(MoneyLine(description="work", amount=Money(a, currency)) for a in amounts)


def part(code: str, quantity: int, price: str, charged: bool = True) -> PartUsage:
    return PartUsage(
        part_code=code, quantity=quantity, unit_price=Money(price, "IDR"), charged=charged
    )


def order(i: int, dispatch_id: str, currency: str = "IDR", **kw: object) -> object:
    return f.completed_processing(
        id=f"P-{i}", dispatch_id=dispatch_id, currency=currency, status=kw.pop("status", DONE), **kw
    )


@pytest.fixture
def orders(storage, tenant):
    april = NOW.replace(month=4, day=2)
    orders = [
        # D-2 and D-5 start on 2026-03-05, D-4 too; D-9 in April.
        order(
            1,
            "D-2",
            income_lines=lines("IDR", "150000.50", "20000"),
            cost_lines=lines("IDR", "90000.25"),
            parts_used=(part("P-A", 2, "12500.1234"), part("P-B", 1, "999", charged=False)),
        ),
        # 0.1 + 0.2 is not 0.3 in floats: the sums must be exact.
        order(2, "D-5", income_lines=lines("IDR", "0.1", "0.2"), cost_lines=lines("IDR", "0.3")),
        order(3, "D-4", "EUR", solution_type=ST.RETURN_REPAIR, cost_lines=lines("EUR", "50")),
        order(4, "D-1", income_lines=lines("IDR", "1000"), status=ProcessingStatus.OPEN),
        order(5, "D-9", income_lines=lines("IDR", "-100.5", "300")),
        order(6, "D-missing", income_lines=lines("IDR", "7")),
    ]
    with storage.unit_of_work(tenant) as uow:
        uow.dispatches.add(
            f.dispatch(
                id="D-9",
                technician_id="T-1",
                planned=TimeRange(april, april + dt.timedelta(hours=2)),
            )
        )
        for o in orders:
            uow.processing.add(o)
        uow.commit()


def test_income_cost_margin_known_answers(backend, tenant, orders):
    rows = income_cost_margin(backend, tenant).rows
    idr_income = Decimal("170000.80") + Decimal("25000.2468")
    idr_margin = idr_income - Decimal("90000.55")
    assert rows == (
        IncomeCostMarginRow(
            currency="EUR",
            solution_type=ST.RETURN_REPAIR,
            month=dt.date(2026, 3, 1),
            service_income=Decimal(0),
            parts_income=Decimal(0),
            income=Decimal(0),
            cost=Decimal(50),
            margin=Decimal(-50),
            margin_pct=None,
        ),
        IncomeCostMarginRow(
            currency="IDR",
            solution_type=ST.REPLACEMENT,
            month=dt.date(2026, 3, 1),
            service_income=Decimal("170000.80"),
            parts_income=Decimal("25000.2468"),
            income=idr_income,
            cost=Decimal("90000.55"),
            margin=idr_margin,
            margin_pct=Decimal("53.85"),
        ),
        IncomeCostMarginRow(
            currency="IDR",
            solution_type=ST.REPLACEMENT,
            month=dt.date(2026, 4, 1),
            service_income=Decimal("199.5"),
            parts_income=Decimal(0),
            income=Decimal("199.5"),
            cost=Decimal(0),
            margin=Decimal("199.5"),
            margin_pct=Decimal("100.00"),
        ),
    )
    assert str(rows[1].service_income.normalize()) == "170000.8"
    assert idr_margin == Decimal("105000.4968")


def test_income_cost_margin_within_a_range(backend, tenant, orders):
    rows = income_cost_margin(backend, tenant, start=APRIL).rows
    assert [(r.month, r.income) for r in rows] == [(dt.date(2026, 4, 1), Decimal("199.5"))]
    assert income_cost_margin(backend, tenant, end=NOW).rows == ()


@pytest.mark.parametrize("amount", ["0.00001", "100000000000", "-100000000000.5"])
def test_amounts_that_cannot_be_summed_exactly_are_refused(backend, storage, tenant, amount):
    with storage.unit_of_work(tenant) as uow:
        uow.processing.add(order(8, "D-2", cost_lines=lines("IDR", "1", amount)))
        uow.commit()
    with pytest.raises(ValidationError, match="amount"):
        income_cost_margin(backend, tenant)


def test_a_bad_range_is_refused(backend, tenant):
    with pytest.raises(ValidationError, match="start"):
        income_cost_margin(backend, tenant, start=dt.datetime(2026, 3, 1))
    with pytest.raises(ValidationError, match="end"):
        income_cost_margin(backend, tenant, start=APRIL, end=APRIL)
