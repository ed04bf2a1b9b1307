"""The service request (服务请求单): a customer's problem, from report to closure."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import (
    ArchiveId,
    BookingId,
    ContractId,
    CustomerId,
    DispatchId,
    GeoPoint,
    KnowledgeId,
    ProcessingId,
    RequestId,
    SurveyId,
    TimeRange,
)
from servicecore.model.enums import Priority, ServiceType

__all__ = ["Closure", "RequestStatus", "ServiceRequest"]


class RequestStatus(enum.Enum):
    """Lifecycle of a service request."""

    OPEN = "open"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Whether no more work happens on a request in this state (closed or cancelled)."""
        return self in (RequestStatus.CLOSED, RequestStatus.CANCELLED)


@attrs.frozen(kw_only=True)
class Closure:
    """How a request was closed.

    Attributes:
        closed_at: When it was closed.
        closed_by: Id of the actor who closed it.
        summary: What was done, in words (the service record's conclusion).
        customer_confirmed: Whether the customer confirmed the work (e.g. by signing).

    Raises:
        ValidationError: A bad field.
    """

    closed_at: datetime = attrs.field(validator=v.aware_datetime)
    closed_by: str = attrs.field(validator=v.identifier)
    summary: str = attrs.field(validator=v.text(5000))
    customer_confirmed: bool = attrs.field(default=False, validator=v.boolean)


def _not_before(path: str, value: datetime | None, floor: datetime, floor_name: str) -> None:
    if value is not None and value < floor:
        raise ValidationError.single(path, value, f"must not be before {floor_name} {floor}")


