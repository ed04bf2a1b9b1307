"""The reporting backend on SQLAlchemy Core: each core query compiles to one SQL statement.

Queries run on the aggregate tables of :mod:`servicecore.adapters.sqlalchemy.tables`: indexed
values are columns, :class:`~servicecore.reports.port.Stored` values are read from the JSON
``data`` with the database's JSON functions, :class:`~servicecore.reports.port.Related` values
are outer joins, :class:`~servicecore.reports.port.Audited` and
:class:`~servicecore.reports.port.Another` are correlated ``EXISTS`` tests. Time buckets are
computed in SQL in UTC: on SQLite from the fixed-width UTC text the datetime columns hold, on
PostgreSQL with ``date_trunc`` on the ``timestamptz`` taken at time zone UTC.

Grouped counts and sums group by the keys' output names, so a
:class:`~servicecore.reports.port.Case` is written and evaluated once per row. When a key reads
the JSON (the expensive part) or runs a sub-query, the rows are first staged in a materialised
common table expression that reads each such value once (neither database shares a repeated
expression); otherwise one plain ``GROUP BY`` over the table does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa

from servicecore.adapters.sqlalchemy.engine import make_engine, read_options
from servicecore.adapters.sqlalchemy.naming import Naming
from servicecore.adapters.sqlalchemy.tables import Tables, tables_for
from servicecore.adapters.sqlalchemy.types import UTCDateTime
from servicecore.catalog import spec_for
from servicecore.reports.port import (
    MONEY_LIMIT,
    MONEY_PLACES,
    Another,
    AnyOf,
    Audited,
    Bucket,
    Case,
    Condition,
    CountRow,
    Filter,
    GroupKey,
    ItemSumRow,
    MoneySumRow,
    Op,
    Other,
    Related,
    Seconds,
    Stored,
    SumRow,
    TimeUnit,
    ValueRef,
    check_item_query,
    check_path,
    check_query,
)
from servicecore.serialization import structure

__all__ = ["SqlReporting"]

Column = sa.ColumnElement[Any]


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _sqlite_iso(text: Column) -> Column:
    """Turn a JSON ISO datetime (``...T09:00:00+00:00``, UTC) into the columns' 26-char form."""
    return sa.case(
        (sa.func.substr(text, 20, 1) == ".", sa.func.substr(text, 1, 26)),
        else_=sa.func.substr(text, 1, 19) + ".000000",
    )


_RANGE = {Op.GE: "low", Op.GT: "low", Op.LE: "high", Op.LT: "high"}


def _leaves(key: GroupKey) -> Iterator[ValueRef | Audited | Another]:
    """The values and row tests a group key is computed from."""
    if isinstance(key, Bucket):
        yield key.field
    elif isinstance(key, Case):
        for filters, _ in key.branches:
            for f in filters:
                yield from _filter_leaves(f)
    else:
        yield key


def _filter_leaves(f: Filter) -> Iterator[ValueRef | Audited | Another]:
    if isinstance(f, Condition):
        yield f.field
        if isinstance(f.value, Other):
            yield f.value.field
    elif isinstance(f, AnyOf):
        for alternative in f.alternatives:
            for inner in alternative:
                yield from _filter_leaves(inner)
    else:
        yield f


