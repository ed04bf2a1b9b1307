# ruff: noqa: D102  (test methods are named after the answer they check)
"""The reporting contract: known answers every storage's reporting backend must give.

An integrator writes, in their own test module::

    import pytest
    from servicecore.testing.reporting import ReportingContract

    class TestMyReporting(ReportingContract):
        @pytest.fixture
        def storage(self):
            return MyStorage(DSN)  # empty, or used only by this suite's random tenants

Each test stores a small hand-built data set (:func:`store_known_data`) in a fresh random tenant
and checks every standard report and the reporting core (grouped counts and sums) against
answers counted by hand. The backend under test is ``storage.reporting()`` (see
:func:`servicecore.adapters.memory_reporting.reporting_for`). servicecore's memory, SQLite and
PostgreSQL storages pass this same suite.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from servicecore.adapters.memory_reporting import reporting_for
from servicecore.errors import ValidationError
from servicecore.model.booking import BookingStatus
from servicecore.model.booking import BookingStatus as BS  # noqa: N817
from servicecore.model.common import PartCode, TimeRange
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.dispatch import DispatchStatus as DS  # noqa: N817
from servicecore.model.enums import Channel, Priority, ServiceType
from servicecore.model.enums import Channel as C  # noqa: N817
from servicecore.model.enums import Priority as P  # noqa: N817
from servicecore.model.enums import ServiceType as T
from servicecore.model.parts import RequisitionLine, RequisitionStatus
from servicecore.model.parts import RequisitionStatus as PRS  # noqa: N814
from servicecore.model.request import Closure, RequestStatus
from servicecore.model.request import RequestStatus as RS  # noqa: N817
from servicecore.ports import Storage
from servicecore.reports import (
    Another,
    AnyOf,
    Audited,
    BookingListRow,
    BookingRow,
    Bucket,
    Case,
    Condition,
    DispatchRow,
    FailureCauseRow,
    GroupKey,
    Op,
    Other,
    PartsUsageRow,
    Related,
    ReportingBackend,
    RequestMonitoringRow,
    Seconds,
    SlaComplianceRow,
    Stored,
    TechnicianPerformanceRow,
    TimeUnit,
    booking_list,
    booking_report,
    dispatch_table,
    failure_causes,
    first_time_fix,
    parts_usage,
    request_monitoring,
    sla_compliance,
    technician_performance,
)
from servicecore.testing import factories as f

__all__ = ["AS_OF", "NOW", "ReportingContract", "store_fix_data", "store_known_data"]

NOW = f.NOW  # Monday 2026-03-02 09:00 UTC
H = timedelta(hours=1)
D = timedelta(days=1)
AS_OF = NOW + 2 * D


def _at(day: int, hour: int) -> TimeRange:
    start = NOW.replace(day=day, hour=hour)
    return TimeRange(start, start + 2 * H)


def _booking(i: int, start: Any, status: BookingStatus, **kw: Any) -> Any:
    return f.booking(
        id=f"B-{i}",
        reference=f"REF-{i}",
        slot=TimeRange(start, start + 2 * H),
        status=status,
        **kw,
    )


def _request(i: int, **kw: Any) -> Any:
    return f.request(id=f"R-{i}", **kw)


def _closure(at: object) -> Closure:
    return Closure(closed_at=at, closed_by="cs-1", summary="fixed")  # type: ignore[arg-type]


def store_known_data(storage: Storage, tenant: str) -> None:
    """Store the hand-built data set the contract's known answers are counted from.

    Raises:
        ServicecoreError: The storage refused it (it is valid: the storage is broken).
    """
    bookings = [
        _booking(1, NOW + H, BookingStatus.CONFIRMED, technician_id="T-1", channel=Channel.ONLINE),
        _booking(
            2, NOW + 4 * H, BookingStatus.CONFIRMED, technician_id="T-1", channel=Channel.ONLINE
        ),
        _booking(3, NOW + D + H, BookingStatus.CANCELLED, service_type=ServiceType.INSTALLATION),
        _booking(
            4,
            NOW + 6 * D + H,
            BookingStatus.COMPLETED,
            technician_id="T-2",
            channel=Channel.WALK_IN,
        ),
        _booking(
            5,
            NOW + 7 * D + H,
            BookingStatus.REQUESTED,
            technician_id="T-2",
            channel=Channel.WALK_IN,
        ),
        _booking(
            6,
            NOW.replace(month=4, day=1) + H,
            BookingStatus.REQUESTED,
            service_type=ServiceType.MAINTENANCE,
            channel=Channel.ONLINE,
        ),
    ]
    sla = {"response_due": NOW + H, "resolution_due": NOW + 8 * H}
    normal = {
        "priority": Priority.NORMAL,
        "response_due": NOW + 4 * H,
        "resolution_due": NOW + 5 * D,
    }
    urgent = {"priority": Priority.URGENT, **sla}
    requests = [
        _request(
            1,
            **urgent,
            booking_id="B-1",
            responded_at=NOW + H / 2,
            closure=_closure(NOW + 5 * H),
            fault_cause="relay burnt",
            status=RequestStatus.CLOSED,
        ),
        _request(
            2,
            **urgent,
            responded_at=NOW + 2 * H,
            status=RequestStatus.IN_PROGRESS,
            fault_cause="relay burnt",
        ),
        _request(3, **normal, archive_id="A-2", fault_cause="seal leak", booking_id="B-4"),
        _request(4, **normal, status=RequestStatus.CANCELLED),
        _request(5, priority=Priority.LOW, reported_at=NOW - 10 * D),
        _request(
            7,
            **normal,
            responded_at=NOW + 4 * H,
            closure=_closure(NOW + D),
            status=RequestStatus.CLOSED,
        ),
        _request(
            8,
            **normal,
            responded_at=NOW + 4 * H + timedelta(microseconds=1),
            status=RequestStatus.IN_PROGRESS,
        ),
        _request(9, service_type=ServiceType.CONSULT, archive_id=None, reported_at=AS_OF - H),
        _request(10, reported_at=AS_OF - 7 * D),
        # Reported after AS_OF: in no SLA count, in no monitoring row.
        f.request(
            id="R-6",
            reported_at=AS_OF + H,
            response_due=AS_OF + 2 * H,
            resolution_due=AS_OF + 3 * H,
        ),
    ]
    dispatches = [
        f.dispatch(id="D-1", technician_id="T-1", planned=_at(5, 10)),
        f.dispatch(
            id="D-2", technician_id="T-1", planned=_at(5, 13), status=DispatchStatus.COMPLETED
        ),
        f.dispatch(id="D-3", technician_id="T-1", planned=_at(6, 10)),
        f.dispatch(id="D-4", technician_id="T-2", planned=_at(5, 10)),
        f.dispatch(
            id="D-5", technician_id="T-2", planned=_at(5, 14), status=DispatchStatus.ACCEPTED
        ),
        f.dispatch(
            id="D-6", technician_id="T-2", planned=_at(7, 9), status=DispatchStatus.REJECTED
        ),
    ]
    surveys = [
        f.survey(id="S-1", request_id="R-1", technician_id="T-1", score=5, sla_met=True),
        f.survey(id="S-2", request_id="R-2", technician_id="T-1", score=3, sla_met=False),
        f.survey(id="S-3", request_id="R-3", technician_id="T-2", score=4, sla_met=True),
        f.survey(id="S-4", request_id="R-4", technician_id=None, score=1, sla_met=False),
        f.survey(id="S-5", request_id="R-5", technician_id="T-3", score=2, sla_met=False),
    ]

    def line(part: str, quantity: int, charged: bool) -> RequisitionLine:
        return RequisitionLine(part_code=PartCode(part), quantity=quantity, charged=charged)

    requisitions = [
        f.parts_requisition(
            id="PR-1",
            lines=(line("P-A", 2, True), line("P-B", 1, False)),
            status=RequisitionStatus.ISSUED,
        ),
        f.parts_requisition(
            id="PR-2",
            lines=(line("P-A", 3, True), line("P-C", 1, False)),
            status=RequisitionStatus.ISSUED,
        ),
        f.parts_requisition(id="PR-3", lines=(line("P-A", 5, False),)),
        f.parts_requisition(
            id="PR-4", lines=(line("P-B", 4, True),), status=RequisitionStatus.CANCELLED
        ),
    ]
    archives = [
        f.archive(id="A-1", product_code="PX-100"),
        f.archive(id="A-2", serial_number="SN-0002", product_code="PX-200"),
    ]
    with storage.unit_of_work(tenant) as uow:
        for archive in archives:
            uow.archives.add(archive)
        for requisition in requisitions:
            uow.requisitions.add(requisition)
        for b in bookings:
            uow.bookings.add(b)
        for r in requests:
            uow.requests.add(r)
        for d in dispatches:
            uow.dispatches.add(d)
        for survey in surveys:
            uow.surveys.add(survey)
        uow.commit()


def store_fix_data(storage: Storage, tenant: str) -> None:
    """Store the closed requests and dispatch orders of the first-time-fix known answers.

    R-1: T-1 rejected it, T-2 fixed it on one visit. R-2: T-3's accepted order was revoked, T-4
    fixed it on one visit. R-3: T-5 completed an order that did not fix it, T-6 came back and
    fixed it. R-4: T-7 fixed it on one visit.

    Raises:
        ServicecoreError: The storage refused it (it is valid: the storage is broken).
    """
    closure = _closure(NOW + D)
    orders = [
        ("D-1", "R-1", "T-1", DS.REJECTED),
        ("D-2", "R-1", "T-2", DS.COMPLETED),
        ("D-3", "R-2", "T-3", DS.REVOKED),
        ("D-4", "R-2", "T-4", DS.COMPLETED),
        ("D-5", "R-3", "T-5", DS.COMPLETED),
        ("D-6", "R-3", "T-6", DS.COMPLETED),
        ("D-7", "R-4", "T-7", DS.COMPLETED),
    ]
    with storage.unit_of_work(tenant) as uow:
        for i in range(1, 5):
            uow.requests.add(_request(i, status=RS.CLOSED, closure=closure))
        for order_id, request_id, technician_id, status in orders:
            uow.dispatches.add(
                f.dispatch(
                    id=order_id, request_id=request_id, technician_id=technician_id, status=status
                )
            )
        uow.commit()


def day(d: int, month: int = 3) -> dt.date:
    return dt.date(2026, month, d)


@pytest.mark.usefixtures("data")
class ReportingContract:
    """Every standard report and the reporting core on a hand-built data set, known answers.

    Subclass it and give a ``storage`` fixture.
    """

    @pytest.fixture
    def storage(self) -> Storage:
        """The storage under test: override to return it."""
        raise NotImplementedError("override the storage fixture to test your storage")

    @pytest.fixture
    def tenant(self) -> str:
        """A tenant no other test uses."""
        return f"t-{uuid.uuid4().hex[:16]}"

    @pytest.fixture
    def backend(self, storage: Storage) -> ReportingBackend:
        """The storage's reporting backend."""
        return reporting_for(storage)

    @pytest.fixture
    def data(self, storage: Storage, tenant: str) -> None:
        """The hand-built data set, stored in the test's tenant."""
        store_known_data(storage, tenant)

    def test_booking_report_by_day(self, backend: ReportingBackend, tenant: str) -> None:
        rows = booking_report(backend, tenant).rows
        assert rows == (
            BookingRow(day(2), BS.CONFIRMED, T.REPAIR, "T-1", C.ONLINE, 2),
            BookingRow(day(3), BS.CANCELLED, T.INSTALLATION, None, C.CALL_CENTRE, 1),
            BookingRow(day(8), BS.COMPLETED, T.REPAIR, "T-2", C.WALK_IN, 1),
            BookingRow(day(9), BS.REQUESTED, T.REPAIR, "T-2", C.WALK_IN, 1),
            BookingRow(day(1, 4), BS.REQUESTED, T.MAINTENANCE, None, C.ONLINE, 1),
        )

    def test_booking_report_by_week_starts_on_monday(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        rows = booking_report(backend, tenant, period=TimeUnit.WEEK).rows
        assert rows == (
            BookingRow(day(2), BS.CONFIRMED, T.REPAIR, "T-1", C.ONLINE, 2),
            BookingRow(day(2), BS.COMPLETED, T.REPAIR, "T-2", C.WALK_IN, 1),
            BookingRow(day(2), BS.CANCELLED, T.INSTALLATION, None, C.CALL_CENTRE, 1),
            BookingRow(day(9), BS.REQUESTED, T.REPAIR, "T-2", C.WALK_IN, 1),
            BookingRow(day(30), BS.REQUESTED, T.MAINTENANCE, None, C.ONLINE, 1),
        )

    def test_booking_report_by_month_within_a_range(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        rows = booking_report(backend, tenant, period=TimeUnit.MONTH).rows
        assert [(r.period, r.status, r.count) for r in rows] == [
            (day(1), BS.REQUESTED, 1),
            (day(1), BS.CONFIRMED, 2),
            (day(1), BS.COMPLETED, 1),
            (day(1), BS.CANCELLED, 1),
            (day(1, 4), BS.REQUESTED, 1),
        ]
        start = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
        ranged = booking_report(backend, tenant, start=start, end=start + dt.timedelta(days=6))
        assert [r.status for r in ranged.rows] == [BS.CANCELLED, BS.COMPLETED]

    def test_booking_list_gives_customer_location_and_service_result(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        first = booking_list(backend, tenant).rows[0]
        assert first == BookingListRow(
            reference="REF-1",
            booking_id="B-1",
            slot_start=NOW + H,
            slot_end=NOW + 3 * H,
            channel=C.ONLINE,
            status=BS.CONFIRMED,
            customer_id="C-1",
            customer_name="Budi",
            phone="+62 812 555 0101",
            email=None,
            address="Jl. Sudirman 1, Jakarta",
            latitude=-6.2,
            longitude=106.8,
            request_id="R-1",
            request_status=RS.CLOSED,
            closed_at=NOW + 5 * H,
            closure_summary="fixed",
            fault_cause="relay burnt",
        )

    def test_booking_list_lists_every_booking_in_slot_order(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        rows = booking_list(backend, tenant).rows
        assert [(r.reference, r.request_id, r.request_status) for r in rows] == [
            ("REF-1", "R-1", RS.CLOSED),
            ("REF-2", None, None),
            ("REF-3", None, None),
            ("REF-4", "R-3", RS.OPEN),
            ("REF-5", None, None),
            ("REF-6", None, None),
        ]
        assert rows[3].closure_summary is None

    def test_booking_list_within_a_range(self, backend: ReportingBackend, tenant: str) -> None:
        start = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
        rows = booking_list(backend, tenant, start=start, end=start + 6 * D).rows
        assert [r.reference for r in rows] == ["REF-3", "REF-4"]
        assert booking_list(backend, "nobody").rows == ()

    def test_sla_compliance(self, backend: ReportingBackend, tenant: str) -> None:
        def row(
            p: P,
            target: str,
            met: int = 0,
            breached: int = 0,
            pending: int = 0,
            cancelled: int = 0,
            unmeasured: int = 0,
        ) -> SlaComplianceRow:
            rate = met / (met + breached) if met + breached else None
            return SlaComplianceRow(p, target, met, breached, pending, cancelled, unmeasured, rate)

        assert sla_compliance(backend, tenant, AS_OF).rows == (
            row(P.URGENT, "response", met=1, breached=1),
            row(P.URGENT, "resolution", met=1, breached=1),
            row(P.NORMAL, "response", met=1, breached=2, cancelled=1, unmeasured=2),
            row(P.NORMAL, "resolution", met=1, pending=2, cancelled=1, unmeasured=2),
            row(P.LOW, "response", unmeasured=1),
            row(P.LOW, "resolution", unmeasured=1),
        )

    def test_sla_compliance_before_anything_was_due(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        rows = sla_compliance(backend, tenant, NOW).rows
        urgent = [r for r in rows if r.priority is P.URGENT]
        assert [(r.met, r.breached, r.pending) for r in urgent] == [(0, 0, 2), (0, 0, 2)]

    def test_request_monitoring(self, backend: ReportingBackend, tenant: str) -> None:
        assert request_monitoring(backend, tenant, AS_OF).rows == (
            RequestMonitoringRow(RS.OPEN, T.CONSULT, P.NORMAL, "under 1 day", 1),
            RequestMonitoringRow(RS.OPEN, T.REPAIR, P.NORMAL, "1-3 days", 1),
            RequestMonitoringRow(RS.OPEN, T.REPAIR, P.NORMAL, "7 days or more", 1),
            RequestMonitoringRow(RS.OPEN, T.REPAIR, P.LOW, "7 days or more", 1),
            RequestMonitoringRow(RS.IN_PROGRESS, T.REPAIR, P.URGENT, "1-3 days", 1),
            RequestMonitoringRow(RS.IN_PROGRESS, T.REPAIR, P.NORMAL, "1-3 days", 1),
        )

    def test_dispatch_table(self, backend: ReportingBackend, tenant: str) -> None:
        assert dispatch_table(backend, tenant).rows == (
            DispatchRow("T-1", day(5), DS.ASSIGNED, 1),
            DispatchRow("T-1", day(5), DS.COMPLETED, 1),
            DispatchRow("T-1", day(6), DS.ASSIGNED, 1),
            DispatchRow("T-2", day(5), DS.ASSIGNED, 1),
            DispatchRow("T-2", day(5), DS.ACCEPTED, 1),
            DispatchRow("T-2", day(7), DS.REJECTED, 1),
        )
        later = dispatch_table(backend, tenant, start=dt.datetime(2026, 3, 6, tzinfo=dt.UTC))
        assert later.rows == (
            DispatchRow("T-1", day(6), DS.ASSIGNED, 1),
            DispatchRow("T-2", day(7), DS.REJECTED, 1),
        )
        window = dispatch_table(
            backend, tenant, start=NOW, end=dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
        )
        assert sum(r.count for r in window.rows) == 4

    def test_technician_performance(self, backend: ReportingBackend, tenant: str) -> None:
        assert technician_performance(backend, tenant).rows == (
            TechnicianPerformanceRow("T-1", 3, 1, 0, 2, 2, 4.0, 0.5),
            TechnicianPerformanceRow("T-2", 3, 0, 1, 2, 1, 4.0, 1.0),
            TechnicianPerformanceRow("T-3", 0, 0, 0, 0, 1, 2.0, 0.0),
        )
        later = technician_performance(
            backend, tenant, start=dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
        )
        assert later.rows == (
            TechnicianPerformanceRow("T-1", 1, 0, 0, 1, 0, None, None),
            TechnicianPerformanceRow("T-2", 1, 0, 1, 0, 0, None, None),
        )

    def test_parts_usage(self, backend: ReportingBackend, tenant: str) -> None:
        assert parts_usage(backend, tenant).rows == (
            PartsUsageRow("P-A", PRS.REQUESTED, False, 1, 5),
            PartsUsageRow("P-A", PRS.ISSUED, True, 2, 5),
            PartsUsageRow("P-B", PRS.ISSUED, False, 1, 1),
            PartsUsageRow("P-B", PRS.CANCELLED, True, 1, 4),
            PartsUsageRow("P-C", PRS.ISSUED, False, 1, 1),
        )

    def test_failure_causes(self, backend: ReportingBackend, tenant: str) -> None:
        assert failure_causes(backend, tenant).rows == (
            FailureCauseRow("PX-100", "relay burnt", T.REPAIR, 2),
            FailureCauseRow("PX-100", None, T.REPAIR, 6),
            FailureCauseRow("PX-200", "seal leak", T.REPAIR, 1),
            FailureCauseRow(None, None, T.CONSULT, 1),
        )
        late = failure_causes(backend, tenant, start=AS_OF)
        assert late.rows == (FailureCauseRow("PX-100", None, T.REPAIR, 1),)

    @pytest.fixture
    def fixes(self, storage: Storage, tenant: str) -> str:
        """The tenant holding :func:`store_fix_data` (apart from the main data set)."""
        store_fix_data(storage, f"{tenant}-fixes")
        return f"{tenant}-fixes"

    def test_first_time_fix_ignores_orders_nobody_worked_on(
        self, backend: ReportingBackend, fixes: str
    ) -> None:
        rows = {r.technician_id: r for r in first_time_fix(backend, fixes).rows}
        assert (rows["T-2"].fixed, rows["T-2"].first_time) == (1, 1)
        assert (rows["T-4"].fixed, rows["T-4"].first_time) == (1, 1)
        assert "T-1" not in rows
        assert "T-3" not in rows

    def test_first_time_fix_a_second_visit_is_not_first_time(
        self, backend: ReportingBackend, fixes: str
    ) -> None:
        rows = {r.technician_id: r for r in first_time_fix(backend, fixes).rows}
        assert (rows["T-5"].fixed, rows["T-5"].first_time) == (1, 0)
        assert (rows["T-6"].fixed, rows["T-6"].first_time) == (1, 0)
        assert (rows["T-7"].fixed, rows["T-7"].first_time) == (1, 1)

    def test_bad_group_keys_name_the_field(self, backend: ReportingBackend, tenant: str) -> None:
        cases: list[tuple[GroupKey, str]] = [
            (Related("archives", "colour", "product_code"), "group_by[0].via"),
            (Related("archives", "archive_id", "colour"), "group_by[0].field"),
            (Stored(()), "group_by[0].path"),
        ]
        for key, path in cases:
            with pytest.raises(ValidationError) as info:
                backend.count_by(tenant, "requests", [key])
            assert info.value.errors[0].path == path

    def test_sum_items_checks_names(self, backend: ReportingBackend, tenant: str) -> None:
        with pytest.raises(ValidationError) as info:
            backend.sum_items(tenant, "requisitions", "lines", [], ("part code",), "quantity")
        assert info.value.errors[0].path == "item_keys[0]"

    def test_sum_by_skips_missing_values(self, backend: ReportingBackend, tenant: str) -> None:
        rows = backend.sum_by(tenant, "surveys", [], ("comment",))
        assert [(r.count, r.valued, r.total) for r in rows] == [(5, 0, 0.0)]
        with pytest.raises(ValidationError) as info:
            backend.sum_by(tenant, "surveys", [], ())
        assert info.value.errors[0].path == "value"

    def test_count_by_filters_and_totals(self, backend: ReportingBackend, tenant: str) -> None:
        total = backend.count_by(tenant, "bookings", [])
        assert [(r.key, r.count) for r in total] == [((), 6)]
        assigned = backend.count_by(
            tenant, "bookings", ["technician_id"], [Condition("technician_id", Op.NOT_NULL)]
        )
        assert sorted((r.key, r.count) for r in assigned) == [(("T-1",), 2), (("T-2",), 2)]
        none = backend.count_by(tenant, "bookings", [], [Condition("status", Op.IN, ("no_show",))])
        assert none == []
        unassigned = backend.count_by(
            tenant, "bookings", [], [Condition("technician_id", Op.IS_NULL)]
        )
        assert [r.count for r in unassigned] == [2]

    def test_other_tenants_are_not_counted(self, backend: ReportingBackend) -> None:
        assert booking_report(backend, "nobody").rows == ()
        assert sla_compliance(backend, "nobody", AS_OF).rows == ()

    @pytest.mark.parametrize(
        ("group_by", "where", "path"),
        [
            (["colour"], [], "group_by[0]"),
            ([Bucket("status", TimeUnit.DAY)], [], "group_by[0]"),
            ([], [Condition("colour", Op.EQ, "x")], "where[0].field"),
            ([], [Condition("status", Op.IN, "open")], "where[0].value"),
        ],
    )
    def test_bad_queries_name_the_field(
        self, backend: ReportingBackend, tenant: str, group_by: Any, where: Any, path: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            backend.count_by(tenant, "bookings", group_by, where)
        assert info.value.errors[0].path == path

    def test_bad_arguments_name_the_field(self, backend: ReportingBackend, tenant: str) -> None:
        naive = dt.datetime(2026, 3, 2)
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: sla_compliance(backend, tenant, naive), "as_of"),
            (lambda: booking_report(backend, tenant, period="day"), "period"),  # type: ignore[arg-type]
            (lambda: booking_report(backend, tenant, start=naive), "start"),
            (lambda: booking_report(backend, tenant, start=AS_OF, end=NOW), "end"),
        ]
        for call, path in cases:
            with pytest.raises(ValidationError) as info:
                call()
            assert info.value.errors[0].path == path

    # The query core, one expression at a time, on the same data set.

    def test_case_labels_each_record_by_its_first_matching_branch(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        label = Case(
            (
                ((Condition("priority", Op.EQ, P.URGENT),), "urgent"),
                ((Condition("status", Op.EQ, RS.CANCELLED),), "cancelled"),
                ((Condition("priority", Op.EQ, P.URGENT),), "never reached"),
            ),
            "other",
        )
        rows = backend.count_by(tenant, "requests", [label])
        assert {r.key: r.count for r in rows} == {("urgent",): 2, ("cancelled",): 1, ("other",): 7}

    def test_other_compares_two_values_of_one_record(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        on_time = Condition(Stored(("responded_at",), dt.datetime), Op.LE, Other("response_due"))
        found = backend.list_records(tenant, "requests", [on_time])
        assert sorted(r.id for r in found) == ["R-1", "R-7"]

    def test_a_stored_datetime_compares_as_an_instant_to_the_microsecond(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        late = Condition(Stored(("responded_at",), dt.datetime), Op.GT, NOW + 4 * H)
        assert [r.id for r in backend.list_records(tenant, "requests", [late])] == ["R-8"]

    def test_a_related_stored_datetime_compares_as_an_instant(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        responded = Related("requests", "request_id", Stored(("responded_at",), dt.datetime))
        found = backend.list_records(tenant, "surveys", [Condition(responded, Op.LE, NOW + 2 * H)])
        assert sorted(s.id for s in found) == ["S-1", "S-2"]

    def test_any_of_holds_when_one_alternative_holds(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        either = AnyOf(
            (
                (Condition("id", Op.EQ, "R-1"),),
                (
                    Condition(Stored(("fault_cause",)), Op.EQ, "seal leak"),
                    Condition("id", Op.NE, "R-1"),
                ),
            )
        )
        found = backend.list_records(tenant, "requests", [either])
        assert sorted(r.id for r in found) == ["R-1", "R-3"]

    def test_another_finds_a_record_sharing_the_key(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        completed = (Condition("status", Op.EQ, DS.COMPLETED),)
        with_other = backend.list_records(
            tenant, "dispatches", [Another("technician_id", completed)]
        )
        without = backend.list_records(
            tenant, "dispatches", [Another("technician_id", completed, present=False)]
        )
        assert sorted(d.id for d in with_other) == ["D-1", "D-3"]
        assert sorted(d.id for d in without) == ["D-2", "D-4", "D-5", "D-6"]

    def test_another_within_a_window_looks_only_back(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        repeat = Another("archive_id", at="reported_at", within=6 * D)
        found = backend.list_records(
            tenant, "requests", [repeat, Condition("id", Op.IN, ("R-5", "R-10", "R-6"))]
        )
        # R-10 (5 days before NOW) follows R-5 (10 days before) by 5 days; R-6 (2 days after
        # NOW) follows the requests reported at NOW; R-5 follows nothing.
        assert sorted(r.id for r in found) == ["R-10", "R-6"]

    def test_count_distinct_counts_values_not_records(
        self, backend: ReportingBackend, tenant: str
    ) -> None:
        rows = backend.count_by(tenant, "dispatches", [], distinct="technician_id")
        assert [(r.key, r.count) for r in rows] == [((), 2)]

    def test_seconds_sums_planned_durations(self, backend: ReportingBackend, tenant: str) -> None:
        rows = backend.sum_by(
            tenant, "dispatches", ["technician_id"], Seconds("planned_start", "planned_end")
        )
        assert {r.key: (r.count, r.valued, r.total) for r in rows} == {
            ("T-1",): (3, 3, 6 * 3600.0),
            ("T-2",): (3, 3, 6 * 3600.0),
        }

    def test_related_follows_two_hops(self, backend: ReportingBackend, tenant: str) -> None:
        product = Related(
            "requests", "request_id", Related("archives", "archive_id", "product_code")
        )
        rows = backend.sum_by(tenant, "surveys", [product], ("score",))
        assert {r.key: (r.count, r.total) for r in rows} == {
            ("PX-100",): (4, 11.0),
            ("PX-200",): (1, 4.0),
        }

    def test_a_bucket_over_a_related_date(self, backend: ReportingBackend, tenant: str) -> None:
        slot = Related("bookings", "booking_id", "slot_start")
        rows = backend.count_by(tenant, "requests", [Bucket(slot, TimeUnit.WEEK)])
        assert {r.key: r.count for r in rows} == {(None,): 8, (day(2),): 2}

    def test_list_records_by_id(self, backend: ReportingBackend, tenant: str) -> None:
        found = backend.list_records(tenant, "requests", [Condition("id", Op.IN, ("R-2", "R-99"))])
        assert [r.id for r in found] == ["R-2"]

    @pytest.mark.parametrize(
        ("group_by", "where", "path"),
        [
            ([Case(((("x",), "a"),), "b")], [], "group_by[0].branches[0][0]"),  # type: ignore[arg-type]
            (
                [Case((((Condition("colour", Op.EQ, 1),), "a"),), "b")],
                [],
                "group_by[0].branches[0][0].field",
            ),
            ([], [AnyOf(())], "where[0].alternatives"),
            ([], [Another("archive_id", at="reported_at")], "where[0].within"),
            ([], [Another("archive_id", at="status", within=D)], "where[0].at"),
            ([], [Another("archive_id", at="reported_at", within=-D)], "where[0].within"),
            ([], [Condition("status", Op.IN, Other("priority"))], "where[0].value"),
            ([], [Condition("status", Op.EQ, Other("colour"))], "where[0].value.field"),
            ([], [Condition(Stored(("x",), int), Op.EQ, 1)], "where[0].field.type"),
            (
                [],
                [Condition(Related("archives", "colour", "status"), Op.EQ, 1)],
                "where[0].field.via",
            ),
            ([], [Audited("re open")], "where[0].trigger"),
        ],
    )
    def test_bad_core_queries_name_the_place(
        self, backend: ReportingBackend, tenant: str, group_by: Any, where: Any, path: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            backend.count_by(tenant, "requests", group_by, where)
        assert info.value.errors[0].path == path

    def test_seconds_needs_datetime_fields(self, backend: ReportingBackend, tenant: str) -> None:
        with pytest.raises(ValidationError) as info:
            backend.sum_by(tenant, "dispatches", [], Seconds("status", "planned_end"))
        assert info.value.errors[0].path == "value.start"
