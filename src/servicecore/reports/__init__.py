"""Read-side reports over a reporting port; rows convertible to pandas, CSV and Excel.

Build a report from a :class:`~servicecore.reports.port.ReportingBackend` (every storage gives
its own: ``storage.reporting()``)::

    report = booking_report(backend, "acme", period=TimeUnit.WEEK)
    report.to_csv("bookings.csv")
"""

from servicecore.reports.money import IncomeCostMarginRow, income_cost_margin
from servicecore.reports.penalties import SlaPenaltyRow, sla_penalties
from servicecore.reports.port import (
    BookedRequest,
    Bucket,
    Condition,
    CountRow,
    FixRow,
    GroupKey,
    ItemSumRow,
    MoneyKind,
    MoneyRow,
    Op,
    PlannedRow,
    QualityCountRow,
    Related,
    ReportingBackend,
    SlaContractRow,
    SlaCountRow,
    SlaTargetStatus,
    Stored,
    SumRow,
    TimeUnit,
)
from servicecore.reports.quality import QualityRow, quality_tracking
from servicecore.reports.report import MissingExtra, Report
from servicecore.reports.standard import (
    AGE_BANDS,
    BookingListRow,
    BookingRow,
    DispatchRow,
    FailureCauseRow,
    PartsUsageRow,
    RequestMonitoringRow,
    SlaComplianceRow,
    TechnicianPerformanceRow,
    booking_list,
    booking_report,
    dispatch_table,
    failure_causes,
    parts_usage,
    request_monitoring,
    sla_compliance,
    technician_performance,
)
from servicecore.reports.technicians import (
    FirstTimeFixRow,
    UtilisationRow,
    first_time_fix,
    technician_utilisation,
)

__all__ = [
    "AGE_BANDS",
    "BookedRequest",
    "BookingListRow",
    "BookingRow",
    "Bucket",
    "Condition",
    "CountRow",
    "DispatchRow",
    "FailureCauseRow",
    "FirstTimeFixRow",
    "FixRow",
    "GroupKey",
    "IncomeCostMarginRow",
    "ItemSumRow",
    "MissingExtra",
    "MoneyKind",
    "MoneyRow",
    "Op",
    "PartsUsageRow",
    "PlannedRow",
    "QualityCountRow",
    "QualityRow",
    "Related",
    "Report",
    "ReportingBackend",
    "RequestMonitoringRow",
    "SlaComplianceRow",
    "SlaContractRow",
    "SlaCountRow",
    "SlaPenaltyRow",
    "SlaTargetStatus",
    "Stored",
    "SumRow",
    "TechnicianPerformanceRow",
    "TimeUnit",
    "UtilisationRow",
    "booking_list",
    "booking_report",
    "dispatch_table",
    "failure_causes",
    "first_time_fix",
    "income_cost_margin",
    "parts_usage",
    "quality_tracking",
    "request_monitoring",
    "sla_compliance",
    "sla_penalties",
    "technician_performance",
    "technician_utilisation",
]
