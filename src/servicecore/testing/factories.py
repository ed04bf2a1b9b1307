"""Builders of valid domain objects with sensible defaults, for tests and examples.

Each builder takes keyword overrides for any field: ``request(id="R-9", priority=...)``.
:func:`make` builds any stored aggregate by name. The contract suites use these; integrators may
use them in their own tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from servicecore.basics import FixedClock
from servicecore.catalog import spec_for
from servicecore.model.actor import SYSTEM, Actor, Role
from servicecore.model.archive import ProductArchive
from servicecore.model.booking import Booking, BookingPolicy, CustomerIdentity
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.care import CarePlan
from servicecore.model.claims import ClaimLine, SupplierClaim
from servicecore.model.common import (
    CustomerId,
    GeoPoint,
    Money,
    PartCode,
    ProcessingId,
    RequestId,
    TimeRange,
    WarehouseId,
)
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.documents import DocumentKind, TechnicalDocument
from servicecore.model.enums import CareMethod, Channel, EvidenceKind, ServiceType, SolutionType
from servicecore.model.evidence import Evidence
from servicecore.model.knowledge import KnowledgeArticle
from servicecore.model.parts import (
    PartsRequisition,
    PlanLine,
    RequisitionLine,
    SparePartPlan,
    TransferLine,
    TransferRequest,
)
from servicecore.model.processing import ProcessingOrder
from servicecore.model.quote import Quote, ServiceLine
from servicecore.model.request import ServiceRequest
from servicecore.model.survey import SurveyResult
from servicecore.model.technician import Shift, Technician
from servicecore.ports import Clock, Storage, UnitOfWork
from servicecore.services.context import CommandContext, DeskSettings, JobContext

__all__ = [
    "NOW",
    "archive",
    "booking",
    "care_plan",
    "completed_processing",
    "contract",
    "dispatch",
    "document",
    "evidence",
    "knowledge_article",
    "make",
    "parts_requisition",
    "processing",
    "quote",
    "request",
    "spare_part_plan",
    "supplier_claim",
    "survey",
    "technician",
    "transfer",
]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The default "now" of every builder: Monday 2 March 2026, 09:00 UTC."""

RELAY = PartCode("RELAY-7")
HERE = GeoPoint(lat=-6.2, lon=106.8, address="Jl. Sudirman 1, Jakarta")


def _build(cls: type[Any], defaults: dict[str, Any], overrides: dict[str, Any]) -> Any:
    return cls(**(defaults | overrides))


def archive(**overrides: Any) -> ProductArchive:
    """Return a draft product archive (``A-1``) of customer ``C-1``, in warranty in 2026."""
    defaults = {
        "id": "A-1",
        "serial_number": "SN-0001",
        "product_code": "AC-9000",
        "customer_id": "C-1",
        "warranty_start": date(2025, 1, 1),
        "warranty_end": date(2027, 1, 1),
    }
    return _build(ProductArchive, defaults, overrides)  # type: ignore[no-any-return]


def contract(**overrides: Any) -> ServiceContract:
    """Return a draft 2026 service contract (``K-1``) covering ``A-1``, 24x7 in Jakarta."""
    defaults = {
        "id": "K-1",
        "customer_id": "C-1",
        "archive_ids": ("A-1",),
        "start": date(2026, 1, 1),
        "end": date(2026, 12, 31),
        "calendar": WorkingCalendar.always("Asia/Jakarta"),
    }
    return _build(ServiceContract, defaults, overrides)  # type: ignore[no-any-return]


def booking(**overrides: Any) -> Booking:
    """Return a requested call-centre booking (``B-1``) two days ahead, with a usual policy."""
    policy = BookingPolicy(
        change_cutoff=timedelta(hours=24),
        cancellation_cutoff=timedelta(hours=12),
        cancellation_fee=Money("50000", "IDR"),
        no_show_grace=timedelta(minutes=30),
        max_reschedules=2,
    )
    defaults = {
        "id": "B-1",
        "customer": CustomerIdentity(
            customer_id=CustomerId("C-1"), name="Budi", phone="+62 812 555 0101"
        ),
        "service_type": ServiceType.REPAIR,
        "channel": Channel.CALL_CENTRE,
        "slot": TimeRange(NOW + timedelta(days=2), NOW + timedelta(days=2, hours=2)),
        "location": HERE,
        "booked_at": NOW,
        "reference": "SB-7K3-9QX",
        "policy": policy,
    }
    return _build(Booking, defaults, overrides)  # type: ignore[no-any-return]


