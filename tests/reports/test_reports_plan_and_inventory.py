"""The service plan and temporary inventory reports (seed 004) on hand-built data, known answers,
on memory, SQLite and PostgreSQL."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicecore.errors import ValidationError
from servicecore.model.common import Money, PartCode, TimeRange
from servicecore.model.dispatch import DispatchStatus as DS  # noqa: N817
from servicecore.model.enums import ServiceType, SolutionType
from servicecore.model.parts import RequisitionLine
from servicecore.model.parts import RequisitionStatus as PRS  # noqa: N814
from servicecore.model.processing import Loaner, PartUsage
from servicecore.model.processing import ProcessingStatus as PS  # noqa: N817
from servicecore.model.request import RequestStatus as RS  # noqa: N817
from servicecore.reports.inventory import StockKind, TemporaryStockRow, temporary_inventory
from servicecore.reports.service_plan import PlanState, ServicePlanRow, service_plan
from servicecore.testing import factories as f

H = timedelta(hours=1)
JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 3, day, tzinfo=UTC) + hour * H


@pytest.fixture
def plan_data(storage, tenant) -> None:
    maintenance = ServiceType.MAINTENANCE
    with storage.unit_of_work(tenant) as uow:
        uow.requests.add(f.request(id="R-1", status=RS.ASSIGNED))
        uow.requests.add(f.request(id="R-2", service_type=maintenance, status=RS.IN_PROGRESS))
        # To plan: open, with a window opening in the period (one given in Jakarta time).
        uow.requests.add(
            f.request(id="R-3", service_type=maintenance, window=TimeRange(at(3, 8), at(3, 12)))
        )
        jakarta = datetime(2026, 3, 3, 21, tzinfo=JAKARTA)  # 14:00 UTC on the 3rd
        uow.requests.add(
            f.request(id="R-4", service_type=maintenance, window=TimeRange(jakarta, jakarta + H))
        )
        # Not to plan: dispatched, no window, window outside the period.
        uow.requests.add(
            f.request(
                id="R-5",
                service_type=maintenance,
                status=RS.ASSIGNED,
                window=TimeRange(at(3, 8), at(3, 9)),
            )
        )
        uow.requests.add(f.request(id="R-6"))
        uow.requests.add(
            f.request(id="R-7", service_type=maintenance, window=TimeRange(at(6, 8), at(6, 9)))
        )
        orders = [
            ("D-1", "R-1", "T-1", at(2, 10), at(2, 12), DS.ASSIGNED),
            ("D-2", "R-1", "T-1", at(2, 13), at(2, 14.5), DS.ACCEPTED),
            ("D-3", "R-2", "T-2", at(3, 9), at(3, 10), DS.IN_PROGRESS),
            ("D-4", "R-1", "T-1", at(2, 15), at(2, 16), DS.COMPLETED),
            ("D-5", "R-1", "T-1", at(5, 9), at(5, 10), DS.ASSIGNED),
            ("D-6", "R-2", "T-2", at(3, 11), at(3, 12), DS.REVOKED),
        ]
        for order_id, request_id, technician, begin, end, status in orders:
            uow.dispatches.add(
                f.dispatch(
                    id=order_id,
                    request_id=request_id,
                    technician_id=technician,
                    planned=TimeRange(begin, end),
                    status=status,
                )
            )
        uow.commit()


@pytest.mark.usefixtures("plan_data")
def test_the_service_plan_counts_planned_and_unplanned_visits_per_day(backend, tenant) -> None:
    report = service_plan(backend, tenant, at(2, 0), at(4, 0))
    assert list(report.rows) == [
        ServicePlanRow(at(2, 0).date(), PlanState.PLANNED, "T-1", ServiceType.REPAIR, 2, 3.5),
        ServicePlanRow(at(3, 0).date(), PlanState.PLANNED, "T-2", ServiceType.MAINTENANCE, 1, 1.0),
        ServicePlanRow(at(3, 0).date(), PlanState.TO_PLAN, None, ServiceType.MAINTENANCE, 2, 0.0),
    ]


@pytest.mark.usefixtures("plan_data")
def test_the_service_plan_of_a_period_without_work_is_empty(backend, tenant) -> None:
    assert service_plan(backend, tenant, at(20, 0), at(21, 0)).rows == ()


def test_the_service_plan_needs_a_period(backend, tenant) -> None:
    for kwargs, field in (
        ({"start": None, "end": at(3, 0)}, "start"),
        ({"start": at(2, 0), "end": None}, "end"),
        ({"start": at(3, 0), "end": at(2, 0)}, "end"),
        ({"start": datetime(2026, 3, 2), "end": at(3, 0)}, "start"),
    ):
        with pytest.raises(ValidationError) as info:
            service_plan(backend, tenant, **kwargs)  # type: ignore[arg-type]
        assert info.value.errors[0].path == field


@pytest.fixture
def stock_data(storage, tenant) -> None:
    loaner = SolutionType.REPAIR_WITH_LOANER
    with storage.unit_of_work(tenant) as uow:
        uow.processing.add(
            f.processing(
                id="P-1",
                request_id="R-1",
                solution_type=loaner,
                loaners=(
                    Loaner(item_code="L-FAN", out_at=at(1, 9), serial="S1"),
                    Loaner(item_code="L-FAN", out_at=at(2, 9), serial="S2", back_at=at(4, 9)),
                    Loaner(item_code="L-HEAT", out_at=at(3, 9)),
                ),
            )
        )
        uow.processing.add(
            f.processing(
                id="P-3",
                request_id="R-3",
                dispatch_id="D-3",
                solution_type=loaner,
                loaners=(Loaner(item_code="L-FAN", out_at=at(11, 9)),),
            )
        )

        def lines(*found: tuple[str, int, bool]) -> tuple[RequisitionLine, ...]:
            return tuple(
                RequisitionLine(part_code=PartCode(p), quantity=q, charged=c) for p, q, c in found
            )

        requisitions = [
            ("PR-1", "R-1", PRS.ISSUED, at(2, 9), lines(("P-A", 2, False), ("P-B", 1, True))),
            ("PR-2", "R-1", PRS.ISSUED, at(5, 9), lines(("P-A", 3, False))),
            ("PR-3", "R-2", PRS.REQUESTED, at(2, 9), lines(("P-A", 9, False))),
            ("PR-4", "R-2", PRS.RETURNED, at(2, 9), lines(("P-A", 9, False))),
            ("PR-5", "R-2", PRS.ISSUED, at(12, 9), lines(("P-A", 9, False))),
        ]
        for requisition_id, request_id, status, requested_at, found in requisitions:
            uow.requisitions.add(
                f.parts_requisition(
                    id=requisition_id,
                    request_id=request_id,
                    status=status,
                    requested_at=requested_at,
                    lines=found,
                )
            )
        uow.commit()


@pytest.mark.usefixtures("stock_data")
def test_the_temporary_inventory_lists_loaners_out_and_issued_parts(backend, tenant) -> None:
    report = temporary_inventory(backend, tenant, at(10, 9))
    loaner, field = StockKind.LOANER, StockKind.FIELD_STOCK
    assert list(report.rows) == [
        TemporaryStockRow(loaner, "L-FAN", "R-1", 1, None, at(1, 9), 9, ("S1",)),
        TemporaryStockRow(loaner, "L-HEAT", "R-1", 1, None, at(3, 9), 7, ()),
        TemporaryStockRow(field, "P-A", "R-1", 5, False, at(2, 9), 8, ()),
        TemporaryStockRow(field, "P-B", "R-1", 1, True, at(2, 9), 8, ()),
    ]


@pytest.mark.usefixtures("stock_data")
def test_a_loaner_back_by_as_of_is_no_longer_out(backend, tenant) -> None:
    report = temporary_inventory(backend, tenant, at(3, 10))
    fans = [r for r in report.rows if r.item_code == "L-FAN"]
    assert [(r.quantity, r.serials) for r in fans] == [(2, ("S1", "S2"))]


@pytest.mark.usefixtures("stock_data")
def test_the_temporary_inventory_csv_writes_the_serials_as_plain_text(backend, tenant) -> None:
    out = io.StringIO()
    temporary_inventory(backend, tenant, at(3, 10)).to_csv(out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["item_code"], r["serials"]) for r in rows] == [
        ("L-FAN", "S1, S2"),
        ("L-HEAT", ""),
        ("P-A", ""),
        ("P-B", ""),
    ]


@pytest.fixture
def fitted_data(storage, tenant) -> None:
    """Request R-9: P-A x3 and P-B x1 issued on day 2; at the visit started on day 4 P-A x2 and
    P-B x1 were fitted; a visit cancelled on day 5 recorded P-A x1 before nothing was done."""

    def used(part: str, n: int, charged: bool) -> PartUsage:
        return PartUsage(
            part_code=PartCode(part), quantity=n, unit_price=Money("1000", "IDR"), charged=charged
        )

    with storage.unit_of_work(tenant) as uow:
        uow.requisitions.add(
            f.parts_requisition(
                id="PR-9",
                request_id="R-9",
                status=PRS.ISSUED,
                requested_at=at(2, 9),
                lines=(
                    RequisitionLine(part_code=PartCode("P-A"), quantity=3, charged=False),
                    RequisitionLine(part_code=PartCode("P-B"), quantity=1, charged=True),
                ),
            )
        )
        for dispatch_id, day in (("D-9", 4), ("D-10", 5)):
            uow.dispatches.add(
                f.dispatch(
                    id=dispatch_id,
                    request_id="R-9",
                    status=DS.COMPLETED,
                    planned=TimeRange(at(day, 9), at(day, 11)),
                    started_at=at(day, 9),
                    completed_at=at(day, 11),
                )
            )
        uow.processing.add(
            f.processing(
                id="P-9",
                request_id="R-9",
                dispatch_id="D-9",
                status=PS.COMPLETED,
                parts_used=(used("P-A", 2, False), used("P-B", 1, True)),
            )
        )
        uow.processing.add(
            f.processing(
                id="P-10",
                request_id="R-9",
                dispatch_id="D-10",
                status=PS.CANCELLED,
                parts_used=(used("P-A", 1, False),),
            )
        )
        uow.commit()


@pytest.mark.usefixtures("fitted_data")
def test_parts_fitted_at_a_visit_are_no_longer_field_stock(backend, tenant) -> None:
    report = temporary_inventory(backend, tenant, at(10, 9))
    assert [(r.item_code, r.quantity, r.charged) for r in report.rows] == [("P-A", 1, False)]


@pytest.mark.usefixtures("fitted_data")
def test_parts_fitted_after_as_of_are_still_field_stock(backend, tenant) -> None:
    report = temporary_inventory(backend, tenant, at(3, 9))
    assert [(r.item_code, r.quantity, r.charged) for r in report.rows] == [
        ("P-A", 3, False),
        ("P-B", 1, True),
    ]


@pytest.mark.usefixtures("fitted_data")
def test_a_part_fitted_without_charge_is_taken_off_the_parts_issued_as_charged(
    storage, backend, tenant
) -> None:
    with storage.unit_of_work(tenant) as uow:
        work = uow.processing.get("P-9")
        work.parts_used = (
            PartUsage(
                part_code=PartCode("P-B"),
                quantity=1,
                unit_price=Money("1000", "IDR"),
                charged=False,
            ),
        )
        uow.processing.update(work)
        uow.commit()
    report = temporary_inventory(backend, tenant, at(10, 9))
    assert [(r.item_code, r.quantity, r.charged) for r in report.rows] == [("P-A", 3, False)]


def test_temporary_inventory_needs_an_aware_as_of(backend, tenant) -> None:
    with pytest.raises(ValidationError) as info:
        temporary_inventory(backend, tenant, datetime(2026, 3, 2))
    assert info.value.errors[0].path == "as_of"
