"""The servicecore domain model: attrs entities and value objects, pure data with invariants.

Every public name of the model modules is re-exported here. No I/O happens anywhere in this
package; the lifecycle engine, the services and the adapters work on these classes.
"""

from __future__ import annotations

from servicecore.model.actor import SYSTEM, Actor, Role
from servicecore.model.archive import ArchivePart, ArchiveStatus, ProductArchive
from servicecore.model.booking import Booking, BookingPolicy, BookingStatus, CustomerIdentity
from servicecore.model.calendar import WeeklyWindow, WorkingCalendar, check_no_overlap
from servicecore.model.care import (
    CareEffectiveness,
    CareOutcome,
    CarePlan,
    CareStatus,
    CareTask,
    CareTaskStatus,
)
from servicecore.model.common import (
    ArchiveId,
    BookingId,
    CarePlanId,
    ContractId,
    CustomerId,
    DispatchId,
    EvidenceId,
    GeoPoint,
    KnowledgeId,
    Money,
    PartCode,
    ProcessingId,
    QuoteId,
    RequestId,
    RequisitionId,
    SiteId,
    SparePartPlanId,
    SurveyId,
    TechnicianId,
    TimeRange,
    TransferId,
    WarehouseId,
    utc,
)
from servicecore.model.contract import (
    ContractExtension,
    ContractStatus,
    PenaltyTerm,
    ServiceContract,
    SlaTerm,
)
from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.enums import (
    CareMethod,
    Channel,
    EvidenceKind,
    Priority,
    ServiceType,
    SolutionType,
)
from servicecore.model.evidence import Evidence
from servicecore.model.knowledge import KnowledgeArticle
from servicecore.model.lines import MoneyLine, check_currency
from servicecore.model.maintenance import (
    MaintenancePlan,
    Recurrence,
    RecurrenceKind,
    SeasonWindow,
    add_months,
    due_visits,
)
from servicecore.model.parts import (
    PartsRequisition,
    PlanLine,
    RequisitionLine,
    RequisitionStatus,
    SparePartPlan,
    SparePartPlanStatus,
    TransferLine,
    TransferRequest,
    TransferStatus,
)
from servicecore.model.processing import (
    Loaner,
    PartUsage,
    ProcessingOrder,
    ProcessingStatus,
    ReturnedPart,
)
from servicecore.model.quote import PartLine, Quote, QuoteRevision, QuoteStatus, ServiceLine
from servicecore.model.request import Closure, RequestStatus, ServiceRequest
from servicecore.model.survey import SurveyResult
from servicecore.model.technician import Absence, AbsenceKind, Shift, Technician

__all__ = [
    "SYSTEM",
    "Absence",
    "AbsenceKind",
    "Actor",
    "ArchiveId",
    "ArchivePart",
    "ArchiveStatus",
    "Booking",
    "BookingId",
    "BookingPolicy",
    "BookingStatus",
    "CareEffectiveness",
    "CareMethod",
    "CareOutcome",
    "CarePlan",
    "CarePlanId",
    "CareStatus",
    "CareTask",
    "CareTaskStatus",
    "Channel",
    "Closure",
    "ContractExtension",
    "ContractId",
    "ContractStatus",
    "CustomerId",
    "CustomerIdentity",
    "DispatchId",
    "DispatchOrder",
    "DispatchStatus",
    "Evidence",
    "EvidenceId",
    "EvidenceKind",
    "GeoPoint",
    "KnowledgeArticle",
    "KnowledgeId",
    "Loaner",
    "MaintenancePlan",
    "Money",
    "MoneyLine",
    "PartCode",
    "PartLine",
    "PartUsage",
    "PartsRequisition",
    "PenaltyTerm",
    "PlanLine",
    "Priority",
    "ProcessingId",
    "ProcessingOrder",
    "ProcessingStatus",
    "ProductArchive",
    "Quote",
    "QuoteId",
    "QuoteRevision",
    "QuoteStatus",
    "Recurrence",
    "RecurrenceKind",
    "RequestId",
    "RequestStatus",
    "RequisitionId",
    "RequisitionLine",
    "RequisitionStatus",
    "ReturnedPart",
    "Role",
    "SeasonWindow",
    "ServiceContract",
    "ServiceLine",
    "ServiceRequest",
    "ServiceType",
    "Shift",
    "SiteId",
    "SlaTerm",
    "SolutionType",
    "SparePartPlan",
    "SparePartPlanId",
    "SparePartPlanStatus",
    "SurveyId",
    "SurveyResult",
    "Technician",
    "TechnicianId",
    "TimeRange",
    "TransferId",
    "TransferLine",
    "TransferRequest",
    "TransferStatus",
    "WarehouseId",
    "WeeklyWindow",
    "WorkingCalendar",
    "add_months",
    "check_currency",
    "check_no_overlap",
    "due_visits",
    "utc",
]
