"""Small builders of valid domain objects for the lifecycle tests (override any field)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from servicecore.lifecycle import TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ProductArchive
from servicecore.model.booking import Booking, BookingPolicy, CustomerIdentity
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.care import CarePlan
from servicecore.model.common import GeoPoint, Money, TimeRange
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import CareMethod, Channel, EvidenceKind, ServiceType, SolutionType
from servicecore.model.evidence import Evidence
from servicecore.model.processing import ProcessingOrder
from servicecore.model.quote import Quote, ServiceLine
from servicecore.model.request import ServiceRequest

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CS = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
SUPERVISOR = Actor(id="sup-1", roles={Role.SUPERVISOR})
TECH = Actor(id="u-tech-7", roles={Role.TECHNICIAN}, technician_id="T-7")
OTHER_TECH = Actor(id="u-tech-8", roles={Role.TECHNICIAN}, technician_id="T-8")
HERE = GeoPoint(lat=-6.2, lon=106.8, address="Jl. Sudirman 1, Jakarta")


def ctx(actor: Actor = CS, at: datetime = NOW, **kw: Any) -> TransitionContext:
    return TransitionContext(actor=actor, at=at, **kw)


def archive(**kw: Any) -> ProductArchive:
    fields: dict[str, Any] = {
        "id": "A-1",
        "serial_number": "SN-0001",
        "product_code": "AC-9000",
        "customer_id": "C-1",
        "warranty_start": date(2025, 1, 1),
        "warranty_end": date(2027, 1, 1),
    }
    return ProductArchive(**(fields | kw))


def request(**kw: Any) -> ServiceRequest:
    fields: dict[str, Any] = {
        "id": "R-1",
        "customer_id": "C-1",
        "service_type": ServiceType.REPAIR,
        "symptoms": "Unit blows warm air",
        "reported_at": NOW,
        "archive_id": "A-1",
        "location": HERE,
    }
    return ServiceRequest(**(fields | kw))


def dispatch(**kw: Any) -> DispatchOrder:
    fields: dict[str, Any] = {
        "id": "D-1",
        "request_id": "R-1",
        "technician_id": "T-7",
        "planned": TimeRange(NOW + timedelta(hours=1), NOW + timedelta(hours=3)),
    }
    return DispatchOrder(**(fields | kw))


def processing(**kw: Any) -> ProcessingOrder:
    fields: dict[str, Any] = {
        "id": "P-1",
        "request_id": "R-1",
        "dispatch_id": "D-1",
        "currency": "IDR",
    }
    return ProcessingOrder(**(fields | kw))


def completed_processing(**kw: Any) -> ProcessingOrder:
    fields: dict[str, Any] = {
        "solution_type": SolutionType.REPLACEMENT,
        "solution_text": "Replaced the compressor relay",
        "labour_hours": Decimal("1.5"),
        "fault_cause": "Relay contacts burnt",
    }
    return processing(**(fields | kw))


def photo(n: int, kind: EvidenceKind, request_id: str = "R-1") -> Evidence:
    return Evidence(
        id=f"E-{kind.value}-{n}",
        request_id=request_id,
        kind=kind,
        content_hash=f"{n:064x}",
        uri=f"file:///evidence/{kind.value}-{n}.jpg",
        taken_at=NOW,
        taken_by="u-tech-7",
    )


def quote(**kw: Any) -> Quote:
    line = ServiceLine(
        description="Diagnosis and repair",
        quantity=Decimal(2),
        unit_price=Money("150000", "IDR"),
        unit_cost=Money("90000", "IDR"),
    )
    fields: dict[str, Any] = {
        "id": "Q-1",
        "customer_id": "C-1",
        "currency": "IDR",
        "valid_until": NOW + timedelta(days=14),
        "service_lines": (line,),
    }
    return Quote(**(fields | kw))


def care_plan(**kw: Any) -> CarePlan:
    fields: dict[str, Any] = {
        "id": "CP-1",
        "customer_category": "gold",
        "method": CareMethod.EMAIL,
        "content": "Thank you for choosing us",
        "schedule": TimeRange(NOW + timedelta(days=1), NOW + timedelta(days=8)),
        "currency": "IDR",
        "participants": ("sales-1",),
    }
    return CarePlan(**(fields | kw))


def booking(**kw: Any) -> Booking:
    policy = BookingPolicy(
        change_cutoff=timedelta(hours=24),
        cancellation_cutoff=timedelta(hours=12),
        cancellation_fee=Money("50000", "IDR"),
        no_show_grace=timedelta(minutes=30),
        max_reschedules=2,
    )
    fields: dict[str, Any] = {
        "id": "B-1",
        "customer": CustomerIdentity(customer_id="C-1", name="Budi", phone="+62 812 555 0101"),
        "service_type": ServiceType.REPAIR,
        "channel": Channel.CALL_CENTRE,
        "slot": TimeRange(NOW + timedelta(days=2), NOW + timedelta(days=2, hours=2)),
        "location": HERE,
        "booked_at": NOW,
        "reference": "SB-7K3-9QX",
        "policy": policy,
    }
    return Booking(**(fields | kw))


def contract(**kw: Any) -> ServiceContract:
    fields: dict[str, Any] = {
        "id": "K-1",
        "customer_id": "C-1",
        "archive_ids": ("A-1",),
        "start": date(2026, 1, 1),
        "end": date(2026, 12, 31),
        "calendar": WorkingCalendar.always("Asia/Jakarta"),
    }
    return ServiceContract(**(fields | kw))