@attrs.define(eq=False, kw_only=True)
class ServiceRequest:
    """A customer's problem or question, graded, assigned, processed and closed.

    Attributes:
        id: The request's id.
        customer_id: The customer.
        service_type: What kind of service is asked for.
        priority: How urgent it is (sets the SLA term).
        symptoms: The problem as reported.
        reported_at: When it was reported (the SLA clock starts here).
        archive_id: The product concerned; required when ``service_type.needs_archive``.
        contract_id: The contract it is served under, if any.
        fault_cause: The cause found, once known.
        required_skills: Skills a technician needs for it.
        location: Where the work happens; ``None`` for remote work (consult, complaint).
        response_due: When a first response is due, once computed.
        resolution_due: When resolution is due, once computed.
        responded_at: When it was first responded to.
        booking_id: The booking it came from, if any.
        dispatch_ids: Its dispatch orders, oldest first.
        processing_ids: Its processing orders, oldest first.
        closure: How it was closed, once closed.
        survey_id: The satisfaction survey result, once answered.
        knowledge_id: The knowledge article made from it, if any.
        territory: The area the work is in (a code the host defines, as on technicians); only
            technicians serving it (or serving anywhere) are planned for it.
        responsible_id: Who is responsible for the request (负责人): by default the staff member
            who opened it; warnings about it go to them.
        window: When the work is to be done, for work planned ahead (a preventive-maintenance
            visit's window): the SLA clock starts when it opens, and the scheduler serves the
            request inside it.
        holds: The finished hold periods, oldest first (they stop the SLA clock; which of their
            time was working time depends on when they were, so the periods are kept).
        held_since: Start of the current hold period, while on hold.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the request's last audit entry.

    Raises:
        ValidationError: A bad field; no archive on a type that needs one; a time before
            ``reported_at``; ``resolution_due`` before ``response_due``.
    """

    id: RequestId = attrs.field(validator=v.identifier)
    customer_id: CustomerId = attrs.field(validator=v.identifier)
    service_type: ServiceType = attrs.field(validator=v.member(ServiceType))
    priority: Priority = attrs.field(default=Priority.NORMAL, validator=v.member(Priority))
    symptoms: str = attrs.field(validator=v.text(5000))
    reported_at: datetime = attrs.field(validator=v.aware_datetime)
    archive_id: ArchiveId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    contract_id: ContractId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    fault_cause: str | None = attrs.field(default=None, validator=v.optional(v.text(2000)))
    required_skills: tuple[str, ...] = attrs.field(
        default=(), validator=[v.items(v.text(64)), v.unique(lambda s: s, "skill")]
    )
    location: GeoPoint | None = attrs.field(
        default=None, validator=v.optional(v.instance(GeoPoint))
    )
    response_due: datetime | None = attrs.field(
        default=None, validator=v.optional(v.aware_datetime)
    )
    resolution_due: datetime | None = attrs.field(
        default=None, validator=v.optional(v.aware_datetime)
    )
    responded_at: datetime | None = attrs.field(
        default=None, validator=v.optional(v.aware_datetime)
    )
    booking_id: BookingId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    dispatch_ids: tuple[DispatchId, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda i: i, "dispatch")]
    )
    processing_ids: tuple[ProcessingId, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda i: i, "processing order")]
    )
    closure: Closure | None = attrs.field(default=None, validator=v.optional(v.instance(Closure)))
    survey_id: SurveyId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    knowledge_id: KnowledgeId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    territory: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))
    responsible_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    window: TimeRange | None = attrs.field(
        default=None, validator=v.optional(v.instance(TimeRange))
    )
    holds: tuple[TimeRange, ...] = attrs.field(default=(), validator=v.items(v.instance(TimeRange)))
    held_since: datetime | None = attrs.field(default=None, validator=v.optional(v.aware_datetime))
    status: RequestStatus = attrs.field(
        default=RequestStatus.OPEN, validator=v.member(RequestStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        if self.service_type.needs_archive and self.archive_id is None:
            raise ValidationError.single(
                "archive_id", None, f"a {self.service_type.value} request needs a product archive"
            )
        floor = self.reported_at
        _not_before("response_due", self.response_due, floor, "reported_at")
        _not_before("resolution_due", self.resolution_due, floor, "reported_at")
        _not_before("responded_at", self.responded_at, floor, "reported_at")
        _not_before("held_since", self.held_since, floor, "reported_at")
        previous = floor
        for i, period in enumerate(self.holds):
            _not_before(f"holds[{i}]", period.start, previous, "the end of the hold before")
            previous = period.end
        if self.holds:
            _not_before("held_since", self.held_since, previous, "the end of the last hold")
        if self.closure is not None:
            _not_before("closure.closed_at", self.closure.closed_at, floor, "reported_at")
        if self.response_due is not None and self.resolution_due is not None:
            _not_before("resolution_due", self.resolution_due, self.response_due, "response_due")

    @property
    def sla_start(self) -> datetime:
        """When the SLA clock starts: when reported, or when its visit window opens if later."""
        if self.window is not None and self.window.start > self.reported_at:
            return self.window.start
        return self.reported_at

    @property
    def on_hold_total(self) -> timedelta:
        """Time spent on hold in the finished hold periods."""
        return sum((h.duration for h in self.holds), timedelta(0))

    @property
    def is_on_hold(self) -> bool:
        """Whether a hold period is running."""
        return self.held_since is not None

    def held_for(self, now: datetime) -> timedelta:
        """Total time on hold up to ``now``, the running hold period included."""
        if self.held_since is None:
            return self.on_hold_total
        return self.on_hold_total + max(now - self.held_since, timedelta(0))

    def is_overdue(self, now: datetime) -> bool:
        """Whether resolution is due before ``now`` and the request is not yet resolved or final."""
        unresolved = self.status not in (
            RequestStatus.RESOLVED,
            RequestStatus.CLOSED,
            RequestStatus.CANCELLED,
        )
        return unresolved and self.resolution_due is not None and self.resolution_due < now

    def response_overdue(self, now: datetime) -> bool:
        """Whether the first response is due before ``now`` and has not been given."""
        return (
            self.responded_at is None
            and not self.status.is_final
            and self.response_due is not None
            and self.response_due < now
        )
