"""The reporting backend that counts in Python over any storage's records.

It reads every committed record of the tenant it needs through the storage's units of work and
counts in Python: the reporting of memory storage and of any storage without a database of its
own to count in, and the reference the SQL backend is tested against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from servicecore.catalog import spec_for
from servicecore.model.audit import AuditEntry
from servicecore.model.common import Money
from servicecore.model.contract import ServiceContract
from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.processing import ProcessingOrder, ProcessingStatus
from servicecore.model.request import RequestStatus, ServiceRequest
from servicecore.model.technician import Technician
from servicecore.ports import Storage
from servicecore.reports.port import (
    VISIT_STATUSES,
    BookedRequest,
    Bucket,
    Condition,
    CountRow,
    FixRow,
    GroupKey,
    ItemSumRow,
    MoneyKind,
    MoneyRow,
    Op,
    PlannedRow,
    QualityCountRow,
    Related,
    SlaContractRow,
    SlaCountRow,
    SlaTargetStatus,
    Stored,
    SumRow,
    TimeUnit,
    bucket_start,
    check_as_of,
    check_item_query,
    check_path,
    check_query,
    check_range,
    check_window,
    classify_target,
    money_refused,
)

__all__ = ["PythonReporting"]


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _walk(entity: Any, path: Sequence[str]) -> Any:
    found = entity
    for name in path:
        found = getattr(found, name, None)
        if found is None:
            break
    return found


def _holds(value: object, cond: Condition) -> bool:
    wanted = _plain(cond.value)
    if cond.op is Op.EQ:
        return value == wanted
    if cond.op is Op.IN:
        return value in {_plain(v) for v in cond.value}  # type: ignore[attr-defined]
    if cond.op is Op.IS_NULL:
        return value is None
    if cond.op is Op.NOT_NULL:
        return value is not None
    if value is None:
        return False
    if cond.op is Op.GE:
        return bool(value >= wanted)  # type: ignore[operator]
    return bool(value < wanted)  # type: ignore[operator]


class PythonReporting:
    """The :class:`~servicecore.reports.port.ReportingBackend` over any storage's records.

    Args:
        storage: The storage whose committed records are counted.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _records(self, tenant: str, aggregate: str) -> list[Any]:
        with self.storage.unit_of_work(tenant) as uow:
            return list(uow.repository(spec_for(aggregate).name).iterate())

    def _key(
        self,
        aggregate: str,
        entity: Any,
        group_by: Sequence[GroupKey],
        related: dict[int, dict[str, Any]],
    ) -> tuple[object, ...]:
        fields = spec_for(aggregate).fields
        key: list[object] = []
        for i, g in enumerate(group_by):
            if isinstance(g, Bucket):
                value = fields[g.field].read(entity)
                key.append(
                    None if value is None else bucket_start(value, g.unit)  # type: ignore[arg-type]
                )
            elif isinstance(g, Stored):
                key.append(_plain(_walk(entity, g.path)))
            elif isinstance(g, Related):
                other = related[i].get(fields[g.via].read(entity))  # type: ignore[call-overload]
                other_fields = spec_for(g.aggregate).fields
                key.append(None if other is None else other_fields[g.field].read(other))
            else:
                key.append(fields[g].read(entity))
        return tuple(key)

    def _related(self, tenant: str, group_by: Sequence[GroupKey]) -> dict[int, dict[str, Any]]:
        return {
            i: {e.id: e for e in self._records(tenant, g.aggregate)}
            for i, g in enumerate(group_by)
            if isinstance(g, Related)
        }

    def _matching(self, tenant: str, aggregate: str, where: Sequence[Condition]) -> list[Any]:
        fields = spec_for(aggregate).fields
        return [
            e
            for e in self._records(tenant, aggregate)
            if all(_holds(fields[c.field].read(e), c) for c in where)
        ]

    def sum_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        value: Sequence[str],
        where: Sequence[Condition] = (),
    ) -> list[SumRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sum_by`."""
        check_query(aggregate, group_by, where)
        path = check_path(value)
        groups: dict[tuple[object, ...], list[float]] = {}
        related = self._related(tenant, group_by)
        for entity in self._matching(tenant, aggregate, where):
            found = _walk(entity, path)
            acc = groups.setdefault(self._key(aggregate, entity, group_by, related), [0, 0, 0.0])
            acc[0] += 1
            if isinstance(found, bool | int | float):
                acc[1] += 1
                acc[2] += float(found)
        return [SumRow(k, int(n), int(v), t) for k, (n, v, t) in groups.items()]

    def sum_items(
        self,
        tenant: str,
        aggregate: str,
        items: str,
        group_by: Sequence[str],
        item_keys: Sequence[str],
        value: str,
        where: Sequence[Condition] = (),
    ) -> list[ItemSumRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sum_items`."""
        check_query(aggregate, group_by, where)
        check_item_query(items, item_keys, value)
        groups: dict[tuple[object, ...], list[float]] = {}
        for entity in self._matching(tenant, aggregate, where):
            record_key = self._key(aggregate, entity, group_by, {})
            for item in getattr(entity, items, None) or ():
                key = record_key + tuple(_plain(getattr(item, k, None)) for k in item_keys)
                acc = groups.setdefault(key, [0, 0.0])
                acc[0] += 1
                number = getattr(item, value, None)
                if isinstance(number, bool | int | float):
                    acc[1] += float(number)
        return [ItemSumRow(k, int(n), t) for k, (n, t) in groups.items()]

    def count_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        where: Sequence[Condition] = (),
    ) -> list[CountRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.count_by`."""
        check_query(aggregate, group_by, where)
        related = self._related(tenant, group_by)
        counts: Counter[tuple[object, ...]] = Counter(
            self._key(aggregate, e, group_by, related)
            for e in self._matching(tenant, aggregate, where)
        )
        return [CountRow(key, n) for key, n in counts.items()]

    def first_time_fixes(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[FixRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.first_time_fixes`."""
        check_range(start, end)
        closed = {
            r.id
            for r in self._records(tenant, "requests")
            if r.status is RequestStatus.CLOSED
            and (start is None or r.reported_at >= start)
            and (end is None or r.reported_at < end)
        }
        visits: Counter[str] = Counter()
        fixes: set[tuple[str, str]] = set()
        dispatch: DispatchOrder
        for dispatch in self._records(tenant, "dispatches"):
            if dispatch.status in VISIT_STATUSES:
                visits[dispatch.request_id] += 1
            if dispatch.status is DispatchStatus.COMPLETED and dispatch.request_id in closed:
                fixes.add((dispatch.technician_id, dispatch.request_id))
        rows: dict[str, list[int]] = {}
        for technician, request_id in fixes:
            acc = rows.setdefault(technician, [0, 0])
            acc[0] += 1
            acc[1] += visits[request_id] == 1
        return [FixRow(t, n, first) for t, (n, first) in rows.items()]

    def booked_requests(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[BookedRequest]:
        """See :meth:`servicecore.reports.port.ReportingBackend.booked_requests`."""
        check_range(start, end)
        opened: dict[str, list[ServiceRequest]] = {}
        request: ServiceRequest
        for request in self._records(tenant, "requests"):
            if request.booking_id is not None:
                opened.setdefault(request.booking_id, []).append(request)
        rows = []
        for booking in self._records(tenant, "bookings"):
            begin = booking.slot.start
            if (start is not None and begin < start) or (end is not None and begin >= end):
                continue
            found: list[ServiceRequest | None] = [*opened.get(booking.id, [])] or [None]
            rows += [BookedRequest(booking, r) for r in found]
        return rows

    def planned_time(
        self,
        tenant: str,
        statuses: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> list[PlannedRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.planned_time`."""
        check_range(start, end)
        wanted = set(statuses)
        groups: dict[tuple[str, Any], list[int]] = {}
        dispatch: DispatchOrder
        for dispatch in self._records(tenant, "dispatches"):
            begin = dispatch.planned.start
            if dispatch.status.value not in wanted:
                continue
            if (start is not None and begin < start) or (end is not None and begin >= end):
                continue
            key = (dispatch.technician_id, bucket_start(begin, TimeUnit.DAY))
            acc = groups.setdefault(key, [0, 0])
            acc[0] += 1
            acc[1] += int((dispatch.planned.end - begin).total_seconds())
        return [PlannedRow(t, d, n, sec) for (t, d), (n, sec) in groups.items()]

    def technicians(self, tenant: str, ids: Sequence[str]) -> list[Technician]:
        """See :meth:`servicecore.reports.port.ReportingBackend.technicians`."""
        wanted = set(ids)
        return [t for t in self._records(tenant, "technicians") if t.id in wanted]

    def quality_counts(
        self,
        tenant: str,
        start: datetime | None,
        end: datetime | None,
        repeat_within: timedelta,
    ) -> list[QualityCountRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.quality_counts`."""
        check_range(start, end)
        window = check_window(repeat_within)
        everything: list[ServiceRequest] = self._records(tenant, "requests")
        products = {a.id: a.product_code for a in self._records(tenant, "archives")}
        by_archive: dict[str, list[ServiceRequest]] = {}
        for r in everything:
            if r.archive_id is not None:
                by_archive.setdefault(r.archive_id, []).append(r)
        scores: dict[str, list[int]] = {}
        for survey in self._records(tenant, "surveys"):
            scores.setdefault(survey.request_id, []).append(survey.score)
        groups: dict[tuple[str | None, str | None], list[int]] = {}
        with self.storage.unit_of_work(tenant) as uow:
            for r in everything:
                if (start is not None and r.reported_at < start) or (
                    end is not None and r.reported_at >= end
                ):
                    continue
                product = None if r.archive_id is None else products.get(r.archive_id)
                acc = groups.setdefault((product, r.fault_cause), [0, 0, 0, 0, 0])
                acc[0] += 1
                trail = uow.audit.entries("ServiceRequest", r.id)
                acc[1] += any(e.trigger == "reopen" for e in trail)
                acc[2] += any(
                    o.id != r.id and r.reported_at - window < o.reported_at <= r.reported_at
                    for o in by_archive.get(r.archive_id or "", ())
                )
                acc[3] += len(scores.get(r.id, ()))
                acc[4] += sum(scores.get(r.id, ()))
        return [QualityCountRow(p, c, *acc) for (p, c), acc in groups.items()]

    def money_totals(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[MoneyRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.money_totals`."""
        check_range(start, end)
        planned = {d.id: d.planned.start for d in self._records(tenant, "dispatches")}
        groups: dict[tuple[str, str | None, Any, MoneyKind], list[Any]] = {}
        order: ProcessingOrder
        for order in self._records(tenant, "processing"):
            when = planned.get(order.dispatch_id)
            if order.status is not ProcessingStatus.COMPLETED or when is None:
                continue
            if (start is not None and when < start) or (end is not None and when >= end):
                continue
            month = bucket_start(when, TimeUnit.MONTH)
            solution = None if order.solution_type is None else order.solution_type.value
            amounts: list[tuple[MoneyKind, Money, int]] = [
                (MoneyKind.INCOME, x.amount, 1) for x in order.income_lines
            ]
            amounts += [(MoneyKind.COST, x.amount, 1) for x in order.cost_lines]
            amounts += [
                (MoneyKind.PARTS, p.unit_price, p.quantity) for p in order.parts_used if p.charged
            ]
            for kind, money, times in amounts:
                acc = groups.setdefault((order.currency, solution, month, kind), [0, Decimal(0), 0])
                acc[0] += 1
                if money_refused(str(money.amount)):
                    acc[2] += 1
                else:
                    acc[1] += money.amount * times
        return [MoneyRow(c, s, m, k, n, t, r) for (c, s, m, k), (n, t, r) in groups.items()]

    def _statuses(
        self, request: ServiceRequest, as_of: datetime
    ) -> tuple[SlaTargetStatus, SlaTargetStatus]:
        cancelled = request.status is RequestStatus.CANCELLED
        closed_at = request.closure.closed_at if request.closure is not None else None
        found = []
        for done, due in (
            (request.responded_at, request.response_due),
            (closed_at, request.resolution_due),
        ):
            known = done if done is not None and done <= as_of else None
            found.append(classify_target(known, due, cancelled, as_of))
        return found[0], found[1]

    def sla_contract_counts(self, tenant: str, as_of: datetime) -> list[SlaContractRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sla_contract_counts`."""
        check_as_of(as_of)
        counts: Counter[tuple[str, Any, str, SlaTargetStatus]] = Counter()
        request: ServiceRequest
        for request in self._records(tenant, "requests"):
            if request.reported_at > as_of or request.contract_id is None:
                continue
            response, resolution = self._statuses(request, as_of)
            counts[(request.contract_id, request.priority, "response", response)] += 1
            counts[(request.contract_id, request.priority, "resolution", resolution)] += 1
        return [SlaContractRow(c, p, t, st, n) for (c, p, t, st), n in counts.items()]

    def sla_breached(self, tenant: str, as_of: datetime) -> list[ServiceRequest]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sla_breached`."""
        check_as_of(as_of)
        return [
            r
            for r in self._records(tenant, "requests")
            if r.reported_at <= as_of
            and r.contract_id is not None
            and SlaTargetStatus.BREACHED in self._statuses(r, as_of)
        ]

    def contracts(self, tenant: str, ids: Sequence[str]) -> list[ServiceContract]:
        """See :meth:`servicecore.reports.port.ReportingBackend.contracts`."""
        wanted = set(ids)
        return [c for c in self._records(tenant, "contracts") if c.id in wanted]

    def audit_trails(
        self, tenant: str, entity_kind: str, ids: Sequence[str]
    ) -> dict[str, list[AuditEntry]]:
        """See :meth:`servicecore.reports.port.ReportingBackend.audit_trails`."""
        with self.storage.unit_of_work(tenant) as uow:
            return {i: list(uow.audit.entries(entity_kind, i)) for i in ids}

    def sla_counts(self, tenant: str, as_of: datetime) -> list[SlaCountRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sla_counts`."""
        check_as_of(as_of)
        counts: Counter[tuple[Any, str, Any]] = Counter()
        request: ServiceRequest
        for request in self._records(tenant, "requests"):
            if request.reported_at > as_of:
                continue
            cancelled = request.status is RequestStatus.CANCELLED
            closed_at = request.closure.closed_at if request.closure is not None else None
            for target, done, due in (
                ("response", request.responded_at, request.response_due),
                ("resolution", closed_at, request.resolution_due),
            ):
                known = done if done is not None and done <= as_of else None
                status = classify_target(known, due, cancelled, as_of)
                counts[(request.priority, target, status)] += 1
        return [SlaCountRow(p, t, s, n) for (p, t, s), n in counts.items()]
