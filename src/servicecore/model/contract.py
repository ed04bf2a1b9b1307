"""The service contract (服务合同): what is covered, for how long, under which SLA and penalties."""

from __future__ import annotations

import enum
import itertools
from datetime import date, datetime, timedelta

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.model import _validate as v
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.common import ArchiveId, ContractId, CustomerId, Money
from servicecore.model.enums import Priority
from servicecore.model.maintenance import MaintenancePlan

__all__ = [
    "ContractExtension",
    "ContractStatus",
    "PenaltyTerm",
    "ServiceContract",
    "SlaTerm",
]

_HOUR = timedelta(hours=1)


class ContractStatus(enum.Enum):
    """Lifecycle of a contract: only an active contract covers anything."""

    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


@attrs.frozen(kw_only=True)
class SlaTerm:
    """The service level promised for one priority, in working time of the contract's calendar.

    Attributes:
        priority: The priority the term applies to.
        response: Time allowed from report to first response.
        resolution: Time allowed from report to resolution (not shorter than ``response``).

    Raises:
        ValidationError: A bad field, or ``resolution`` shorter than ``response``.
    """

    priority: Priority = attrs.field(validator=v.member(Priority))
    response: timedelta = attrs.field(validator=v.duration(positive=True))
    resolution: timedelta = attrs.field(validator=v.duration(positive=True))

    def __attrs_post_init__(self) -> None:
        if self.resolution < self.response:
            raise ValidationError.single(
                "resolution", self.resolution, f"must not be shorter than response {self.response}"
            )


