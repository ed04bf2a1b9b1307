"""Read-side reports over a reporting port; rows convertible to pandas, CSV and Excel.

Build a report from a :class:`~servicecore.reports.port.ReportingBackend` (for a storage
servicecore ships, ``servicecore.adapters.memory_reporting.reporting_for(storage)``)::

    report = booking_report(backend, "acme", period=TimeUnit.WEEK)
    report.to_csv("bookings.csv")
"""

from servicecore.reports.port import (
    Bucket,
    Condition,
    CountRow,
    ItemSumRow,
    Op,
    ReportingBackend,
    SlaCountRow,
    SlaTargetStatus,
    SumRow,
    TimeUnit,
)
from servicecore.reports.report import MissingExtra, Report
from servicecore.reports.standard import (
    AGE_BANDS,
    BookingRow,
    DispatchRow,
    PartsUsageRow,
    RequestMonitoringRow,
    SlaComplianceRow,
    TechnicianPerformanceRow,
    booking_report,
    dispatch_table,
    parts_usage,
    request_monitoring,
    sla_compliance,
    technician_performance,
)

__all__ = [
    "AGE_BANDS",
    "BookingRow",
    "Bucket",
    "Condition",
    "CountRow",
    "DispatchRow",
    "ItemSumRow",
    "MissingExtra",
    "Op",
    "PartsUsageRow",
    "Report",
    "ReportingBackend",
    "RequestMonitoringRow",
    "SlaComplianceRow",
    "SlaCountRow",
    "SlaTargetStatus",
    "SumRow",
    "TechnicianPerformanceRow",
    "TimeUnit",
    "booking_report",
    "dispatch_table",
    "parts_usage",
    "request_monitoring",
    "sla_compliance",
    "technician_performance",
]