class _Statement:
    """One query's FROM clause and the compilation of values and filters over it.

    Values are compiled against the aggregate's table (joining related tables as needed), or,
    once :meth:`stage` has put them in a materialised CTE, against the CTE's columns.
    """

    def __init__(self, backend: SqlReporting, aggregate: str) -> None:
        self.backend = backend
        self.aggregate = aggregate
        self.table: Any = backend.table(aggregate)
        self.source: sa.FromClause = self.table
        self._joins: dict[tuple[str, ...], sa.FromClause] = {}
        self._staged: dict[object, str] = {}
        self._others = 0
        self._scan: set[str] = set()
        self._typed: set[str] = set()
        self.cte: Any = None

    @property
    def postgres(self) -> bool:
        return self.backend.postgres

    def _join(self, hops: tuple[str, ...], left: Any, left_aggregate: str, ref: Related) -> Any:
        path = (*hops, ref.via, ref.aggregate)
        found = self._joins.get(path)
        if found is None:
            found = self.backend.table(ref.aggregate).alias(f"rel{len(self._joins)}")
            self.source = self.source.outerjoin(
                found, (found.c.tenant == left.c.tenant) & (found.c.id == left.c[ref.via])
            )
            self._joins[path] = found
        return found

    def _stored_raw(self, table: Any, ref: Stored) -> Column:
        if self.postgres:
            return sa.func.jsonb_extract_path_text(table.c.data, *ref.path)
        return sa.func.json_extract(table.c.data, "$." + ".".join(ref.path))

    def _stored_typed(self, raw: Column, ref: Stored) -> Column:
        if ref.type is not datetime:
            return raw
        if self.postgres:
            return sa.type_coerce(sa.cast(raw, sa.DateTime(timezone=True)), UTCDateTime())
        return sa.type_coerce(_sqlite_iso(raw), UTCDateTime())

    def _raw(self, ref: ValueRef, table: Any, aggregate: str, hops: tuple[str, ...]) -> Column:
        """A value as the row holds it (a stored datetime still as JSON text)."""
        if isinstance(ref, Stored):
            return self._stored_raw(table, ref)
        if isinstance(ref, Related):
            other = self._join(hops, table, aggregate, ref)
            return self._raw(ref.field, other, ref.aggregate, (*hops, ref.via, ref.aggregate))
        column: Column = table.c[ref]
        return column

    def _stored_of(self, ref: ValueRef) -> Stored | None:
        while isinstance(ref, Related):
            ref = ref.field
        return ref if isinstance(ref, Stored) else None

    def value(self, ref: ValueRef) -> Column:
        """The value ``ref`` of the row, typed (a stored datetime compares as an instant)."""
        label = self._staged.get(ref)
        if label is not None and label in self._typed:
            staged: Column = self.cte.c[label]
            return staged
        raw = (
            self.cte.c[label]
            if label is not None
            else self._raw(ref, self.table, self.aggregate, ())
        )
        stored = self._stored_of(ref)
        return raw if stored is None else self._stored_typed(raw, stored)

    def condition(self, f: Filter) -> sa.ColumnElement[bool]:
        """The SQL test of one filter."""
        if isinstance(f, Condition):
            column = self.value(f.field)
            if isinstance(f.field, str) and f.field in self._scan:
                column = sa.func.likely(column, type_=column.type)
            if f.op is Op.IS_NULL:
                return column.is_(None)
            if f.op is Op.NOT_NULL:
                return column.is_not(None)
            if f.op is Op.IN:
                return column.in_([_plain(v) for v in f.value])  # type: ignore[attr-defined]
            operand: Any = (
                self.value(f.value.field) if isinstance(f.value, Other) else _plain(f.value)
            )
            if operand is None:
                return sa.false()
            compare = {
                Op.EQ: column.__eq__,
                Op.NE: column.__ne__,
                Op.GE: column.__ge__,
                Op.GT: column.__gt__,
                Op.LE: column.__le__,
                Op.LT: column.__lt__,
            }[f.op]
            return compare(operand)
        if isinstance(f, AnyOf):
            return sa.or_(*(sa.and_(*(self.condition(g) for g in alt)) for alt in f.alternatives))
        label = self._staged.get(f)
        if label is not None:
            return self.cte.c[label] == 1  # type: ignore[no-any-return]
        if isinstance(f, Audited):
            return self._audited(f)
        return self._another(f)

    def _audited(self, f: Audited) -> sa.ColumnElement[bool]:
        audit = self.backend.tables.audit
        return (
            sa.select(sa.literal(1))
            .where(
                audit.c.tenant == self.table.c.tenant,
                audit.c.entity_kind == spec_for(self.aggregate).kind,
                audit.c.entity_id == self.table.c.id,
                audit.c.trigger == f.trigger,
            )
            .exists()
        )

    def _another(self, f: Another) -> sa.ColumnElement[bool]:
        self._others += 1
        other = self.table.alias(f"other{self._others}")
        here = self.table
        where: list[sa.ColumnElement[bool]] = [
            other.c.tenant == here.c.tenant,
            other.c[f.key] == here.c[f.key],
            other.c.id != here.c.id,
        ]
        inner = _Statement(self.backend, self.aggregate)
        inner.table = other
        where += [inner.condition(c) for c in f.where]
        if f.at is not None and f.within is not None:
            mine, theirs = here.c[f.at], other.c[f.at]
            where.append(theirs <= mine)
            if self.postgres:
                where.append(
                    sa.extract("epoch", theirs)
                    > sa.extract("epoch", mine) - f.within.total_seconds()
                )
            else:
                where.append(
                    sa.func.julianday(theirs)
                    > sa.func.julianday(mine) - f.within / timedelta(days=1)
                )
        found = sa.select(sa.literal(1)).where(*where).exists()
        return found if f.present else ~found

    def bucket(self, ref: ValueRef, unit: TimeUnit) -> Column:
        """The first day of the bucket the value falls in."""
        column = self.value(ref)
        if self.postgres:
            is_date = isinstance(column.type, sa.Date)
            local = column if is_date else sa.func.timezone("UTC", column)
            return sa.cast(sa.func.date_trunc(unit.value, local), sa.Date)
        day = sa.func.substr(column, 1, 10)
        if unit is TimeUnit.DAY:
            return day
        if unit is TimeUnit.WEEK:
            # 'weekday 0' moves to the next Sunday (or stays on one); six days back is Monday.
            return sa.func.date(day, "weekday 0", "-6 days")
        return sa.func.substr(column, 1, 7) + "-01"

    def key(self, key: GroupKey) -> Column:
        """The SQL value of one group key."""
        if isinstance(key, Bucket):
            return self.bucket(key.field, key.unit)
        if isinstance(key, Case):
            return sa.case(
                *((sa.and_(*(self.condition(f) for f in fs)), label) for fs, label in key.branches),
                else_=key.default,
            )
        return self.value(key)

    def filters(self, tenant: str, where: Sequence[Filter]) -> list[sa.ColumnElement[bool]]:
        """The tenant test and the SQL of ``where``.

        On SQLite, a field bounded on one side only ("reported up to now") usually matches most
        rows: reading them through its index would fetch every row one by one, about twice
        slower than a scan, so the bound is hidden from the planner (``likely()`` returns its
        argument). A range bounded on both sides keeps its index.
        """
        sides: dict[str, set[str]] = {}
        for f in where:
            if isinstance(f, Condition) and isinstance(f.field, str) and f.op in _RANGE:
                sides.setdefault(f.field, set()).add(_RANGE[f.op])
        self._scan = set() if self.postgres else {k for k, v in sides.items() if len(v) == 1}
        try:
            return [self.table.c.tenant == tenant, *(self.condition(f) for f in where)]
        finally:
            self._scan = set()

    def needs_stage(self, keys: Sequence[GroupKey]) -> bool:
        """Whether a key reads JSON or runs a sub-query: then each is read once, in a CTE."""
        return any(
            isinstance(leaf, Audited | Another) or self._stored_of(leaf) is not None
            for key in keys
            for leaf in _leaves(key)
        )

    def stage(
        self, tenant: str, where: Sequence[Filter], keys: Sequence[GroupKey], extra: list[Column]
    ) -> list[Column]:
        """Read every leaf of ``keys`` and each ``extra`` once per matching row, in a CTE.

        Returns:
            ``extra``'s columns in the CTE; later :meth:`value` and :meth:`condition` calls read
            the staged leaves from the CTE.
        """
        filters = self.filters(tenant, where)
        columns: list[Column] = []
        for key in keys:
            for leaf in _leaves(key):
                if leaf in self._staged:
                    continue
                label = f"v{len(self._staged)}"
                stored = None if isinstance(leaf, Audited | Another) else self._stored_of(leaf)
                if isinstance(leaf, Audited | Another):
                    expr: Column = sa.case((self.condition(leaf), 1), else_=0)
                elif self.postgres and stored is not None and stored.type is datetime:
                    # Cast once per row here, not in every comparison of the outer query.
                    raw = self._raw(leaf, self.table, self.aggregate, ())
                    expr = self._stored_typed(raw, stored)
                    self._typed.add(label)
                else:
                    expr = self._raw(leaf, self.table, self.aggregate, ())
                columns.append(expr.label(label))
                self._staged[leaf] = label
        extras = [e.label(f"x{i}") for i, e in enumerate(extra)]
        selected = [*columns, *extras] or [sa.literal(1).label("one")]
        inner = sa.select(*selected).select_from(self.source).where(*filters)
        self.cte = inner.cte("report_rows").prefix_with("MATERIALIZED")
        return [self.cte.c[f"x{i}"] for i in range(len(extra))]


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

    def table(self, aggregate: str) -> sa.Table:
        """Return the table of an aggregate, by repository name."""
        return self.tables.aggregates[spec_for(aggregate).kind]

    def _rows(self, statement: sa.Select[Any]) -> list[sa.Row[Any]]:
        with self.engine.connect().execution_options(**read_options(self.engine)) as conn:
            return list(conn.execute(statement))

    def count_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        where: Sequence[Filter] = (),
        distinct: ValueRef | None = None,
    ) -> list[CountRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.count_by`."""
        check_query(aggregate, group_by, where)
        if distinct is not None:
            check_query(aggregate, [distinct], ())
        query = _Statement(self, aggregate)
        measures = [] if distinct is None else [query.value(distinct)]

        def counted(staged: list[Column]) -> list[Column]:
            return [sa.func.count(sa.distinct(staged[0])) if staged else sa.func.count()]

        found = []
        for key, (n,) in self._grouped_with(query, tenant, group_by, where, measures, counted):
            if n:  # without GROUP BY keys, SQL answers 0 where there is no group
                found.append(CountRow(key, int(n)))
        return found

    def _grouped_with(
        self,
        query: _Statement,
        tenant: str,
        group_by: Sequence[GroupKey],
        where: Sequence[Filter],
        measures: list[Column],
        aggregates: Any,
    ) -> list[tuple[tuple[object, ...], tuple[Any, ...]]]:
        if query.needs_stage(group_by):
            staged = query.stage(tenant, where, group_by, measures)
            keys = [query.key(k).label(f"k{i}") for i, k in enumerate(group_by)]
            statement = sa.select(*keys, *aggregates(staged)).select_from(query.cte)
        else:
            filters = query.filters(tenant, where)
            keys = [query.key(k).label(f"k{i}") for i, k in enumerate(group_by)]
            statement = (
                sa.select(*keys, *aggregates(measures)).select_from(query.source).where(*filters)
            )
        if keys:
            # Grouping by the output names keeps each CASE written (and evaluated) once.
            statement = statement.group_by(*(sa.literal_column(f"k{i}") for i in range(len(keys))))
        found = []
        for row in self._rows(statement):
            values = tuple(row)
            key = tuple(
                _to_date(v) if isinstance(g, Bucket) else v
                for v, g in zip(values[: len(keys)], group_by, strict=True)
            )
            found.append((key, values[len(keys) :]))
        return found

    def _number(self, table: Any, path: tuple[str, ...]) -> Column:
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

    def _seconds(self, table: Any, value: Seconds) -> Column:
        begin, finish = table.c[value.start], table.c[value.end]
        if self.postgres:
            return sa.extract("epoch", finish) - sa.extract("epoch", begin)
        return sa.cast(sa.func.strftime("%s", finish), sa.Integer) - sa.cast(
            sa.func.strftime("%s", begin), sa.Integer
        )

    def sum_by(
        self,
        tenant: str,
        aggregate: str,
        group_by: Sequence[GroupKey],
        value: Sequence[str] | Seconds,
        where: Sequence[Filter] = (),
    ) -> list[SumRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sum_by`."""
        check_query(aggregate, group_by, where)
        path = check_path(value, aggregate)
        query = _Statement(self, aggregate)
        number = (
            self._seconds(query.table, value)
            if isinstance(value, Seconds)
            else self._number(query.table, path)
        )

        def summed(staged: list[Column]) -> list[Column]:
            return [sa.func.count(), sa.func.count(staged[0]), sa.func.sum(staged[0])]

        found = []
        for key, (n, valued, total) in self._grouped_with(
            query, tenant, group_by, where, [number], summed
        ):
            if n:
                found.append(SumRow(key, int(n), int(valued), float(total or 0)))
        return found

    def _direct_keys(self, query: _Statement, group_by: Sequence[GroupKey]) -> list[Column]:
        return [query.key(k).label(f"k{i}") for i, k in enumerate(group_by)]

    def _elements(self, table: Any, items: str) -> Any:
        if self.postgres:
            return sa.func.jsonb_array_elements(
                sa.func.jsonb_extract_path(table.c.data, items)
            ).table_valued("value")
        return sa.func.json_each(table.c.data, f"$.{items}").table_valued("value")

    def _item(self, element: Any, *path: str) -> Column:
        if self.postgres:
            return sa.func.jsonb_extract_path_text(element.c.value, *path)
        return sa.func.json_extract(element.c.value, "$." + ".".join(path))

    def sum_items(
        self,
        tenant: str,
        aggregate: str,
        items: str,
        group_by: Sequence[GroupKey],
        item_keys: Sequence[str],
        value: str,
        where: Sequence[Filter] = (),
    ) -> list[ItemSumRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sum_items`."""
        check_query(aggregate, group_by, where)
        check_item_query(items, item_keys, value)
        query = _Statement(self, aggregate)
        keys = self._direct_keys(query, group_by)
        element = self._elements(query.table, items)
        item_values = [self._item(element, k).label(f"i{i}") for i, k in enumerate(item_keys)]
        number = self._item(element, value)
        if self.postgres:
            number = sa.cast(number, sa.Float)
        filters = query.filters(tenant, where)
        statement = (
            sa.select(*keys, *item_values, sa.func.count(), sa.func.sum(number))
            .select_from(query.source.join(element, sa.true()))
            .where(*filters)
            .group_by(*keys, *item_values)
        )
        found = []
        for row in self._rows(statement):
            values: tuple[Any, ...] = tuple(row)
            key = tuple(
                _to_date(v) if i < len(group_by) and isinstance(group_by[i], Bucket) else v
                for i, v in enumerate(values[:-2])
            )
            found.append(ItemSumRow(key, int(values[-2]), float(values[-1] or 0)))
        return found

    def sum_money(
        self,
        tenant: str,
        aggregate: str,
        items: str,
        amount: Sequence[str],
        group_by: Sequence[GroupKey],
        where: Sequence[Filter] = (),
        times: str | None = None,
        only: str | None = None,
    ) -> list[MoneySumRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sum_money`."""
        check_query(aggregate, group_by, where)
        check_item_query(items, [n for n in (times, only) if n is not None], tuple(amount))
        query = _Statement(self, aggregate)
        keys = self._direct_keys(query, group_by)
        element = self._elements(query.table, items)
        text = self._item(element, *amount, "amount")
        if self.postgres:
            point = sa.func.strpos(text, ".")
            number: Column = sa.cast(text, sa.Numeric)
        else:
            point = sa.func.instr(text, ".")
            number = sa.cast(text, sa.Float)
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
        if times is not None:
            quantity = self._item(element, times)
            units = units * (sa.cast(quantity, sa.Numeric) if self.postgres else quantity)
        filters = [*query.filters(tenant, where), text.is_not(None)]
        if only is not None:
            flag = self._item(element, only)
            filters.append(flag == ("true" if self.postgres else 1))
        statement = (
            sa.select(
                *keys,
                sa.func.count(),
                sa.func.sum(sa.case((refused, None), else_=units)),
                sa.func.sum(sa.case((refused, 1), else_=0)),
            )
            .select_from(query.source.join(element, sa.true()))
            .where(*filters)
            .group_by(*keys)
        )
        found = []
        for row in self._rows(statement):
            values: tuple[Any, ...] = tuple(row)
            key = tuple(
                _to_date(v) if isinstance(g, Bucket) else v
                for v, g in zip(values[: len(keys)], group_by, strict=True)
            )
            n, total, refused_n = values[len(keys) :]
            exact = (
                Decimal(total or 0)
                if self.postgres
                else Decimal(int(total or 0)).scaleb(-MONEY_PLACES)
            )
            found.append(MoneySumRow(key, int(n), exact, int(refused_n or 0)))
        return found

    def list_records(self, tenant: str, aggregate: str, where: Sequence[Filter] = ()) -> list[Any]:
        """See :meth:`servicecore.reports.port.ReportingBackend.list_records`."""
        check_query(aggregate, (), where)
        query = _Statement(self, aggregate)
        filters = query.filters(tenant, where)
        statement = sa.select(query.table.c.data).select_from(query.source).where(*filters)
        cls = spec_for(aggregate).cls
        return [structure(row[0], cls) for row in self._rows(statement)]


def _to_date(value: object) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value))