def request(**overrides: Any) -> ServiceRequest:
    """Return an open repair request (``R-1``) for archive ``A-1``."""
    defaults = {
        "id": "R-1",
        "customer_id": "C-1",
        "service_type": ServiceType.REPAIR,
        "symptoms": "Unit blows warm air",
        "reported_at": NOW,
        "archive_id": "A-1",
        "location": HERE,
    }
    return _build(ServiceRequest, defaults, overrides)  # type: ignore[no-any-return]


def dispatch(**overrides: Any) -> DispatchOrder:
    """Return an assigned dispatch order (``D-1``) of request ``R-1`` to technician ``T-7``."""
    defaults = {
        "id": "D-1",
        "request_id": "R-1",
        "technician_id": "T-7",
        "planned": TimeRange(NOW + timedelta(hours=1), NOW + timedelta(hours=3)),
    }
    return _build(DispatchOrder, defaults, overrides)  # type: ignore[no-any-return]


def processing(**overrides: Any) -> ProcessingOrder:
    """Return an empty open processing order (``P-1``) for dispatch ``D-1``."""
    defaults = {"id": "P-1", "request_id": "R-1", "dispatch_id": "D-1", "currency": "IDR"}
    return _build(ProcessingOrder, defaults, overrides)  # type: ignore[no-any-return]


def completed_processing(**overrides: Any) -> ProcessingOrder:
    """Return an open processing order with every field completion needs filled."""
    defaults = {
        "solution_type": SolutionType.REPLACEMENT,
        "solution_text": "Replaced the compressor relay",
        "labour_hours": Decimal("1.5"),
        "fault_cause": "Relay contacts burnt",
    }
    return processing(**(defaults | overrides))


def quote(**overrides: Any) -> Quote:
    """Return a draft quote (``Q-1``) with one service line, valid for 14 days."""
    line = ServiceLine(
        description="Diagnosis and repair",
        quantity=Decimal(2),
        unit_price=Money("150000", "IDR"),
        unit_cost=Money("90000", "IDR"),
    )
    defaults = {
        "id": "Q-1",
        "customer_id": "C-1",
        "currency": "IDR",
        "valid_until": NOW + timedelta(days=14),
        "service_lines": (line,),
    }
    return _build(Quote, defaults, overrides)  # type: ignore[no-any-return]


def care_plan(**overrides: Any) -> CarePlan:
    """Return an e-mail care plan (``CP-1``) for gold customers, running next week."""
    defaults = {
        "id": "CP-1",
        "customer_category": "gold",
        "method": CareMethod.EMAIL,
        "content": "Thank you for choosing us",
        "schedule": TimeRange(NOW + timedelta(days=1), NOW + timedelta(days=8)),
        "currency": "IDR",
        "participants": ("sales-1",),
    }
    return _build(CarePlan, defaults, overrides)  # type: ignore[no-any-return]


def technician(**overrides: Any) -> Technician:
    """Return technician ``T-7`` (HVAC), working Monday to Friday 08:00-17:00 in Jakarta."""
    defaults = {
        "id": "T-7",
        "name": "Wayan",
        "home": HERE,
        "timezone": "Asia/Jakarta",
        "skills": ("hvac",),
        "shifts": tuple(Shift(weekday=d, start=time(8), end=time(17)) for d in range(5)),
    }
    return _build(Technician, defaults, overrides)  # type: ignore[no-any-return]


def knowledge_article(**overrides: Any) -> KnowledgeArticle:
    """Return a knowledge article (``K-A-1``) about a burnt relay."""
    defaults = {
        "id": "KA-1",
        "symptom": "Warm air, compressor clicks",
        "cause": "Start relay contacts burnt",
        "solution": "Replace the start relay",
        "created_at": NOW,
        "product_code": "AC-9000",
    }
    return _build(KnowledgeArticle, defaults, overrides)  # type: ignore[no-any-return]


def evidence(**overrides: Any) -> Evidence:
    """Return a before-photo (``E-1``) of request ``R-1``."""
    defaults = {
        "id": "E-1",
        "request_id": "R-1",
        "kind": EvidenceKind.PHOTO_BEFORE,
        "content_hash": "0" * 64,
        "uri": "file:///evidence/R-1/before-1.jpg",
        "taken_at": NOW,
        "taken_by": "u-tech-7",
    }
    return _build(Evidence, defaults, overrides)  # type: ignore[no-any-return]


def spare_part_plan(**overrides: Any) -> SparePartPlan:
    """Return a draft spare-part plan (``SP-1``) for March 2026."""
    line = PlanLine(
        part_code=RELAY, quantity=4, warehouse_id=WarehouseId("W-1"), needed_by=date(2026, 3, 20)
    )
    defaults = {
        "id": "SP-1",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "lines": (line,),
    }
    return _build(SparePartPlan, defaults, overrides)  # type: ignore[no-any-return]


