"""The reporting backend that evaluates the query core in Python over any storage's records.

It reads the committed records of the tenant that a query needs through one unit of work and
evaluates the query in Python: the reporting of memory storage and of any storage without a
database of its own to count in, and the reference the SQL backend is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from servicecore.catalog import spec_for
from servicecore.ports import Storage, UnitOfWork
from servicecore.reports.port import (
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
    ValueRef,
    bucket_start,
    check_item_query,
    check_path,
    check_query,
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


def _compare(value: object, op: Op, operand: object) -> bool:
    if op is Op.IS_NULL:
        return value is None
    if op is Op.NOT_NULL:
        return value is not None
    if value is None:
        return False
    if op is Op.IN:
        return value in {_plain(v) for v in operand}  # type: ignore[attr-defined]
    if operand is None:
        return False
    if op is Op.EQ:
        return value == operand
    if op is Op.NE:
        return value != operand
    try:
        if op is Op.GE:
            return bool(value >= operand)  # type: ignore[operator]
        if op is Op.GT:
            return bool(value > operand)  # type: ignore[operator]
        if op is Op.LE:
            return bool(value <= operand)  # type: ignore[operator]
        return bool(value < operand)  # type: ignore[operator]
    except TypeError:
        return False  # values of different types never compare, as in SQL's typed columns


class _Scope:
    """One query's view of the tenant's records: each aggregate read once, indexes built lazily."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._records: dict[str, list[Any]] = {}
        self._by_id: dict[str, dict[str, Any]] = {}
        self._others: dict[tuple[str, int], dict[object, list[Any]]] = {}

    def records(self, aggregate: str) -> list[Any]:
        found = self._records.get(aggregate)
        if found is None:
            found = list(self.uow.repository(spec_for(aggregate).name).iterate())
            self._records[aggregate] = found
        return found

    def by_id(self, aggregate: str) -> dict[str, Any]:
        found = self._by_id.get(aggregate)
        if found is None:
            found = {e.id: e for e in self.records(aggregate)}
            self._by_id[aggregate] = found
        return found

    def value(self, aggregate: str, entity: Any, ref: ValueRef) -> Any:
        if isinstance(ref, Stored):
            return _plain(_walk(entity, ref.path))
        if isinstance(ref, Related):
            key = spec_for(aggregate).fields[ref.via].read(entity)
            other = self.by_id(ref.aggregate).get(str(key)) if key is not None else None
            return None if other is None else self.value(ref.aggregate, other, ref.field)
        if ref == "id":
            return entity.id
        return spec_for(aggregate).fields[ref].read(entity)

    def holds(self, aggregate: str, entity: Any, f: Filter) -> bool:
        if isinstance(f, Condition):
            value = self.value(aggregate, entity, f.field)
            operand = (
                self.value(aggregate, entity, f.value.field)
                if isinstance(f.value, Other)
                else _plain(f.value)
            )
            return _compare(value, f.op, operand)
        if isinstance(f, AnyOf):
            return any(
                all(self.holds(aggregate, entity, g) for g in alternative)
                for alternative in f.alternatives
            )
        if isinstance(f, Audited):
            kind = spec_for(aggregate).kind
            return any(e.trigger == f.trigger for e in self.uow.audit.entries(kind, entity.id))
        return self._another(aggregate, entity, f)

    def _another(self, aggregate: str, entity: Any, f: Another) -> bool:
        fields = spec_for(aggregate).fields
        groups = self._others.get((aggregate, id(f)))
        if groups is None:
            groups = {}
            for other in self.records(aggregate):
                if all(self.holds(aggregate, other, c) for c in f.where):
                    groups.setdefault(fields[f.key].read(other), []).append(other)
            self._others[(aggregate, id(f))] = groups
        key = fields[f.key].read(entity)
        found = False
        if key is not None:
            at: Any = None if f.at is None else fields[f.at].read(entity)
            for other in groups.get(key, ()):
                if other.id == entity.id:
                    continue
                if f.at is not None and f.within is not None:
                    when: Any = fields[f.at].read(other)
                    if at is None or when is None or not (at - f.within < when <= at):
                        continue
                found = True
                break
        return found is f.present

    def key(self, aggregate: str, entity: Any, group_by: Sequence[GroupKey]) -> tuple[object, ...]:
        key: list[object] = []
        for g in group_by:
            if isinstance(g, Bucket):
                value = self.value(aggregate, entity, g.field)
                key.append(None if value is None else bucket_start(value, g.unit))
            elif isinstance(g, Case):
                label = g.default
                for filters, branch in g.branches:
                    if all(self.holds(aggregate, entity, f) for f in filters):
                        label = branch
                        break
                key.append(label)
            else:
                key.append(self.value(aggregate, entity, g))
        return tuple(key)

    def matching(self, aggregate: str, where: Sequence[Filter]) -> list[Any]:
        return [
            e for e in self.records(aggregate) if all(self.holds(aggregate, e, f) for f in where)
        ]


