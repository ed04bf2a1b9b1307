"""Preventive maintenance (seed 001): turn contracts' maintenance plans into service requests.

:func:`generate_maintenance_requests` is a job: for every active contract and each of its
:class:`~servicecore.model.maintenance.MaintenancePlan`, every visit due from today up to the
horizon, plus every earlier visit whose tolerance window is still open, becomes a service request
opened through :func:`~servicecore.services.requests.open_request`. Each visit's request id is
derived from the contract, plan, product and date (:func:`visit_request_id`), and each visit
commits in its own unit of work, so running the job twice (or on two servers at once) never
opens a visit twice: storage refuses the second request with the same id.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

import attrs

from servicecore.errors import DuplicateId, ServicecoreError, ValidationError
from servicecore.model.archive import ArchiveStatus
from servicecore.model.common import TimeRange
from servicecore.model.contract import ContractStatus, ServiceContract
from servicecore.model.maintenance import MaintenancePlan, due_visits
from servicecore.ports import Query, UnitOfWork
from servicecore.services.context import JobContext, job
from servicecore.services.requests import open_request

__all__ = [
    "MaintenanceRun",
    "MaintenanceVisit",
    "generate_maintenance_requests",
    "maintenance_visits",
    "planned_visits",
    "visit_request_id",
    "visit_window",
]


_MAX_ID = 128
_EXISTING = "existing"


def visit_request_id(contract_id: str, plan_id: str, archive_id: str, due: date) -> str:
    """Return the request id of one visit: ``PM:<contract>:<plan>:<archive>:<yyyymmdd>``.

    When a part holds a ``:`` (which would make two visits' ids alike) or the id would be longer
    than an id may be, it is ``PM:`` and a SHA-256 digest of the four parts instead. Either way
    the same visit always gets the same id.
    """
    parts = (contract_id, plan_id, archive_id, f"{due:%Y%m%d}")
    plain = "PM:" + ":".join(parts)
    if len(plain) <= _MAX_ID and not any(":" in p for p in parts):
        return plain
    return "PM:" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@attrs.frozen
class MaintenanceVisit:
    """One planned visit to one product.

    Attributes:
        contract_id: The contract promising it.
        plan_id: The plan it comes from.
        archive_id: The product visited.
        due: The day it is due.
        earliest: The first day it may be done (early tolerance).
        latest: The last day it may be done (late tolerance, or the season's end).
        request_id: The id of its service request.
    """

    contract_id: str
    plan_id: str
    archive_id: str
    due: date
    earliest: date
    latest: date
    request_id: str


@attrs.frozen
class MaintenanceRun:
    """What one run of the generation job did.

    Attributes:
        generated: Visits whose requests were opened now.
        existing: Visits whose requests an earlier run had opened.
        skipped: Visits not opened, with why (the product is not registered, or the request was
            refused); the next run tries them again.
    """

    generated: tuple[MaintenanceVisit, ...]
    existing: tuple[MaintenanceVisit, ...]
    skipped: tuple[tuple[MaintenanceVisit, str], ...]


def maintenance_visits(uow: UnitOfWork, start: date, end: date) -> list[tuple[str, date]]:
    """Return the ``(archive id, due date)`` visits active contracts' plans promise in [start, end].

    Visits outside a contract's period are left out. This is what the spare-part plan expects
    from preventive maintenance (see :func:`servicecore.services.parts.plan_spare_parts`).
    """
    found: list[tuple[str, date]] = []
    for contract in uow.contracts.iterate(Query(equals={"status": "active"})):
        first, last = max(start, contract.start), min(end, contract.end)
        if last < first:
            continue
        for plan in contract.maintenance_plans:
            for due in due_visits(plan, first, last + timedelta(days=1)):
                found.extend((a, due) for a in plan.applies_to(contract.archive_ids))
    return sorted(found)


def planned_visits(
    contract: ServiceContract, plan: MaintenancePlan, today: date, horizon_days: int
) -> list[MaintenanceVisit]:
    """Return the visits of ``plan`` to open on ``today``, by date then product.

    Those are the visits due from ``today`` up to ``today + horizon_days`` (inclusive), plus
    earlier ones whose window is still open today, within the contract's period. A contract
    whose period has not begun plans nothing yet (it covers nothing today, so a request could
    not be opened under it).
    """
    if today < contract.start:
        return []
    reach_back = plan.late_tolerance_days
    if plan.recurrence.season is not None:
        reach_back = max(reach_back, 366)
    first = max(contract.start, today - timedelta(days=reach_back))
    last = min(contract.end, today + timedelta(days=horizon_days))
    visits: list[MaintenanceVisit] = []
    for due in due_visits(plan, first, last + timedelta(days=1)):
        earliest, latest = plan.window(due)
        if latest < today:
            continue
        for archive_id in plan.applies_to(contract.archive_ids):
            visits.append(
                MaintenanceVisit(
                    contract_id=contract.id,
                    plan_id=plan.id,
                    archive_id=archive_id,
                    due=due,
                    earliest=earliest,
                    latest=latest,
                    request_id=visit_request_id(contract.id, plan.id, archive_id, due),
                )
            )
    return visits


def _symptoms(plan: MaintenancePlan, visit: MaintenanceVisit) -> str:
    return (
        f"{plan.description} (plan {plan.id} of contract {visit.contract_id}): due "
        f"{visit.due.isoformat()}, to be done from {visit.earliest.isoformat()} to "
        f"{visit.latest.isoformat()}, about {plan.duration_minutes} minutes"
    )


def visit_window(contract: ServiceContract, visit: MaintenanceVisit) -> TimeRange:
    """The visit's window as moments: from its earliest day to the end of its latest day.

    Days are read in the contract's calendar time zone. The request's SLA clock starts when the
    window opens, and the scheduler serves the request inside it.
    """
    zone = contract.calendar.zone
    opens = datetime.combine(visit.earliest, time(0), zone)
    closes = datetime.combine(visit.latest + timedelta(days=1), time(0), zone)
    return TimeRange(opens, closes)


def _open_visit(
    jx: JobContext, item: tuple[ServiceContract, MaintenancePlan, MaintenanceVisit]
) -> str | None:
    """Open one visit's request; return ``None`` if opened, ``"existing"`` or why it was not."""
    contract, plan, visit = item
    try:
        with jx.command() as cx:
            if cx.uow.requests.find(visit.request_id) is not None:
                return _EXISTING
            archive = cx.uow.archives.find(visit.archive_id)
            if archive is None or archive.status is not ArchiveStatus.REGISTERED:
                return f"product {visit.archive_id} is not registered"
            open_request(
                cx,
                customer_id=contract.customer_id,
                service_type=plan.service_type,
                symptoms=_symptoms(plan, visit),
                priority=plan.priority,
                archive_id=visit.archive_id,
                contract_id=contract.id,
                required_skills=plan.required_skills,
                window=visit_window(contract, visit),
                request_id=visit.request_id,
            )
            cx.uow.commit()
    except DuplicateId:
        return _EXISTING  # another run opened it between our look-up and our commit
    except ServicecoreError as exc:
        return str(exc)
    return None


@job("generate_maintenance")
def generate_maintenance_requests(jx: JobContext, /, *, horizon_days: int = 30) -> MaintenanceRun:
    """Open a maintenance request for every planned visit of the tenant that has none yet.

    "Today" is read in each contract's calendar timezone. Each visit commits in its own unit of
    work; a visit whose request exists is reported as existing, and one that cannot be opened
    (the product is no longer registered, the contract does not cover it today, ...) is
    reported as skipped without holding back the others.

    Raises:
        PermissionDenied: The actor may not generate maintenance (``generate_maintenance``) or
            open requests (``open_request``).
        ValidationError: ``horizon_days`` is negative.
    """
    jx.check("open_request")
    if horizon_days < 0:
        raise ValidationError.single("horizon_days", horizon_days, "must not be negative")
    now = jx.clock.now()
    planned: list[tuple[ServiceContract, MaintenancePlan, MaintenanceVisit]] = []
    with jx.storage.unit_of_work(jx.tenant) as uow:
        for contract in uow.contracts.iterate(
            Query(equals={"status": ContractStatus.ACTIVE.value})
        ):
            today = now.astimezone(contract.calendar.zone).date()
            for plan in contract.maintenance_plans:
                planned.extend(
                    (contract, plan, visit)
                    for visit in planned_visits(contract, plan, today, horizon_days)
                )
    generated: list[MaintenanceVisit] = []
    existing: list[MaintenanceVisit] = []
    skipped: list[tuple[MaintenanceVisit, str]] = []
    for item in planned:
        outcome = _open_visit(jx, item)
        if outcome is None:
            generated.append(item[2])
        elif outcome == _EXISTING:
            existing.append(item[2])
        else:
            skipped.append((item[2], outcome))
    return MaintenanceRun(tuple(generated), tuple(existing), tuple(skipped))
