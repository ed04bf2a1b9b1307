"""The dispatch order (派工单): one technician sent to work on one request."""

from __future__ import annotations

import enum
import itertools
from datetime import datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import DispatchId, RequestId, TechnicianId, TimeRange

__all__ = ["DispatchOrder", "DispatchStatus"]


class DispatchStatus(enum.Enum):
    """Lifecycle of a dispatch order."""

    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REVOKED = "revoked"

    @property
    def is_live(self) -> bool:
        """Whether an order in this status still expects work and holds its technician's time."""
        return self in _LIVE_DISPATCH

    @classmethod
    def live(cls) -> tuple[DispatchStatus, ...]:
        """The live statuses (assigned, accepted, in progress), e.g. for a storage query."""
        return tuple(s for s in cls if s.is_live)


_LIVE_DISPATCH = frozenset(
    {DispatchStatus.ASSIGNED, DispatchStatus.ACCEPTED, DispatchStatus.IN_PROGRESS}
)


@attrs.define(eq=False, kw_only=True)
class DispatchOrder:
    """A request assigned to a technician for a planned time; accepted, rejected or revoked.

    Several unfinished dispatch orders may exist for one request; each has at most one
    processing order.

    Attributes:
        id: The dispatch order's id.
        request_id: The request worked on.
        technician_id: The technician sent.
        planned: When the work is planned.
        reject_reason: Why the technician rejected it, once rejected.
        revoke_reason: Why it was revoked (wrong assignment, technician left, ...), once revoked.
        accepted_at: When the technician accepted it.
        started_at: When work started.
        completed_at: When work was completed.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the order's last audit entry.

    Raises:
        ValidationError: A bad field, or ``started_at`` before ``accepted_at`` or
            ``completed_at`` before ``started_at``.
    """

    id: DispatchId = attrs.field(validator=v.identifier)
    request_id: RequestId = attrs.field(validator=v.identifier)
    technician_id: TechnicianId = attrs.field(validator=v.identifier)
    planned: TimeRange = attrs.field(validator=v.instance(TimeRange))
    reject_reason: str | None = attrs.field(default=None, validator=v.optional(v.text(1000)))
    revoke_reason: str | None = attrs.field(default=None, validator=v.optional(v.text(1000)))
    accepted_at: datetime | None = attrs.field(default=None, validator=v.optional(v.aware_datetime))
    started_at: datetime | None = attrs.field(default=None, validator=v.optional(v.aware_datetime))
    completed_at: datetime | None = attrs.field(
        default=None, validator=v.optional(v.aware_datetime)
    )
    status: DispatchStatus = attrs.field(
        default=DispatchStatus.ASSIGNED, validator=v.member(DispatchStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        steps = (
            ("accepted_at", self.accepted_at),
            ("started_at", self.started_at),
            ("completed_at", self.completed_at),
        )
        known = [(name, at) for name, at in steps if at is not None]
        for (prev_name, prev), (name, at) in itertools.pairwise(known):
            if at < prev:
                raise ValidationError.single(name, at, f"must not be before {prev_name} {prev}")

    @property
    def is_open(self) -> bool:
        """Whether the order still expects work (assigned, accepted or in progress)."""
        return self.status.is_live