class PythonReporting:
    """The :class:`~servicecore.reports.port.ReportingBackend` over any storage's records.

    Args:
        storage: The storage whose committed records are evaluated.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

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
        with self.storage.unit_of_work(tenant) as uow:
            scope = _Scope(uow)
            groups: dict[tuple[object, ...], set[object] | list[int]] = {}
            for entity in scope.matching(aggregate, where):
                key = scope.key(aggregate, entity, group_by)
                if distinct is None:
                    counter = groups.setdefault(key, [0])
                    counter[0] += 1  # type: ignore[index]
                    continue
                values = groups.setdefault(key, set())
                value = scope.value(aggregate, entity, distinct)
                if value is not None:
                    values.add(value)  # type: ignore[union-attr]
        found = []
        for key, acc in groups.items():
            n = len(acc) if isinstance(acc, set) else acc[0]
            if n:
                found.append(CountRow(key, n))
        return found

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
        fields = spec_for(aggregate).fields
        groups: dict[tuple[object, ...], list[float]] = {}
        with self.storage.unit_of_work(tenant) as uow:
            scope = _Scope(uow)
            for entity in scope.matching(aggregate, where):
                found: Any
                if isinstance(value, Seconds):
                    begin, end = fields[value.start].read(entity), fields[value.end].read(entity)
                    found = None
                    if isinstance(begin, datetime) and isinstance(end, datetime):
                        found = (end - begin).total_seconds()
                else:
                    found = _walk(entity, path)
                acc = groups.setdefault(scope.key(aggregate, entity, group_by), [0, 0, 0.0])
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
        group_by: Sequence[GroupKey],
        item_keys: Sequence[str],
        value: str,
        where: Sequence[Filter] = (),
    ) -> list[ItemSumRow]:
        """See :meth:`servicecore.reports.port.ReportingBackend.sum_items`."""
        check_query(aggregate, group_by, where)
        check_item_query(items, item_keys, value)
        groups: dict[tuple[object, ...], list[float]] = {}
        with self.storage.unit_of_work(tenant) as uow:
            scope = _Scope(uow)
            for entity in scope.matching(aggregate, where):
                record_key = scope.key(aggregate, entity, group_by)
                for item in getattr(entity, items, None) or ():
                    key = record_key + tuple(_plain(getattr(item, k, None)) for k in item_keys)
                    acc = groups.setdefault(key, [0, 0.0])
                    acc[0] += 1
                    number = getattr(item, value, None)
                    if isinstance(number, bool | int | float):
                        acc[1] += float(number)
        return [ItemSumRow(k, int(n), t) for k, (n, t) in groups.items()]

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
        groups: dict[tuple[object, ...], list[Any]] = {}
        with self.storage.unit_of_work(tenant) as uow:
            scope = _Scope(uow)
            for entity in scope.matching(aggregate, where):
                key = scope.key(aggregate, entity, group_by)
                for item in getattr(entity, items, None) or ():
                    if only is not None and getattr(item, only, None) is not True:
                        continue
                    money = _walk(item, amount)
                    if money is None:
                        continue
                    acc = groups.setdefault(key, [0, Decimal(0), 0])
                    acc[0] += 1
                    if money_refused(str(money.amount)):
                        acc[2] += 1
                    else:
                        acc[1] += money.amount * (1 if times is None else getattr(item, times))
        return [MoneySumRow(k, n, total, refused) for k, (n, total, refused) in groups.items()]

    def list_records(self, tenant: str, aggregate: str, where: Sequence[Filter] = ()) -> list[Any]:
        """See :meth:`servicecore.reports.port.ReportingBackend.list_records`."""
        check_query(aggregate, (), where)
        with self.storage.unit_of_work(tenant) as uow:
            return _Scope(uow).matching(aggregate, where)
