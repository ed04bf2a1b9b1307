"""The reporting backend on SQLAlchemy Core: every count is a ``GROUP BY`` in the database.

Queries run on the aggregate tables of :mod:`servicecore.adapters.sqlalchemy.tables`, on their
indexed columns; only the SLA counts read two times out of the JSON ``data`` (``responded_at``
and ``closure.closed_at``), with the database's JSON functions. Time buckets are computed in SQL
in UTC: on SQLite from the fixed-width UTC text the datetime columns hold, on PostgreSQL with
``date_trunc`` on the ``timestamptz`` taken at time zone UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
import sqlalchemy as sa

from servicecore.adapters.sqlalchemy.engine import make_engine, read_options
from servicecore.adapters.sqlalchemy.naming import Naming
from servicecore.adapters.sqlalchemy.tables import Tables, tables_for
from servicecore.catalog import spec_for
from servicecore.model.audit import AuditEntry
from servicecore.model.booking import Booking
from servicecore.model.contract import ServiceContract
from servicecore.model.enums import Priority
from servicecore.model.request import ServiceRequest
from servicecore.model.technician import Technician
from servicecore.reports.port import (
    MONEY_LIMIT,
    MONEY_PLACES,
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
    check_as_of,
    check_item_query,
    check_path,
    check_query,
    check_range,
    check_window,
)
from servicecore.serialization import structure

__all__ = ["SqlReporting"]


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _condition(column: sa.ColumnElement[Any], cond: Condition) -> sa.ColumnElement[bool]:
    if cond.op is Op.EQ:
        return column == _plain(cond.value)
    if cond.op is Op.IN:
        return column.in_([_plain(v) for v in cond.value])  # type: ignore[attr-defined]
    if cond.op is Op.IS_NULL:
        return column.is_(None)
    if cond.op is Op.NOT_NULL:
        return column.is_not(None)
    if cond.op is Op.GE:
        return column >= _plain(cond.value)
    return column < _plain(cond.value)


def _sqlite_iso(text: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """Turn a JSON ISO datetime (``...T09:00:00+00:00``, UTC) into the columns' 26-char form."""
    return sa.case(
        (sa.func.substr(text, 20, 1) == ".", sa.func.substr(text, 1, 26)),
        else_=sa.func.substr(text, 1, 19) + ".000000",
    )


