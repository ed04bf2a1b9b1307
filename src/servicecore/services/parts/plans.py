"""Spare-part plans (备件计划): how many of which part a service warehouse should hold by when.

:func:`plan_spare_parts` computes a plan from the installed base, the maintenance visits expected
and the failure history (the arithmetic is :mod:`servicecore.model.forecast`); the plan is then
saved as a draft, approved, pushed down into transfers
(:func:`~servicecore.services.parts.transfers.transfers_for_plan`) and closed.

Every command checks the policy under :data:`PLAN_COMMAND`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from servicecore.errors import ValidationError
from servicecore.lifecycle import SPARE_PART_PLAN
from servicecore.lifecycle.facts import Facts
from servicecore.model.archive import ArchiveStatus, ProductArchive
from servicecore.model.common import ArchiveId, PartCode, SparePartPlanId, WarehouseId
from servicecore.model.forecast import PartsForecast, expect_failures, expect_visit
from servicecore.model.parts import PlanLine, SparePartPlan
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import event, move
from servicecore.services.context import CommandContext, command, query
from servicecore.services.maintenance import maintenance_visits
from servicecore.services.parts._common import OPEN_TRANSFER, load_history

__all__ = [
    "PLAN_COMMAND",
    "approve_spare_part_plan",
    "close_spare_part_plan",
    "plan_spare_parts",
    "save_spare_part_plan",
]

PLAN_COMMAND = "plan_parts"
"""The policy command the plan and transfer commands check."""


def _visit_archive(
    uow: UnitOfWork, i: int, visit: object, first: date, last: date
) -> tuple[ProductArchive, date]:
    if not isinstance(visit, tuple | list) or len(visit) != 2:
        raise ValidationError.single(f"expected_visits[{i}]", visit, "must be an (archive, date)")
    archive, on = visit
    if isinstance(archive, ProductArchive):
        found: ProductArchive | None = archive
    elif isinstance(archive, str) and archive:
        found = uow.archives.find(archive)
    else:
        raise ValidationError.single(
            f"expected_visits[{i}]", archive, "must name an archive (id or ProductArchive)"
        )
    if found is None:
        raise ValidationError.single(f"expected_visits[{i}]", archive, "no such archive")
    if found.status is not ArchiveStatus.REGISTERED:
        raise ValidationError.single(
            f"expected_visits[{i}]", found.id, f"archive is {found.status.value}, not registered"
        )
    if not _is_date(on) or not first <= on <= last:
        raise ValidationError.single(
            f"expected_visits[{i}]", on, f"the visit date must be a date within {first}..{last}"
        )
    return found, on


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_plan_inputs(
    period_start: date, period_end: date, window: object, factor: object
) -> None:
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if not _is_date(value):
            raise ValidationError.single(name, value, "must be a date")
    if period_end < period_start:
        raise ValidationError.single("period_end", period_end, f"must not be before {period_start}")
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValidationError.single("failure_window_days", window, "must be a whole number >= 1")
    good = (
        isinstance(factor, Decimal | int)
        and not isinstance(factor, bool)
        and Decimal(factor).is_finite()
        and factor > 0
    )
    if not good:
        raise ValidationError.single("safety_factor", factor, "must be a Decimal above 0")


@query("plan_parts")
def plan_spare_parts(
    cx: CommandContext,
    /,
    *,
    period_start: date,
    period_end: date,
    warehouse_id: str,
    expected_visits: Sequence[tuple[ProductArchive | str, date]] | None = None,
    failure_window_days: int = 365,
    safety_factor: Decimal = Decimal(1),
    plan_id: str | None = None,
) -> SparePartPlan:
    """Compute how many of which part ``warehouse_id`` needs by when over a period (备件计划).

    Nothing is stored: pass the plan to :func:`save_spare_part_plan`. The history window ``H`` is
    the ``failure_window_days`` days before ``period_start``; history means the parts used in
    *completed* processing orders of requests reported in ``H``, keyed by the product of the
    request's archive and the request's service type.

    **Failures** (the installed base, service types in
    :data:`~servicecore.model.forecast.FAILURE_TYPES`). For each product
    ``P`` and part ``c``, the failure rate per installed unit and day is::

        rate(P, c) = used(P, c) / unit_days_H(P)

    where ``used`` is the quantity of ``c`` used on requests for ``P`` in ``H`` and
    ``unit_days_H(P)`` sums, over the archives of ``P`` that are registered or invalidated, the
    days of ``H`` each was installed (from its ``install_date``; all of ``H`` when unknown). Each
    *registered* archive ``a`` of ``P`` that holds ``c`` (in its parts list; an archive with an
    empty parts list is taken to hold every part) then expects::

        rate(P, c) * unit_days_period(a)

    needed by ``period_start``.

    **Maintenance visits** (``expected_visits``: ``(archive or archive id, date)`` pairs, each date
    within the period). A visit to an archive of ``P`` expects, for each part ``c`` it holds::

        used_maintenance(P, c) / completed_maintenance_requests_H(P)

    needed by the visit date. A product without maintenance history expects nothing.

    **Rounding.** Every expectation is multiplied by ``safety_factor``. Per part, the expectations
    are accumulated in date order and each date gets ``ceil(cumulative) - ceil(previous
    cumulative)`` parts: the total is the expectation rounded up once (never once per archive or
    visit), and each part is needed by the first date the cumulative need reaches it. Exact
    fractions are used throughout; dates with nothing to add get no line.

    Args:
        cx: Who acts, in which unit of work, under which settings.
        period_start: First day planned.
        period_end: Last day planned (inclusive).
        warehouse_id: The service warehouse to stock.
        expected_visits: Maintenance visits expected in the period; by default those the
            maintenance plans of active contracts promise
            (:func:`~servicecore.services.maintenance.maintenance_visits`).
        failure_window_days: Length of the history window in days (>= 1).
        safety_factor: Multiplier on every expectation (> 0), e.g. ``Decimal("1.2")``.
        plan_id: The plan's id (default: a new one).

    Returns:
        A draft plan; ``archive_ids`` are the archives whose expectations contributed.

    Raises:
        ValidationError: A bad argument (naming it), a visit to an unknown or unregistered archive
            or outside the period (``expected_visits[i]``), or nothing to stock (``lines``).
    """
    _check_plan_inputs(period_start, period_end, failure_window_days, safety_factor)
    factor = Fraction(safety_factor)
    window_start = period_start - timedelta(days=failure_window_days)
    archives: dict[str, ProductArchive | None] = {}
    history = load_history(cx.uow, window_start, period_start, archives)
    in_service = [ArchiveStatus.REGISTERED.value, ArchiveStatus.INVALIDATED.value]
    forecast = PartsForecast()
    expect_failures(
        forecast,
        list(cx.uow.archives.iterate(Query(equals={"status": in_service}))),
        history,
        window=(window_start, period_start - timedelta(days=1)),
        period=(period_start, period_end),
        factor=factor,
    )
    if expected_visits is None:
        expected_visits = maintenance_visits(cx.uow, period_start, period_end)
    for i, visit in enumerate(expected_visits):
        archive, on = _visit_archive(cx.uow, i, visit, period_start, period_end)
        expect_visit(forecast, archive, on, history, factor)
    lines = [
        PlanLine(
            part_code=PartCode(code),
            quantity=quantity,
            warehouse_id=WarehouseId(warehouse_id),
            needed_by=day,
        )
        for code, day, quantity in forecast.whole_parts()
    ]
    if not lines:
        raise ValidationError.single(
            "lines",
            (),
            f"nothing to stock in {warehouse_id} for {period_start}..{period_end}: no failure "
            f"history since {window_start} and no maintenance visit implies a part",
        )
    lines.sort(key=lambda x: (x.needed_by, x.part_code))
    return SparePartPlan(
        id=SparePartPlanId(plan_id if plan_id is not None else cx.ids.new_id("SparePartPlan")),
        period_start=period_start,
        period_end=period_end,
        lines=tuple(lines),
        archive_ids=tuple(ArchiveId(a) for a in sorted(forecast.contributors)),
    )


@command("plan_parts")
def save_spare_part_plan(
    cx: CommandContext,
    /,
    plan: SparePartPlan,
) -> SparePartPlan:
    """Record a plan (e.g. from :func:`plan_spare_parts`) as a draft.

    Raises:
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        ValidationError: Not a draft :class:`~servicecore.model.parts.SparePartPlan`.
        DuplicateId: A plan with its id exists.
    """
    cx.check(PLAN_COMMAND, plan)
    cx.create(SPARE_PART_PLAN, plan, payload={"lines": plan.lines})
    cx.uow.spare_part_plans.add(plan)
    event(
        cx,
        "SparePartPlanDrafted",
        plan,
        {"period_start": plan.period_start, "period_end": plan.period_end, "lines": plan.lines},
    )
    return plan


@command("plan_parts")
def approve_spare_part_plan(
    cx: CommandContext,
    /,
    plan_id: str,
) -> SparePartPlan:
    """Approve a draft plan so that it can be pushed down into transfers.

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The plan is not a draft.
        TransitionRefused: The plan's period is over (``period_not_over``).
    """
    approved: SparePartPlan = move(
        cx,
        SPARE_PART_PLAN,
        plan_id,
        "approve",
        command=PLAN_COMMAND,
        event_name="SparePartPlanApproved",
    )
    return approved


@command("plan_parts")
def close_spare_part_plan(
    cx: CommandContext,
    /,
    plan_id: str,
) -> SparePartPlan:
    """Close an approved plan once none of its transfers is requested or in transit.

    Raises:
        NotFound: No such plan.
        PermissionDenied: The actor may not plan parts (warehouse and supervisors by default).
        InvalidTransition: The plan is not approved.
        TransitionRefused: A transfer made from it is still open (``no_open_transfers``).
    """
    plan = cx.uow.spare_part_plans.get(plan_id)
    cx.check(PLAN_COMMAND, plan)
    warehouses = sorted({x.warehouse_id for x in plan.lines})
    query = Query(equals={"to_warehouse": warehouses, "status": OPEN_TRANSFER})
    transfers = [t for t in cx.uow.transfers.iterate(query) if t.plan_id == plan.id]
    cx.fire(SPARE_PART_PLAN, plan, "close", given=Facts(transfers=transfers))
    cx.uow.spare_part_plans.update(plan)
    event(cx, "SparePartPlanClosed", plan)
    return plan
