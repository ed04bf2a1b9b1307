"""Every report on the hand-built data set of conftest.py, with answers counted by hand."""

import datetime as dt

import pytest
from conftest import AS_OF, NOW

from servicecore.errors import ValidationError
from servicecore.model.booking import BookingStatus as BS  # noqa: N817
from servicecore.model.dispatch import DispatchStatus as DS  # noqa: N817
from servicecore.model.enums import Channel as C  # noqa: N817
from servicecore.model.enums import Priority as P  # noqa: N817
from servicecore.model.enums import ServiceType as T
from servicecore.model.parts import RequisitionStatus as PRS  # noqa: N814
from servicecore.model.request import RequestStatus as RS  # noqa: N817
from servicecore.reports import (
    BookingRow,
    Bucket,
    Condition,
    DispatchRow,
    FailureCauseRow,
    Op,
    PartsUsageRow,
    Related,
    RequestMonitoringRow,
    SlaComplianceRow,
    Stored,
    TechnicianPerformanceRow,
    TimeUnit,
    booking_report,
    dispatch_table,
    failure_causes,
    parts_usage,
    request_monitoring,
    sla_compliance,
    technician_performance,
)

pytestmark = pytest.mark.usefixtures("data")


def day(d: int, month: int = 3) -> dt.date:
    return dt.date(2026, month, d)


def test_booking_report_by_day(backend, tenant):
    rows = booking_report(backend, tenant).rows
    assert rows == (
        BookingRow(day(2), BS.CONFIRMED, T.REPAIR, "T-1", C.ONLINE, 2),
        BookingRow(day(3), BS.CANCELLED, T.INSTALLATION, None, C.CALL_CENTRE, 1),
        BookingRow(day(8), BS.COMPLETED, T.REPAIR, "T-2", C.WALK_IN, 1),
        BookingRow(day(9), BS.REQUESTED, T.REPAIR, "T-2", C.WALK_IN, 1),
        BookingRow(day(1, 4), BS.REQUESTED, T.MAINTENANCE, None, C.ONLINE, 1),
    )


def test_booking_report_by_week_starts_on_monday(backend, tenant):
    rows = booking_report(backend, tenant, period=TimeUnit.WEEK).rows
    assert rows == (
        BookingRow(day(2), BS.CONFIRMED, T.REPAIR, "T-1", C.ONLINE, 2),
        BookingRow(day(2), BS.COMPLETED, T.REPAIR, "T-2", C.WALK_IN, 1),
        BookingRow(day(2), BS.CANCELLED, T.INSTALLATION, None, C.CALL_CENTRE, 1),
        BookingRow(day(9), BS.REQUESTED, T.REPAIR, "T-2", C.WALK_IN, 1),
        BookingRow(day(30), BS.REQUESTED, T.MAINTENANCE, None, C.ONLINE, 1),
    )


def test_booking_report_by_month_within_a_range(backend, tenant):
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


def test_sla_compliance(backend, tenant):
    def row(p, target, met=0, breached=0, pending=0, cancelled=0, unmeasured=0):
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


def test_sla_compliance_before_anything_was_due(backend, tenant):
    rows = sla_compliance(backend, tenant, NOW).rows
    urgent = [r for r in rows if r.priority is P.URGENT]
    assert [(r.met, r.breached, r.pending) for r in urgent] == [(0, 0, 2), (0, 0, 2)]


def test_request_monitoring(backend, tenant):
    assert request_monitoring(backend, tenant, AS_OF).rows == (
        RequestMonitoringRow(RS.OPEN, T.CONSULT, P.NORMAL, "under 1 day", 1),
        RequestMonitoringRow(RS.OPEN, T.REPAIR, P.NORMAL, "1-3 days", 1),
        RequestMonitoringRow(RS.OPEN, T.REPAIR, P.NORMAL, "7 days or more", 1),
        RequestMonitoringRow(RS.OPEN, T.REPAIR, P.LOW, "7 days or more", 1),
        RequestMonitoringRow(RS.IN_PROGRESS, T.REPAIR, P.URGENT, "1-3 days", 1),
        RequestMonitoringRow(RS.IN_PROGRESS, T.REPAIR, P.NORMAL, "1-3 days", 1),
    )


def test_dispatch_table(backend, tenant):
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
    window = dispatch_table(backend, tenant, start=NOW, end=dt.datetime(2026, 3, 6, tzinfo=dt.UTC))
    assert sum(r.count for r in window.rows) == 4