class SqlReporting:
    """:class:`~servicecore.reports.port.ReportingBackend` on a SQLite or PostgreSQL database.

    Args:
        target: An engine (e.g. ``SQLAlchemyStorage.engine``), a URL or a SQLite file path; the
            schema must be servicecore's (see :func:`servicecore.adapters.sqlalchemy.upgrade`).
        tables: servicecore's tables in it (default: without prefix or schema).

    Raises:
        ValidationError: ``target`` is not a usable database URL.
    """

    def __init__(self, target: str | sa.Engine, tables: Tables | None = None) -> None:
        self.engine = make_engine(target)
        self.tables = tables or tables_for(Naming())
        self.postgres = self.engine.dialect.name == "postgresql"
        self._owns_engine = not isinstance(target, sa.Engine)

    def close(self) -> None:
        """Close the database connections of an engine this backend created (not a given one)."""
        if self._owns_engine:
            self.engine.dispose()

    def _bucket(self, column: sa.ColumnElement[Any], unit: TimeUnit) -> sa.ColumnElement[Any]:
        if self.postgres:
            local = sa.func.timezone("UTC", column) if _is_datetime(column) else column
            return sa.cast(sa.func.date_trunc(unit.value, local), sa.Date)
        day = sa.func.substr(column, 1, 10)
        if unit is TimeUnit.DAY:
            return day
        if unit is TimeUnit.WEEK:
            # 'weekday 0' moves to the next Sunday (or stays on one); six days back is Monday.
            return sa.func.date(day, "weekday 0", "-6 days")
        return sa.func.substr(column, 1, 7) + "-01"

    def _rows(self, statement: sa.Select[Any]) -> list[sa.Row[Any]]:
        with self.engine.connect().execution_options(**read_options(self.engine)) as conn:
            return list(conn.execute(statement))

    def _keys(
        self, table: sa.Table, group_by: Sequence[GroupKey]
    ) -> tuple[list[sa.ColumnElement[Any]], list[bool], sa.FromClause]:
        """Return the group-by columns, which of them are buckets, and what to select from."""
        keys: list[sa.ColumnElement[Any]] = []
        buckets: list[bool] = []
        source: sa.FromClause = table
        for i, g in enumerate(group_by):
            if isinstance(g, Bucket):
                keys.append(self._bucket(table.c[g.field], g.unit).label(f"k{i}"))
            elif isinstance(g, Stored):
                text = (
                    sa.func.jsonb_extract_path_text(table.c.data, *g.path)
                    if self.postgres
                    else sa.func.json_extract(table.c.data, "$." + ".".join(g.path))
                )
                keys.append(text.label(f"k{i}"))
            elif isinstance(g, Related):
                other = self.tables.aggregates[spec_for(g.aggregate).kind].alias(f"related_{i}")
                source = source.outerjoin(
                    other, (other.c.tenant == table.c.tenant) & (other.c.id == table.c[g.via])
                )
                keys.append(other.c[g.field].label(f"k{i}"))
            else:
                keys.append(table.c[g].label(f"k{i}"))
            buckets.append(isinstance(g, Bucket))
        return keys, buckets, source

    def _number(self, table: sa.Table, path: tuple[str, ...]) -> sa.ColumnElement[Any]:
        """The number (or boolean as 1 / 0) at ``path`` in ``data``; NULL for anything else."""
        if self.postgres:
            kind = sa.func.jsonb_typeof(sa.func.jsonb_extract_path(table.c.data, *path))
            text = sa.func.jsonb_extract_path_text(table.c.data, *path)
            return sa.case(
                (kind == "number", sa.cast(text, sa.Float)),
                (kind == "boolean", sa.case((text == "true", 1.0), else_=0.0)),
                else_=sa.null(),
            )
        json_path = "$." + ".".join(path)
        kind = sa.func.json_type(table.c.data, json_path)
        return sa.case(
            (kind.in_(["integer", "real"]), sa.func.json_extract(table.c.data, json_path)),
            (kind == "true", 1),
            (kind == "false", 0),
            else_=sa.null(),
        )

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
        table = self.tables.aggregates[spec_for(aggregate).kind]
        keys, buckets, source = self._keys(table, group_by)
        number = self._number(table, path)
        statement = (
            sa.select(*keys, sa.func.count(), sa.func.count(number), sa.func.sum(number))
            .select_from(source)
            .where(table.c.tenant == tenant, *(_condition(table.c[c.field], c) for c in where))
            .group_by(*keys)
        )
        found = []
        for row in self._rows(statement):
            values: tuple[Any, ...] = tuple(row)
            n, valued, total = values[-3:]
            if n:
                key = tuple(
                    _to_date(v) if is_bucket else v
                    for v, is_bucket in zip(values[:-3], buckets, strict=True)
                )
                found.append(SumRow(key, int(n), int(valued), float(total or 0)))
        return found

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
        table = self.tables.aggregates[spec_for(aggregate).kind]
        keys, _, _ = self._keys(table, group_by)
        if self.postgres:
            element = sa.func.jsonb_array_elements(
                sa.func.jsonb_extract_path(table.c.data, items)
            ).table_valued("value")
            item_values = [
                sa.func.jsonb_extract_path_text(element.c.value, k).label(f"i{i}")
                for i, k in enumerate(item_keys)
            ]
            number: sa.ColumnElement[Any] = sa.cast(
                sa.func.jsonb_extract_path_text(element.c.value, value), sa.Float
            )
        else:
            element = sa.func.json_each(table.c.data, f"$.{items}").table_valued("value")
            item_values = [
                sa.func.json_extract(element.c.value, f"$.{k}").label(f"i{i}")
                for i, k in enumerate(item_keys)
            ]
            number = sa.func.json_extract(element.c.value, f"$.{value}")
        statement = (
            sa.select(*keys, *item_values, sa.func.count(), sa.func.sum(number))
            .select_from(table.join(element, sa.true()))
            .where(table.c.tenant == tenant, *(_condition(table.c[c.field], c) for c in where))
            .group_by(*keys, *item_values)
        )
        found = []
        for row in self._rows(statement):
            values: tuple[Any, ...] = tuple(row)
            found.append(ItemSumRow(values[:-2], int(values[-2]), float(values[-1] or 0)))
        return found

    def count_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        where: Sequence[Condition] = (),
    ) -> list[CountRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.count_by`."""
        check_query(aggregate, group_by, where)
        table = self.tables.aggregates[spec_for(aggregate).kind]
        keys, buckets, source = self._keys(table, group_by)
        statement = (
            sa.select(*keys, sa.func.count().label("n"))
            .select_from(source)
            .where(table.c.tenant == tenant, *(_condition(table.c[c.field], c) for c in where))
            .group_by(*keys)
        )
        found = []
        for row in self._rows(statement):
            values: tuple[object, ...] = tuple(row)
            key = tuple(
                _to_date(v) if is_bucket else v
                for v, is_bucket in zip(values[:-1], buckets, strict=True)
            )
            count = int(values[-1])  # type: ignore[call-overload]
            if count:  # without GROUP BY keys, SQL answers 0 where there is no group
                found.append(CountRow(key, count))
        return found

    def _money_query(
        self, kind: MoneyKind, dispatch: sa.FromClause, where: list[sa.ColumnElement[bool]]
    ) -> sa.Select[Any]:
        """One kind of amounts of completed processing orders, unnested and summed in SQL."""
        table = self.tables.aggregates["ProcessingOrder"]
        items = {
            MoneyKind.INCOME: "income_lines",
            MoneyKind.COST: "cost_lines",
            MoneyKind.PARTS: "parts_used",
        }[kind]
        price = "unit_price" if kind is MoneyKind.PARTS else "amount"
        if self.postgres:
            element = sa.func.jsonb_array_elements(
                sa.func.jsonb_extract_path(table.c.data, items)
            ).table_valued("value")
            text = sa.func.jsonb_extract_path_text(element.c.value, price, "amount")
            quantity: sa.ColumnElement[Any] = sa.cast(
                sa.func.jsonb_extract_path_text(element.c.value, "quantity"), sa.Numeric
            )
            charged = sa.func.jsonb_extract_path_text(element.c.value, "charged") == "true"
            point = sa.func.strpos(text, ".")
            number = sa.cast(text, sa.Numeric)
            currency = sa.func.jsonb_extract_path_text(table.c.data, "currency")
            solution = sa.func.jsonb_extract_path_text(table.c.data, "solution_type")
        else:
            element = sa.func.json_each(table.c.data, f"$.{items}").table_valued("value")
            text = sa.func.json_extract(element.c.value, f"$.{price}.amount")
            quantity = sa.func.json_extract(element.c.value, "$.quantity")
            charged = sa.func.json_extract(element.c.value, "$.charged") == 1
            point = sa.func.instr(text, ".")
            number = sa.cast(text, sa.Float)
            currency = sa.func.json_extract(table.c.data, "$.currency")
            solution = sa.func.json_extract(table.c.data, "$.solution_type")
        refused = (
            text.ilike("%e%")
            | ((point > 0) & (sa.func.length(text) - point > MONEY_PLACES))
            | (sa.func.abs(number) >= float(MONEY_LIMIT))
        )
        # SQLite: integers of 1/10,000 units, exact below MONEY_LIMIT (see its docstring).
        units = (
            number
            if self.postgres
            else sa.cast(sa.func.round(number * 10**MONEY_PLACES), sa.Integer)
        )
        amount = units * quantity if kind is MoneyKind.PARTS else units
        month = self._bucket(dispatch.c.planned_start, TimeUnit.MONTH)
        keys = [currency.label("currency"), solution.label("solution"), month.label("month")]
        conditions = [table.c.tenant == dispatch.c.tenant, *where]
        if kind is MoneyKind.PARTS:
            conditions.append(charged)
        return (
            sa.select(
                *keys,
                sa.func.count(),
                sa.func.sum(sa.case((refused, None), else_=amount)),
                sa.func.sum(sa.case((refused, 1), else_=0)),
            )
            .select_from(
                table.join(
                    dispatch,
                    (dispatch.c.tenant == table.c.tenant) & (dispatch.c.id == table.c.dispatch_id),
                ).join(element, sa.true())
            )
            .where(*conditions)
            .group_by(*keys)
        )

    def first_time_fixes(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[FixRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.first_time_fixes`."""
        check_range(start, end)
        requests = self.tables.aggregates["ServiceRequest"]
        dispatches = self.tables.aggregates["DispatchOrder"]
        per_request = (
            sa.select(dispatches.c.request_id, sa.func.count().label("visits"))
            .where(
                dispatches.c.tenant == tenant,
                dispatches.c.status.in_([s.value for s in VISIT_STATUSES]),
            )
            .group_by(dispatches.c.request_id)
            .subquery("visits_per_request")
        )
        where = [
            dispatches.c.tenant == tenant,
            dispatches.c.status == "completed",
            requests.c.status == "closed",
        ]
        for cond in (
            Condition("reported_at", Op.GE, start) if start is not None else None,
            Condition("reported_at", Op.LT, end) if end is not None else None,
        ):
            if cond is not None:
                where.append(_condition(requests.c.reported_at, cond))
        statement = (
            sa.select(
                dispatches.c.technician_id,
                sa.func.count(sa.distinct(dispatches.c.request_id)),
                sa.func.count(
                    sa.distinct(sa.case((per_request.c.visits == 1, dispatches.c.request_id)))
                ),
            )
            .select_from(
                dispatches.join(
                    requests,
                    (requests.c.tenant == dispatches.c.tenant)
                    & (requests.c.id == dispatches.c.request_id),
                ).join(per_request, per_request.c.request_id == dispatches.c.request_id)
            )
            .where(*where)
            .group_by(dispatches.c.technician_id)
        )
        return [
            FixRow(str(technician), int(n), int(first))
            for technician, n, first in (tuple(r) for r in self._rows(statement))
        ]

    def booked_requests(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[BookedRequest]:
        """See :meth:`servicecore.reports.port.ReportingBackend.booked_requests`.

        One query: the bookings of the range (on the indexed ``slot_start``) outer-joined to
        the requests on ``booking_id``; only the matching documents are read.
        """
        check_range(start, end)
        bookings = self.tables.aggregates["Booking"]
        requests = self.tables.aggregates["ServiceRequest"].alias("booked_request")
        where = [bookings.c.tenant == tenant]
        if start is not None:
            where.append(_condition(bookings.c.slot_start, Condition("slot_start", Op.GE, start)))
        if end is not None:
            where.append(_condition(bookings.c.slot_start, Condition("slot_start", Op.LT, end)))
        statement = (
            sa.select(bookings.c.data, requests.c.data)
            .select_from(
                bookings.outerjoin(
                    requests,
                    (requests.c.tenant == bookings.c.tenant)
                    & (requests.c.booking_id == bookings.c.id),
                )
            )
            .where(*where)
        )
        return [
            BookedRequest(
                structure(booking, Booking),
                None if request is None else structure(request, ServiceRequest),
            )
            for booking, request in (tuple(r) for r in self._rows(statement))
        ]

    def planned_time(
        self,
        tenant: str,
        statuses: Sequence[str],
        start: datetime | None,
        end: datetime | None,
    ) -> list[PlannedRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.planned_time`."""
        check_range(start, end)
        table = self.tables.aggregates["DispatchOrder"]
        begin, finish = table.c.planned_start, table.c.planned_end
        seconds: sa.ColumnElement[Any] = (
            sa.extract("epoch", finish) - sa.extract("epoch", begin)
            if self.postgres
            else sa.cast(sa.func.strftime("%s", finish), sa.Integer)
            - sa.cast(sa.func.strftime("%s", begin), sa.Integer)
        )
        day = self._bucket(begin, TimeUnit.DAY).label("day")
        where = [table.c.tenant == tenant, table.c.status.in_(list(statuses))]
        if start is not None:
            where.append(_condition(begin, Condition("planned_start", Op.GE, start)))
        if end is not None:
            where.append(_condition(begin, Condition("planned_start", Op.LT, end)))
        statement = (
            sa.select(table.c.technician_id, day, sa.func.count(), sa.func.sum(seconds))
            .where(*where)
            .group_by(table.c.technician_id, day)
        )
        return [
            PlannedRow(str(t), _to_date(d), int(n), round(sec or 0))  # type: ignore[arg-type]
            for t, d, n, sec in (tuple(r) for r in self._rows(statement))
        ]

    def technicians(self, tenant: str, ids: Sequence[str]) -> list[Technician]:
        """See :meth:`servicecore.reports.port.ReportingBackend.technicians`."""
        table = self.tables.aggregates["Technician"]
        statement = sa.select(table.c.data).where(
            table.c.tenant == tenant, table.c.id.in_(list(ids))
        )
        return [structure(row[0], Technician) for row in self._rows(statement)]

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
        requests = self.tables.aggregates["ServiceRequest"]
        archives = self.tables.aggregates["ProductArchive"].alias("quality_archive")
        earlier = requests.alias("earlier_request")
        surveys = self.tables.aggregates["SurveyResult"]
        if self.postgres:
            cause = sa.func.jsonb_extract_path_text(requests.c.data, "fault_cause")
            score: sa.ColumnElement[Any] = sa.cast(
                sa.func.jsonb_extract_path_text(surveys.c.data, "score"), sa.Integer
            )
            after_start = (
                sa.extract("epoch", earlier.c.reported_at)
                > sa.extract("epoch", requests.c.reported_at) - window.total_seconds()
            )
        else:
            cause = sa.func.json_extract(requests.c.data, "$.fault_cause")
            score = sa.func.json_extract(surveys.c.data, "$.score")
            after_start = sa.func.julianday(earlier.c.reported_at) > sa.func.julianday(
                requests.c.reported_at
            ) - window / timedelta(days=1)
        reopened = (
            sa.select(sa.literal(1))
            .where(
                self.tables.audit.c.tenant == requests.c.tenant,
                self.tables.audit.c.entity_kind == "ServiceRequest",
                self.tables.audit.c.entity_id == requests.c.id,
                self.tables.audit.c.trigger == "reopen",
            )
            .exists()
        )
        repeat = (
            sa.select(sa.literal(1))
            .where(
                earlier.c.tenant == requests.c.tenant,
                earlier.c.archive_id == requests.c.archive_id,
                earlier.c.id != requests.c.id,
                earlier.c.reported_at <= requests.c.reported_at,
                after_start,
            )
            .exists()
        )
        where = [requests.c.tenant == tenant]
        if start is not None:
            where.append(requests.c.reported_at >= start)
        if end is not None:
            where.append(requests.c.reported_at < end)
        source = requests.outerjoin(
            archives,
            (archives.c.tenant == requests.c.tenant) & (archives.c.id == requests.c.archive_id),
        )
        keys = [archives.c.product_code.label("product"), cause.label("cause")]
        counted = (
            sa.select(
                *keys,
                sa.func.count(),
                sa.func.sum(sa.case((reopened, 1), else_=0)),
                sa.func.sum(sa.case((repeat, 1), else_=0)),
            )
            .select_from(source)
            .where(*where)
            .group_by(*keys)
        )
        rated = (
            sa.select(*keys, sa.func.count(), sa.func.sum(score))
            .select_from(
                source.join(
                    surveys,
                    (surveys.c.tenant == requests.c.tenant)
                    & (surveys.c.request_id == requests.c.id),
                )
            )
            .where(*where)
            .group_by(*keys)
        )
        ratings = {
            (product, found_cause): (int(n), int(total or 0))
            for product, found_cause, n, total in (tuple(r) for r in self._rows(rated))
        }
        found = []
        for product, found_cause, n, reopens, repeats in (tuple(r) for r in self._rows(counted)):
            surveyed, total = ratings.get((product, found_cause), (0, 0))
            found.append(
                QualityCountRow(
                    product, found_cause, int(n), int(reopens), int(repeats), surveyed, total
                )
            )
        return found

    def money_totals(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> list[MoneyRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.money_totals`.

        Three grouped queries (income lines, cost lines, charged parts), each unnesting the
        lists in the database and joining the dispatch order for the date.
        """
        check_range(start, end)
        table = self.tables.aggregates["ProcessingOrder"]
        dispatch = self.tables.aggregates["DispatchOrder"].alias("money_dispatch")
        planned = dispatch.c.planned_start
        where: list[sa.ColumnElement[bool]] = [
            table.c.tenant == tenant,
            table.c.status == "completed",
        ]
        if start is not None:
            where.append(_condition(planned, Condition("planned_start", Op.GE, start)))
        if end is not None:
            where.append(_condition(planned, Condition("planned_start", Op.LT, end)))
        found = []
        for kind in MoneyKind:
            for row in self._rows(self._money_query(kind, dispatch, where)):
                currency, solution, month, n, total, refused = tuple(row)
                found.append(
                    MoneyRow(
                        currency=str(currency),
                        solution_type=None if solution is None else str(solution),
                        month=_to_date(month),  # type: ignore[arg-type]
                        kind=kind,
                        lines=int(n),
                        total=(
                            Decimal(total or 0)
                            if self.postgres
                            else Decimal(int(total or 0)).scaleb(-MONEY_PLACES)
                        ),
                        refused=int(refused or 0),
                    )
                )
        return found

    def _json_time(self, table: sa.Table, *path: str) -> sa.ColumnElement[Any]:
        if self.postgres:
            text = sa.func.jsonb_extract_path_text(table.c.data, *path)
            return sa.cast(text, sa.DateTime(timezone=True))
        return sa.func.json_extract(table.c.data, "$." + ".".join(path))

    def _contract_sla(
        self, tenant: str, as_of: datetime, *columns: sa.ColumnElement[Any]
    ) -> tuple[Any, sa.ColumnElement[Any], sa.ColumnElement[Any]]:
        """The contract requests reported by ``as_of`` (a CTE) and both targets' statuses."""
        at = check_as_of(as_of).astimezone(UTC)
        table = self.tables.aggregates["ServiceRequest"]
        bound: sa.ColumnElement[Any] = (
            sa.literal(at, sa.DateTime(timezone=True))
            if self.postgres
            else sa.literal(at.replace(tzinfo=None).isoformat(timespec="microseconds"), sa.String)
        )
        source = (
            sa.select(
                *columns,
                table.c.contract_id,
                table.c.priority,
                table.c.status,
                table.c.response_due,
                table.c.resolution_due,
                self._json_time(table, "responded_at").label("responded"),
                self._json_time(table, "closure", "closed_at").label("closed"),
            )
            .where(
                table.c.tenant == tenant,
                table.c.reported_at <= at,
                table.c.contract_id.is_not(None),
            )
            .cte("contract_sla")
        )
        cancelled = source.c.status == "cancelled"

        def status(due: sa.ColumnElement[Any], raw: sa.ColumnElement[Any]) -> Any:
            raw = raw if self.postgres else _sqlite_iso(raw)
            return sa.case(
                (due.is_(None), SlaTargetStatus.UNMEASURED.value),
                ((raw <= bound) & (raw <= due), SlaTargetStatus.MET.value),
                (raw <= bound, SlaTargetStatus.BREACHED.value),
                (cancelled, SlaTargetStatus.CANCELLED.value),
                (due < at, SlaTargetStatus.BREACHED.value),
                else_=SlaTargetStatus.PENDING.value,
            )

        return (
            source,
            status(source.c.response_due, source.c.responded),
            status(source.c.resolution_due, source.c.closed),
        )

    def sla_contract_counts(self, tenant: str, as_of: datetime) -> list[SlaContractRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sla_contract_counts`."""
        source, response, resolution = self._contract_sla(tenant, as_of)
        statement = sa.select(
            source.c.contract_id,
            source.c.priority,
            response.label("response"),
            resolution.label("resolution"),
            sa.func.count(),
        ).group_by(
            source.c.contract_id,
            source.c.priority,
            sa.literal_column("response"),
            sa.literal_column("resolution"),
        )
        counts: dict[tuple[str, str, str, str], int] = {}
        for row in self._rows(statement):
            contract, priority, response_state, resolution_state, n = tuple(row)
            for key in (
                (contract, priority, "response", response_state),
                (contract, priority, "resolution", resolution_state),
            ):
                counts[key] = counts.get(key, 0) + int(n)
        return [
            SlaContractRow(str(c), Priority(p), target, SlaTargetStatus(state), n)
            for (c, p, target, state), n in counts.items()
        ]

    def sla_breached(self, tenant: str, as_of: datetime) -> list[ServiceRequest]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sla_breached`."""
        table = self.tables.aggregates["ServiceRequest"]
        source, response, resolution = self._contract_sla(tenant, as_of, table.c.data)
        breached = SlaTargetStatus.BREACHED.value
        statement = sa.select(source.c.data).where(
            (response == breached) | (resolution == breached)
        )
        return [structure(row[0], ServiceRequest) for row in self._rows(statement)]

    def contracts(self, tenant: str, ids: Sequence[str]) -> list[ServiceContract]:
        """See :meth:`servicecore.reports.port.ReportingBackend.contracts`."""
        table = self.tables.aggregates["ServiceContract"]
        statement = sa.select(table.c.data).where(
            table.c.tenant == tenant, table.c.id.in_(list(ids))
        )
        return [structure(row[0], ServiceContract) for row in self._rows(statement)]

    def audit_trails(
        self, tenant: str, entity_kind: str, ids: Sequence[str]
    ) -> dict[str, list[AuditEntry]]:
        """See :meth:`servicecore.reports.port.ReportingBackend.audit_trails`."""
        statement = (
            sa.select(self.tables.audit)
            .where(
                self.tables.audit.c.tenant == tenant,
                self.tables.audit.c.entity_kind == entity_kind,
                self.tables.audit.c.entity_id.in_(list(ids)),
            )
            .order_by(self.tables.audit.c.entity_id, self.tables.audit.c.seq)
        )
        found: dict[str, list[AuditEntry]] = {i: [] for i in ids}
        fields = [f.name for f in attrs.fields(AuditEntry)]
        for row in self._rows(statement):
            mapping = row._mapping
            entry = AuditEntry(**{name: mapping[name] for name in fields})
            found.setdefault(entry.entity_id, []).append(entry)
        return found

    def sla_counts(self, tenant: str, as_of: datetime) -> list[SlaCountRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sla_counts`.

        One pass: a materialised CTE reads each request's two done times out of the JSON once
        (neither database shares a repeated expression), and the outer query groups by priority
        and both targets' statuses.
        """
        at = check_as_of(as_of).astimezone(UTC)
        table = self.tables.aggregates["ServiceRequest"]
        bound: sa.ColumnElement[Any] = (
            sa.literal(at, sa.DateTime(timezone=True))
            if self.postgres
            else sa.literal(at.replace(tzinfo=None).isoformat(timespec="microseconds"), sa.String)
        )
        reported: sa.ColumnElement[Any] = table.c.reported_at
        if not self.postgres:
            # Nearly every request passes this filter: SQLite would walk the reported_at index
            # and fetch each row from it, twice slower than scanning. likely() returns its
            # argument and hides the column from the planner.
            reported = sa.func.likely(reported, type_=reported.type)
        source = (
            sa.select(
                table.c.priority,
                table.c.status,
                table.c.response_due,
                table.c.resolution_due,
                self._json_time(table, "responded_at").label("responded"),
                self._json_time(table, "closure", "closed_at").label("closed"),
            )
            .where(table.c.tenant == tenant, reported <= at)
            .cte("sla_source")
            .prefix_with("MATERIALIZED")
        )
        cancelled = source.c.status == "cancelled"

        def status(due: sa.ColumnElement[Any], raw: sa.ColumnElement[Any]) -> Any:
            # A NULL done time fails both comparisons, so "done by as_of" needs no IS NULL test.
            raw = raw if self.postgres else _sqlite_iso(raw)
            return sa.case(
                (due.is_(None), SlaTargetStatus.UNMEASURED.value),
                ((raw <= bound) & (raw <= due), SlaTargetStatus.MET.value),
                (raw <= bound, SlaTargetStatus.BREACHED.value),
                (cancelled, SlaTargetStatus.CANCELLED.value),
                (due < at, SlaTargetStatus.BREACHED.value),
                else_=SlaTargetStatus.PENDING.value,
            )

        response = status(source.c.response_due, source.c.responded).label("response")
        resolution = status(source.c.resolution_due, source.c.closed).label("resolution")
        # Grouping by the output names keeps each CASE written (and evaluated) once.
        statement = sa.select(source.c.priority, response, resolution, sa.func.count()).group_by(
            source.c.priority, sa.literal_column("response"), sa.literal_column("resolution")
        )
        counts: dict[tuple[str, str, str], int] = {}
        for row in self._rows(statement):
            priority, response_state, resolution_state, n = tuple(row)
            for key in (
                (priority, "response", response_state),
                (priority, "resolution", resolution_state),
            ):
                counts[key] = counts.get(key, 0) + int(n)
        return [
            SlaCountRow(Priority(p), target, SlaTargetStatus(state), n)
            for (p, target, state), n in counts.items()
        ]


def _is_datetime(column: sa.ColumnElement[Any]) -> bool:
    return not isinstance(column.type, sa.Date)


def _to_date(value: object) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value))
