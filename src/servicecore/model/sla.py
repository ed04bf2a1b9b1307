"""The SLA clock: working time on a calendar, due times, breaches and what they cost.

Everything here is pure: functions of a :class:`~servicecore.model.calendar.WorkingCalendar`, SLA
and penalty terms, a request and the time ``now``; nothing is read or stored.

**What counts.** The clock runs inside the calendar's weekly windows, except on holidays (whole
local days: a window belongs to the date it starts on) and except while the request is on hold.
Results are returned in UTC.

**Daylight-saving changes.** Windows are local wall-clock times. A window opens the first time the
local clock reads its start (or later) and closes the first time it reads its end (or later).
Therefore, on the day clocks go forward, a window or part of one inside the skipped hour is
empty: in Europe/Berlin on 2025-03-30, ``01:00-04:00`` lasts two hours and ``02:00-03:00`` none.
On the day clocks go back, a window spanning the repeated hour gets it twice (``01:00-04:00``
lasts four hours), and a bound inside the repeated hour means its first pass (``02:00-02:30``
lasts half an hour). Windows that touch keep touching, so a night shift written as
``22:00-00:00`` plus ``00:00-06:00`` the next day is one stretch, whatever the clocks do.

**Zero duration.** :func:`add_working_time` returns the *earliest* instant at which the duration
has elapsed: ``start`` itself for zero, and for a positive duration the end of the working stretch
that completes it (Friday 17:00, not Monday 08:00). It is the inverse of
:func:`working_time_between`.

**Lateness** is working time past the due time, holds excluded: the SLA counts working time, and
the penalty's "per started hour" applies to it. A target is breached only when that lateness is
positive, so finishing on Friday evening what was due at Friday 17:00 is on time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.common import Money, RequestId, TimeRange, utc
from servicecore.model.contract import PenaltyTerm, ServiceContract, SlaTerm
from servicecore.model.enums import Priority
from servicecore.model.request import RequestStatus, ServiceRequest

__all__ = [
    "SEARCH_HORIZON",
    "SlaBreach",
    "SlaOutcome",
    "SlaPolicy",
    "SlaStatus",
    "SlaTarget",
    "TargetOutcome",
    "add_working_time",
    "at_risk",
    "due_times",
    "request_due_times",
    "sla_holds",
    "sla_outcome",
    "working_time_between",
]

SEARCH_HORIZON = timedelta(days=3653)
"""How far :func:`add_working_time` looks for working time before giving up (ten years)."""

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def _aware(path: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError.single(path, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.single(path, value, "must be timezone-aware")
    return utc(value)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return the first instant at which the clock of ``zone`` reads ``wall`` or later, in UTC."""
    # fold=0 is the first pass through a repeated time, which is what a window bound means.
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first
    # ``wall`` was skipped (clocks went forward): the answer is the moment of the jump, which lies
    # between the two readings zoneinfo offers. Transitions fall on whole seconds; bisect to one.
    lo, hi = sorted((first, wall.replace(tzinfo=zone, fold=1).astimezone(UTC)))
    lo, hi = lo.replace(microsecond=0), hi.replace(microsecond=0) + _SECOND
    while hi - lo > _SECOND:
        mid = lo + timedelta(seconds=(hi - lo) // _SECOND // 2)
        if _wall(mid, zone) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


class _Days:
    """A calendar prepared for walking day by day: each day's working stretches in UTC."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.zone = calendar.zone
        self.holidays = frozenset(calendar.holidays)
        self.bounds: list[list[tuple[timedelta, timedelta]]] = [[] for _ in range(7)]
        for window in calendar.hours:
            self.bounds[window.weekday].append(window.bounds())
        for day_bounds in self.bounds:
            day_bounds.sort()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def on(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        midnight = datetime.combine(day, time(0))
        found = []
        for start, end in self.bounds[day.weekday()]:
            a = _instant(midnight + start, self.zone)
            b = _instant(midnight + end, self.zone)
            if a < b:
                found.append((a, b))
        return found


def _merged(holds: Iterable[TimeRange]) -> list[tuple[datetime, datetime]]:
    ranges: list[tuple[datetime, datetime]] = []
    for i, hold in enumerate(holds):
        if not isinstance(hold, TimeRange):
            raise ValidationError.single(f"holds[{i}]", hold, "must be a TimeRange")
        a, b = utc(hold.start), utc(hold.end)
        if a < b:
            ranges.append((a, b))
    ranges.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _minus(
    a: datetime, b: datetime, holds: list[tuple[datetime, datetime]], first: int
) -> tuple[list[tuple[datetime, datetime]], int]:
    """Return the parts of ``[a, b)`` outside ``holds``, and the first hold that may still matter.

    ``holds`` are merged and sorted; ``first`` skips those already known to end before ``a``.
    """
    while first < len(holds) and holds[first][1] <= a:
        first += 1
    parts = []
    cursor = a
    for hold_start, hold_end in holds[first:]:
        if hold_start >= b:
            break
        if hold_start > cursor:
            parts.append((cursor, hold_start))
        cursor = max(cursor, hold_end)
        if cursor >= b:
            break
    if cursor < b:
        parts.append((cursor, b))
    return parts, first


def working_time_between(
    start: datetime,
    end: datetime,
    calendar: WorkingCalendar,
    holds: Iterable[TimeRange] = (),
) -> timedelta:
    """Return the working time of ``calendar`` in ``[start, end)``, holds not counted.

    The walk is day by day over the calendar's windows, so spans of months cost little. See the
    module documentation for holidays and daylight-saving changes.

    Args:
        start: Beginning of the span (aware).
        end: End of the span (aware), not before ``start``.
        calendar: When the clock runs.
        holds: Periods during which the clock is stopped (they may overlap each other).

    Returns:
        The working time, exact to the microsecond.

    Raises:
        ValidationError: ``start`` or ``end`` is not an aware datetime, ``end`` is before
            ``start``, or a hold is not a :class:`~servicecore.model.common.TimeRange`.
    """
    lo, hi = _aware("start", start), _aware("end", end)
    if hi < lo:
        raise ValidationError.single("end", end, f"must not be before start {start}")
    stopped = _merged(holds)
    days = _Days(calendar)
    # Earlier dates' windows all close by the first time the clock reads lo's date, so none reach
    # lo. The day after hi's date is looked at because a zone falling back across midnight (none
    # does today) would show hi's date again after the next day's windows had opened.
    day, last = days.local_date(lo), days.local_date(hi) + _DAY
    total, first = _ZERO, 0
    while day <= last:
        for a, b in days.on(day):
            a, b = max(a, lo), min(b, hi)
            if a < b:
                parts, first = _minus(a, b, stopped, first)
                total += sum((y - x for x, y in parts), _ZERO)
        day += _DAY
    return total


def add_working_time(
    start: datetime,
    duration: timedelta,
    calendar: WorkingCalendar,
    holds: Iterable[TimeRange] = (),
) -> datetime:
    """Return the earliest instant by which ``duration`` of working time has run since ``start``.

    Zero gives ``start`` itself; a positive duration ends inside or at the end of a working
    stretch, never at the start of the next one. ``working_time_between(start, result, ...)`` is
    ``duration``, and any earlier instant gives less.

    Args:
        start: When the clock starts (aware).
        duration: Working time to add (not negative).
        calendar: When the clock runs.
        holds: Periods during which the clock is stopped.

    Returns:
        The instant, in UTC.

    Raises:
        ValidationError: ``start`` is not an aware datetime, ``duration`` is not a non-negative
            timedelta, a hold is not a :class:`~servicecore.model.common.TimeRange`, or no working
            time is found for :data:`SEARCH_HORIZON` (ten years) in a row, outside holds.
    """
    lo = _aware("start", start)
    if not isinstance(duration, timedelta) or duration < _ZERO:
        raise ValidationError.single("duration", duration, "must be a timedelta >= 0")
    stopped = _merged(holds)
    if duration == _ZERO:
        return lo
    days = _Days(calendar)
    day = days.local_date(lo)
    remaining, first, progress = duration, 0, lo
    while True:
        for a, b in days.on(day):
            a = max(a, lo)
            if a >= b:
                continue
            parts, first = _minus(a, b, stopped, first)
            for x, y in parts:
                if y - x >= remaining:
                    return x + remaining
                remaining -= y - x
                progress = y
        day += _DAY
        if datetime.combine(day, time(0), UTC) - progress > SEARCH_HORIZON:
            raise ValidationError.single(
                "calendar",
                calendar,
                f"has no working time outside holds for ten years after {progress}: "
                f"{remaining} of {duration} still to count",
            )


def due_times(
    reported_at: datetime,
    term: SlaTerm,
    calendar: WorkingCalendar,
    holds: Iterable[TimeRange] = (),
) -> tuple[datetime, datetime]:
    """Return ``(response_due, resolution_due)`` for a request reported at ``reported_at``.

    Holds stop the resolution clock only: a request is put on hold while being worked on, after
    its response, so the response target never waits for them.

    Args:
        reported_at: When the request was reported (aware).
        term: The SLA term of its priority.
        calendar: The working calendar the term is counted in.
        holds: The periods the request was on hold; each pushes resolution out by the working
            time it covered.

    Returns:
        Both due times, in UTC.

    Raises:
        ValidationError: ``reported_at`` is not aware, ``term`` is not an
            :class:`~servicecore.model.contract.SlaTerm`, a hold is not a
            :class:`~servicecore.model.common.TimeRange`, or the calendar has no working time
            (see :func:`add_working_time`).
    """
    if not isinstance(term, SlaTerm):
        raise ValidationError.single("term", term, "must be an SlaTerm")
    response = add_working_time(reported_at, term.response, calendar)
    resolution = add_working_time(reported_at, term.resolution, calendar, holds)
    return response, resolution


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """The SLA a request is measured against: calendar, term, penalty and currency.

    Build one with :meth:`from_contract`, or directly for requests served without a contract
    (a host's default calendar and terms).

    Attributes:
        calendar: When the clock runs.
        term: Response and resolution allowances (working time).
        currency: The currency penalties are priced in; ``None`` when lateness costs nothing
            (no penalty term).
        penalty: What lateness costs, or ``None`` when it costs nothing.

    Raises:
        ValidationError: A bad field, or ``penalty`` in a currency other than ``currency``.
    """

    calendar: WorkingCalendar = attrs.field(validator=v.instance(WorkingCalendar))
    term: SlaTerm = attrs.field(validator=v.instance(SlaTerm))
    currency: str | None = attrs.field(default=None, validator=v.optional(v.currency))
    penalty: PenaltyTerm | None = attrs.field(
        default=None, validator=v.optional(v.instance(PenaltyTerm))
    )

    def __attrs_post_init__(self) -> None:
        if self.penalty is not None and self.penalty.cap.currency != self.currency:
            raise ValidationError.single(
                "penalty", self.penalty, f"must be priced in currency {self.currency}"
            )

    @classmethod
    def from_contract(
        cls, contract: ServiceContract, priority: Priority, *, currency: str | None = None
    ) -> SlaPolicy:
        """Return the policy ``contract`` sets for ``priority``.

        The currency is the priority's penalty term's; without one, that of the contract's first
        penalty term; without any, ``currency`` (``None``: lateness is not priced).

        Raises:
            NotFound: The contract has no SLA term for ``priority``.
        """
        term = contract.sla_for(priority)
        penalty = contract.penalty_for(priority)
        known = penalty or next(iter(contract.penalty_terms), None)
        chosen = known.cap.currency if known is not None else currency
        return cls(calendar=contract.calendar, term=term, currency=chosen, penalty=penalty)


def _terms(
    request: ServiceRequest, terms: ServiceContract | SlaPolicy
) -> tuple[WorkingCalendar, SlaTerm]:
    if isinstance(terms, SlaPolicy):
        return terms.calendar, terms.term
    if not isinstance(terms, ServiceContract):
        raise ValidationError.single("terms", terms, "must be a ServiceContract or an SlaPolicy")
    if request.contract_id is not None and request.contract_id != terms.id:
        raise ValidationError.single(
            "contract", terms.id, f"is not the contract of request {request.id}"
        )
    return terms.calendar, terms.sla_for(request.priority)


def sla_holds(request: ServiceRequest, now: datetime) -> tuple[TimeRange, ...]:
    """Return every period ``request`` was on hold up to ``now``, the running one included.

    The finished holds are kept on the request; the running one lasts from
    :attr:`ServiceRequest.held_since` to ``now``.

    Raises:
        ValidationError: ``now`` is not aware.
    """
    at = _aware("now", now)
    periods = tuple(request.holds)
    if request.held_since is not None and utc(request.held_since) < at:
        periods += (TimeRange(start=utc(request.held_since), end=at),)
    return periods


def request_due_times(
    request: ServiceRequest,
    terms: ServiceContract | SlaPolicy,
    *,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """Return ``(response_due, resolution_due)`` of ``request``, its holds counted.

    Args:
        request: The request (its :attr:`~ServiceRequest.sla_start` and ``priority`` are used).
        terms: Its contract, or a policy for requests without one.
        now: The present; needed only while the request is on hold (the running hold stops the
            clock up to ``now``).

    Returns:
        Both due times, in UTC.

    Raises:
        NotFound: The contract has no SLA term for the request's priority.
        ValidationError: ``terms`` is another contract than the request's or not a contract or
            policy; ``now`` is missing while on hold; or the calendar has no working time.
    """
    calendar, term = _terms(request, terms)
    if now is None:
        if request.held_since is not None:
            raise ValidationError.single("now", None, f"request {request.id} is on hold: give now")
        now = request.reported_at
    return due_times(request.sla_start, term, calendar, sla_holds(request, now))


class SlaTarget(enum.Enum):
    """The two promises of an SLA term."""

    RESPONSE = "response"
    RESOLUTION = "resolution"


class SlaStatus(enum.Enum):
    """Where a target stands."""

    MET = "met"
    """Done with no working time past due."""
    PENDING = "pending"
    """Not done, and not yet past due (in working time)."""
    BREACHED = "breached"
    """Done late, or not done and already late."""
    CANCELLED = "cancelled"
    """Not done, and never will be: the request was cancelled. The request does not record when,
    so a cancelled request's open targets are not measured and cost nothing."""


@attrs.frozen(kw_only=True)
class TargetOutcome:
    """How one target (response or resolution) of a request stands at a moment.

    Attributes:
        target: Which target.
        due: When it is due (UTC), holds counted.
        done_at: When it was met (first response, closure), or ``None``.
        status: Met, pending, breached or cancelled.
        lateness: Working time past ``due`` up to ``done_at`` (or the evaluation time while not
            done), holds excluded; positive exactly when ``status`` is breached.
        remaining: Working time left until ``due`` while pending, else zero.
    """

    target: SlaTarget
    due: datetime
    done_at: datetime | None
    status: SlaStatus
    lateness: timedelta
    remaining: timedelta


@attrs.frozen(kw_only=True)
class SlaBreach:
    """A target missed, and what it costs under the penalty term.

    Attributes:
        target: Which target was missed.
        due: When it was due (UTC).
        lateness: Working time late (positive); still growing when ``ongoing``.
        ongoing: Whether the target is still not met (lateness counted up to the evaluation).
        penalty: ``PenaltyTerm.amount_for(lateness)``; zero in the terms' currency when this
            priority's lateness is not penalised; ``None`` when the terms price no lateness.
    """

    target: SlaTarget
    due: datetime
    lateness: timedelta
    ongoing: bool
    penalty: Money | None


@attrs.frozen(kw_only=True)
class SlaOutcome:
    """A request's SLA standing at a moment: both targets, the breaches and the total penalty.

    Attributes:
        request_id: The request.
        priority: Its priority (which chose the terms).
        evaluated_at: The moment it was evaluated (UTC).
        response: The response target.
        resolution: The resolution target.
        breaches: The breached targets, response first.
        penalty: What the breaches cost together: their sum, capped at the penalty term's cap
            (the most charged for one request); zero in the policy's currency when none;
            ``None`` when the terms price no lateness at all (no penalty term, no currency).
    """

    request_id: RequestId
    priority: Priority
    evaluated_at: datetime
    response: TargetOutcome
    resolution: TargetOutcome
    breaches: tuple[SlaBreach, ...]
    penalty: Money | None

    @property
    def breached(self) -> bool:
        """Whether any target is breached."""
        return bool(self.breaches)

    @property
    def met(self) -> bool:
        """Whether both targets are met."""
        return self.response.status is SlaStatus.MET and self.resolution.status is SlaStatus.MET


def _target(
    target: SlaTarget,
    due: datetime,
    done_at: datetime | None,
    cancelled: bool,
    now: datetime,
    calendar: WorkingCalendar,
    holds: Sequence[TimeRange],
) -> TargetOutcome:
    done = utc(done_at) if done_at is not None else None
    if done is None and cancelled:
        return TargetOutcome(
            target=target,
            due=due,
            done_at=None,
            status=SlaStatus.CANCELLED,
            lateness=_ZERO,
            remaining=_ZERO,
        )
    until = now if done is None else done
    late = working_time_between(due, until, calendar, holds) if until > due else _ZERO
    if late > _ZERO:
        status, left = SlaStatus.BREACHED, _ZERO
    elif done is not None:
        status, left = SlaStatus.MET, _ZERO
    else:
        left = working_time_between(now, due, calendar, holds) if due > now else _ZERO
        status = SlaStatus.PENDING
    return TargetOutcome(
        target=target, due=due, done_at=done, status=status, lateness=late, remaining=left
    )


def _targets(
    request: ServiceRequest,
    calendar: WorkingCalendar,
    term: SlaTerm,
    now: datetime,
) -> tuple[TargetOutcome, TargetOutcome]:
    at = _aware("now", now)
    if at < utc(request.reported_at):
        raise ValidationError.single(
            "now", now, f"must not be before reported_at {request.reported_at}"
        )
    holds = sla_holds(request, at)
    response_due, resolution_due = due_times(request.sla_start, term, calendar, holds)
    cancelled = request.status is RequestStatus.CANCELLED
    closed_at = request.closure.closed_at if request.closure is not None else None
    return (
        _target(
            SlaTarget.RESPONSE, response_due, request.responded_at, cancelled, at, calendar, ()
        ),
        _target(SlaTarget.RESOLUTION, resolution_due, closed_at, cancelled, at, calendar, holds),
    )


def sla_outcome(
    request: ServiceRequest,
    terms: ServiceContract | SlaPolicy,
    now: datetime,
    *,
    currency: str | None = None,
) -> SlaOutcome:
    """Evaluate ``request`` against its SLA at ``now``: met, pending or breached, and the penalty.

    Due times are computed afresh from the terms (not read from the request), with the time on
    hold pushing resolution out. Response is met by ``responded_at``, resolution by the closure's
    ``closed_at``; while not met, lateness is counted up to ``now``.

    Args:
        request: The request.
        terms: Its contract, or a policy for requests without one.
        now: The moment of evaluation (aware, not before ``reported_at``).
        currency: Currency for a contract with no penalty terms at all.

    Returns:
        The outcome.

    Raises:
        NotFound: The contract has no SLA term for the request's priority.
        ValidationError: ``now`` is not aware or before ``reported_at``; ``terms`` is another
            contract than the request's or not a contract or policy; a contract without penalty
            terms and no ``currency``; inconsistent holds (see :func:`sla_holds`); or a calendar
            without working time.
    """
    calendar, term = _terms(request, terms)
    policy = (
        terms
        if isinstance(terms, SlaPolicy)
        else SlaPolicy.from_contract(terms, request.priority, currency=currency)
    )
    response, resolution = _targets(request, calendar, term, now)
    breaches = []
    for outcome in (response, resolution):
        if outcome.status is SlaStatus.BREACHED:
            cost = (
                policy.penalty.amount_for(outcome.lateness)
                if policy.penalty is not None
                else None
                if policy.currency is None
                else Money.zero(policy.currency)
            )
            breaches.append(
                SlaBreach(
                    target=outcome.target,
                    due=outcome.due,
                    lateness=outcome.lateness,
                    ongoing=outcome.done_at is None,
                    penalty=cost,
                )
            )
    total = (
        None
        if policy.currency is None
        else Money.total((b.penalty for b in breaches if b.penalty is not None), policy.currency)
    )
    if policy.penalty is not None and total is not None and policy.penalty.cap < total:
        total = policy.penalty.cap
    return SlaOutcome(
        request_id=request.id,
        priority=request.priority,
        evaluated_at=utc(now),
        response=response,
        resolution=resolution,
        breaches=tuple(breaches),
        penalty=total,
    )


def at_risk(
    request: ServiceRequest,
    terms: ServiceContract | SlaPolicy,
    now: datetime,
    within: timedelta,
) -> bool:
    """Whether a target of ``request`` is pending and due within ``within`` of working time.

    Breached targets are not "at risk" (see :func:`sla_outcome` for those), nor are met or
    cancelled ones. While the request is on hold its resolution due time keeps moving out, so the
    working time left does not shrink.

    Args:
        request: The request.
        terms: Its contract, or a policy for requests without one.
        now: The present (aware, not before ``reported_at``).
        within: How much working time ahead counts as "soon" (not negative).

    Returns:
        ``True`` when a pending target has at most ``within`` of working time left.

    Raises:
        NotFound: The contract has no SLA term for the request's priority.
        ValidationError: ``within`` is not a non-negative timedelta, or as for
            :func:`sla_outcome`.
    """
    if not isinstance(within, timedelta) or within < _ZERO:
        raise ValidationError.single("within", within, "must be a timedelta >= 0")
    calendar, term = _terms(request, terms)
    return any(
        t.status is SlaStatus.PENDING and t.remaining <= within
        for t in _targets(request, calendar, term, now)
    )