def test_technician_performance(backend, tenant):
    assert technician_performance(backend, tenant).rows == (
        TechnicianPerformanceRow("T-1", 3, 1, 0, 2, 2, 4.0, 0.5),
        TechnicianPerformanceRow("T-2", 3, 0, 1, 2, 1, 4.0, 1.0),
        TechnicianPerformanceRow("T-3", 0, 0, 0, 0, 1, 2.0, 0.0),
    )
    later = technician_performance(backend, tenant, start=dt.datetime(2026, 3, 6, tzinfo=dt.UTC))
    assert later.rows == (
        TechnicianPerformanceRow("T-1", 1, 0, 0, 1, 0, None, None),
        TechnicianPerformanceRow("T-2", 1, 0, 1, 0, 0, None, None),
    )


def test_parts_usage(backend, tenant):
    assert parts_usage(backend, tenant).rows == (
        PartsUsageRow("P-A", PRS.REQUESTED, False, 1, 5),
        PartsUsageRow("P-A", PRS.ISSUED, True, 2, 5),
        PartsUsageRow("P-B", PRS.ISSUED, False, 1, 1),
        PartsUsageRow("P-B", PRS.CANCELLED, True, 1, 4),
        PartsUsageRow("P-C", PRS.ISSUED, False, 1, 1),
    )


def test_failure_causes(backend, tenant):
    assert failure_causes(backend, tenant).rows == (
        FailureCauseRow("PX-100", "relay burnt", T.REPAIR, 2),
        FailureCauseRow("PX-100", None, T.REPAIR, 6),
        FailureCauseRow("PX-200", "seal leak", T.REPAIR, 1),
        FailureCauseRow(None, None, T.CONSULT, 1),
    )
    late = failure_causes(backend, tenant, start=AS_OF)
    assert late.rows == (FailureCauseRow("PX-100", None, T.REPAIR, 1),)


def test_bad_group_keys_name_the_field(backend, tenant):
    for key, path in [
        (Related("archives", "colour", "product_code"), "group_by[0].via"),
        (Related("archives", "archive_id", "colour"), "group_by[0].field"),
        (Stored(()), "group_by[0].path"),
    ]:
        with pytest.raises(ValidationError) as info:
            backend.count_by(tenant, "requests", [key])
        assert info.value.errors[0].path == path


def test_sum_items_checks_names(backend, tenant):
    with pytest.raises(ValidationError) as info:
        backend.sum_items(tenant, "requisitions", "lines", [], ("part code",), "quantity")
    assert info.value.errors[0].path == "item_keys[0]"


def test_sum_by_skips_missing_values(backend, tenant):
    rows = backend.sum_by(tenant, "surveys", [], ("comment",))
    assert [(r.count, r.valued, r.total) for r in rows] == [(5, 0, 0.0)]
    with pytest.raises(ValidationError) as info:
        backend.sum_by(tenant, "surveys", [], ())
    assert info.value.errors[0].path == "value"


def test_count_by_filters_and_totals(backend, tenant):
    total = backend.count_by(tenant, "bookings", [])
    assert [(r.key, r.count) for r in total] == [((), 6)]
    assigned = backend.count_by(
        tenant, "bookings", ["technician_id"], [Condition("technician_id", Op.NOT_NULL)]
    )
    assert sorted((r.key, r.count) for r in assigned) == [(("T-1",), 2), (("T-2",), 2)]
    none = backend.count_by(tenant, "bookings", [], [Condition("status", Op.IN, ("no_show",))])
    assert none == []
    unassigned = backend.count_by(tenant, "bookings", [], [Condition("technician_id", Op.IS_NULL)])
    assert [r.count for r in unassigned] == [2]


def test_other_tenants_are_not_counted(backend):
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
def test_bad_queries_name_the_field(backend, tenant, group_by, where, path):
    with pytest.raises(ValidationError) as info:
        backend.count_by(tenant, "bookings", group_by, where)
    assert info.value.errors[0].path == path


def test_bad_arguments_name_the_field(backend, tenant):
    naive = dt.datetime(2026, 3, 2)
    cases = [
        (lambda: sla_compliance(backend, tenant, naive), "as_of"),
        (lambda: booking_report(backend, tenant, period="day"), "period"),
        (lambda: booking_report(backend, tenant, start=naive), "start"),
        (lambda: booking_report(backend, tenant, start=AS_OF, end=NOW), "end"),
    ]
    for call, path in cases:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.errors[0].path == path