@attrs.frozen(kw_only=True)
class PenaltyTerm:
    """What lateness costs for one priority (seed 001: denda): a rate per started hour, capped.

    Attributes:
        priority: The priority the term applies to.
        per_started_hour: Charged for each started hour late (> 0).
        cap: The most charged for one request (not less than ``per_started_hour``).

    Raises:
        ValidationError: A bad field, the two amounts in different currencies, or ``cap`` below
            ``per_started_hour``.
    """

    priority: Priority = attrs.field(validator=v.member(Priority))
    per_started_hour: Money = attrs.field(validator=v.instance(Money))
    cap: Money = attrs.field(validator=v.instance(Money))

    def __attrs_post_init__(self) -> None:
        if self.per_started_hour.amount <= 0:
            raise ValidationError.single(
                "per_started_hour", self.per_started_hour, "must be greater than 0"
            )
        if self.cap.currency != self.per_started_hour.currency:
            raise ValidationError.single(
                "cap", self.cap, f"must be in {self.per_started_hour.currency}"
            )
        if self.cap < self.per_started_hour:
            raise ValidationError.single(
                "cap", self.cap, f"must be at least per_started_hour {self.per_started_hour}"
            )

    def amount_for(self, lateness: timedelta) -> Money:
        """The penalty for being ``lateness`` late: every started hour counts, up to :attr:`cap`.

        Zero (or negative) lateness costs nothing.
        """
        if lateness <= timedelta(0):
            return Money.zero(self.cap.currency)
        started_hours = -(-lateness // _HOUR)  # ceiling division: a started hour is a whole hour
        return min(self.per_started_hour * started_hours, self.cap, key=lambda m: m.amount)


@attrs.frozen(kw_only=True)
class ContractExtension:
    """One extension of a contract's end date (合同延期).

    Attributes:
        old_end: The end date before the extension.
        new_end: The end date after it (later than ``old_end``).
        at: When it was agreed.
        by: Id of the actor who recorded it.
        reason: Why.

    Raises:
        ValidationError: A bad field, or ``new_end`` not after ``old_end``.
    """

    old_end: date = attrs.field(validator=v.a_date)
    new_end: date = attrs.field(validator=v.a_date)
    at: datetime = attrs.field(validator=v.aware_datetime)
    by: str = attrs.field(validator=v.identifier)
    reason: str = attrs.field(validator=v.text(1000))

    def __attrs_post_init__(self) -> None:
        if self.new_end <= self.old_end:
            raise ValidationError.single("new_end", self.new_end, f"must be after {self.old_end}")


@attrs.define(eq=False, kw_only=True)
class ServiceContract:
    """A contract covering a customer's products for a period, with SLA and penalty terms.

    Attributes:
        id: The contract's id.
        customer_id: The customer.
        archive_ids: The products covered.
        start: First day covered.
        end: Last day covered (inclusive); moved by extensions.
        calendar: The working time in which SLA targets are counted.
        sla_terms: At most one term per priority.
        penalty_terms: At most one term per priority.
        extensions: Every extension so far, oldest first; they chain (each starts where the
            previous ended) and the last one ends on :attr:`end`.
        maintenance_plans: Preventive visits the contract promises, with unique ids; a plan
            names only products the contract covers.
        status: Lifecycle state.
        version: Optimistic-locking counter.
        audit_head: Hash of the contract's last audit entry.

    Raises:
        ValidationError: A bad field, ``end`` before ``start``, a priority with two terms, or
            extensions that do not chain to :attr:`end`, two plans with one id, or a plan naming
            a product the contract does not cover.
    """

    id: ContractId = attrs.field(validator=v.identifier)
    customer_id: CustomerId = attrs.field(validator=v.identifier)
    archive_ids: tuple[ArchiveId, ...] = attrs.field(
        default=(), validator=[v.items(v.identifier), v.unique(lambda a: a, "archive")]
    )
    start: date = attrs.field(validator=v.a_date)
    end: date = attrs.field(validator=v.a_date)
    calendar: WorkingCalendar = attrs.field(validator=v.instance(WorkingCalendar))
    sla_terms: tuple[SlaTerm, ...] = attrs.field(
        default=(),
        validator=[v.items(v.instance(SlaTerm)), v.unique(lambda t: t.priority, "priority")],
    )
    penalty_terms: tuple[PenaltyTerm, ...] = attrs.field(
        default=(),
        validator=[v.items(v.instance(PenaltyTerm)), v.unique(lambda t: t.priority, "priority")],
    )
    extensions: tuple[ContractExtension, ...] = attrs.field(
        default=(), validator=v.items(v.instance(ContractExtension))
    )
    maintenance_plans: tuple[MaintenancePlan, ...] = attrs.field(
        default=(),
        validator=[v.items(v.instance(MaintenancePlan)), v.unique(lambda p: p.id, "plan id")],
    )
    status: ContractStatus = attrs.field(
        default=ContractStatus.DRAFT, validator=v.member(ContractStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError.single("end", self.end, f"must not be before start {self.start}")
        for i, (a, b) in enumerate(itertools.pairwise(self.extensions), start=1):
            if b.old_end != a.new_end:
                raise ValidationError.single(
                    f"extensions[{i}]", b, f"must start from the previous new_end {a.new_end}"
                )
        if self.extensions and self.extensions[-1].new_end != self.end:
            last = len(self.extensions) - 1
            raise ValidationError.single(
                f"extensions[{last}]",
                self.extensions[-1],
                f"must end on the contract end {self.end}",
            )
        for i, plan in enumerate(self.maintenance_plans):
            stray = [a for a in plan.archive_ids if a not in self.archive_ids]
            if stray:
                raise ValidationError.single(
                    f"maintenance_plans[{i}].archive_ids", stray, "are not covered by the contract"
                )

    def sla_for(self, priority: Priority) -> SlaTerm:
        """Return the SLA term for ``priority``.

        Raises:
            NotFound: The contract has no term for ``priority`` (kind ``"SlaTerm"``).
        """
        for term in self.sla_terms:
            if term.priority is priority:
                return term
        raise NotFound("SlaTerm", f"{self.id}/{priority.value}")

    def penalty_for(self, priority: Priority) -> PenaltyTerm | None:
        """Return the penalty term for ``priority``, or ``None`` when lateness is not penalised."""
        return next((t for t in self.penalty_terms if t.priority is priority), None)

    def covers(self, archive_id: str, on: date) -> bool:
        """Whether the contract is active and covers ``archive_id`` on ``on`` (ends inclusive)."""
        return (
            self.status is ContractStatus.ACTIVE
            and archive_id in self.archive_ids
            and self.start <= on <= self.end
        )