def transfer(**overrides: Any) -> TransferRequest:
    """Return a requested transfer (``TR-1``) of relays from ``W-MAIN`` to ``W-SVC``."""
    defaults = {
        "id": "TR-1",
        "from_warehouse": "W-MAIN",
        "to_warehouse": "W-SVC",
        "lines": (TransferLine(part_code=RELAY, quantity=4),),
        "requested_at": NOW,
    }
    return _build(TransferRequest, defaults, overrides)  # type: ignore[no-any-return]


def parts_requisition(**overrides: Any) -> PartsRequisition:
    """Return a requested parts requisition (``PR-1``) for request ``R-1``."""
    defaults = {
        "id": "PR-1",
        "request_id": "R-1",
        "lines": (RequisitionLine(part_code=RELAY, quantity=1),),
        "requested_at": NOW,
    }
    return _build(PartsRequisition, defaults, overrides)  # type: ignore[no-any-return]


def survey(**overrides: Any) -> SurveyResult:
    """Return a 5-star survey result (``S-1``) of request ``R-1``."""
    defaults = {
        "id": "S-1",
        "request_id": "R-1",
        "score": 5,
        "answered_at": NOW,
        "sla_met": True,
        "technician_id": "T-7",
    }
    return _build(SurveyResult, defaults, overrides)  # type: ignore[no-any-return]


def supplier_claim(**overrides: Any) -> SupplierClaim:
    """Return a draft claim (``CL-1``) to supplier ``SUP-A`` for one burnt relay of ``P-1``."""
    defaults = {
        "id": "CL-1",
        "supplier_id": "SUP-A",
        "lines": (
            ClaimLine(
                part_code=RELAY,
                quantity=1,
                condition="burnt",
                processing_id=ProcessingId("P-1"),
                request_id=RequestId("R-1"),
            ),
        ),
        "created_at": NOW,
    }
    return _build(SupplierClaim, defaults, overrides)  # type: ignore[no-any-return]


def document(**overrides: Any) -> TechnicalDocument:
    """Return a service manual (``DOC-1``) of product ``AC-9000``, as a link."""
    defaults = {
        "id": "DOC-1",
        "title": "AC-9000 service manual",
        "kind": DocumentKind.MANUAL,
        "uri": "https://docs.example.com/ac-9000.pdf",
        "product_code": "AC-9000",
        "added_at": NOW,
        "added_by": "cs-1",
    }
    return _build(TechnicalDocument, defaults, overrides)  # type: ignore[no-any-return]


_BUILDERS: dict[str, Callable[..., Any]] = {
    "ProductArchive": archive,
    "ServiceContract": contract,
    "Booking": booking,
    "ServiceRequest": request,
    "DispatchOrder": dispatch,
    "ProcessingOrder": processing,
    "Quote": quote,
    "CarePlan": care_plan,
    "Technician": technician,
    "KnowledgeArticle": knowledge_article,
    "Evidence": evidence,
    "SparePartPlan": spare_part_plan,
    "TransferRequest": transfer,
    "PartsRequisition": parts_requisition,
    "SurveyResult": survey,
    "SupplierClaim": supplier_claim,
    "TechnicalDocument": document,
}


def make(aggregate: str | type, **overrides: Any) -> Any:
    """Build a valid entity of ``aggregate`` (kind, repository name or class) with overrides.

    Raises:
        ValidationError: Not a stored aggregate, or an override is invalid.
    """
    return _BUILDERS[spec_for(aggregate).kind](**overrides)


ADMIN = Actor(id="admin", roles={Role.ADMIN})
"""An actor every policy lets through: for setting up a test's world."""


def command_context(
    uow: UnitOfWork,
    actor: Actor = ADMIN,
    clock: Clock | None = None,
    **settings: Any,
) -> CommandContext:
    """Return a command context on ``uow``: ``actor`` (an administrator) at ``clock`` (:data:`NOW`).

    ``settings`` are :class:`~servicecore.services.context.DeskSettings` fields
    (``policy=...``, ``signer=...``).

    Raises:
        ValidationError: A bad setting.
    """
    return CommandContext(uow, actor, clock or FixedClock(NOW), DeskSettings(**settings))


def job_context(
    storage: Storage,
    tenant: str,
    clock: Clock | None = None,
    actor: Actor = SYSTEM,
    **settings: Any,
) -> JobContext:
    """Return a job context: ``actor`` (the system) on ``tenant`` at ``clock`` (:data:`NOW`).

    Raises:
        ValidationError: A bad setting.
    """
    return JobContext(storage, tenant, clock or FixedClock(NOW), actor, DeskSettings(**settings))
