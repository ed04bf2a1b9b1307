"""Enumerations shared by several aggregates: service types, priorities, channels, methods, kinds.

Status enums live beside their aggregate (``RequestStatus`` in :mod:`.request`, ...); the ones here
describe work and are read by more than one aggregate.
"""

from __future__ import annotations

import enum

__all__ = [
    "CareMethod",
    "Channel",
    "EvidenceKind",
    "Priority",
    "ServiceType",
    "SolutionType",
]


class ServiceType(enum.Enum):
    """What kind of service a booking or request asks for."""

    CONSULT = "consult"
    REPAIR = "repair"
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    COMPLAINT = "complaint"
    WARRANTY_CLAIM = "warranty_claim"
    PHONE_CONTACT = "phone_contact"

    @property
    def closes_directly(self) -> bool:
        """Whether a request of this type is settled without a visit: recorded, then closed.

        Consults, complaints and phone contacts (seed 004: 电话沟通类) need no technician on site.
        """
        return self in (ServiceType.CONSULT, ServiceType.COMPLAINT, ServiceType.PHONE_CONTACT)

    @property
    def needs_archive(self) -> bool:
        """Whether the work is done on an installed product, so a request must name its archive.

        Requests that close directly (advice, phone calls, grievances) need no product.
        """
        return not self.closes_directly


class Priority(enum.Enum):
    """How urgent a request is; SLA terms and the scheduler's cost of not serving depend on it."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most urgent (``EMERGENCY``) up to 3 for ``LOW``; sort ascending to triage."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {
    Priority.EMERGENCY: 0,
    Priority.URGENT: 1,
    Priority.NORMAL: 2,
    Priority.LOW: 3,
}


class Channel(enum.Enum):
    """How a booking reached the service desk."""

    ONLINE = "online"
    CALL_CENTRE = "call_centre"
    WALK_IN = "walk_in"


class SolutionType(enum.Enum):
    """How a processing order solved the problem (seed: 处理方案类型)."""

    RETURN_REPAIR = "return_repair"
    REPAIR_WITH_LOANER = "repair_with_loaner"
    SALE = "sale"
    EXCHANGE = "exchange"
    REPLACEMENT = "replacement"


class CareMethod(enum.Enum):
    """How a customer-care plan reaches customers (seed: 短信、电邮、信函、电话、拜访、其他)."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    PHONE = "phone"
    VISIT = "visit"
    OTHER = "other"


class EvidenceKind(enum.Enum):
    """What a piece of evidence shows: photos before and after the work, a signature, a document."""

    PHOTO_BEFORE = "photo_before"
    PHOTO_AFTER = "photo_after"
    SIGNATURE = "signature"
    DOCUMENT = "document"
