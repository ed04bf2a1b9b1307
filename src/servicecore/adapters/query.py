"""Evaluating a :class:`~servicecore.ports.Query` in Python.

The memory adapter uses it, and so may an integrator's adapter that loads a tenant's records and
filters them in Python (fine for thousands of records; push filters into the database beyond).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from servicecore.catalog import AggregateSpec, index_value
from servicecore.errors import ValidationError
from servicecore.ports import Cursor, Page, Query

__all__ = ["iterate_pages", "matches", "run_query", "unpaged"]

E = TypeVar("E")


def _norm(value: object) -> object:
    if isinstance(value, tuple | list | set | frozenset):
        return {index_value(v) for v in value}
    return index_value(value)


def matches(query: Query, spec: AggregateSpec, entity: Any) -> bool:
    """Whether ``entity`` meets every condition of ``query`` (limit and cursor aside)."""
    for name, wanted in query.equals.items():
        value = spec.fields[name].read(entity)
        norm = _norm(wanted)
        if isinstance(norm, set):
            if value not in norm:
                return False
        elif value != norm:
            return False
    tests: tuple[tuple[Mapping[str, object], Callable[[Any, Any], Any]], ...] = (
        (query.at_least, operator.ge),
        (query.later_than, operator.gt),
        (query.before, operator.lt),
    )
    for group, test in tests:
        for name, bound in group.items():
            found: Any = spec.fields[name].read(entity)
            if found is None or not test(found, index_value(bound)):
                return False
    return True


def run_query(query: Query, spec: AggregateSpec, entities: Iterable[E]) -> Page[E]:
    """Filter, order and page ``entities`` as ``query`` says (the query is already checked)."""
    order = spec.fields[query.order_by].read if query.order_by else (lambda e: e.id)
    keyed = []
    for entity in entities:
        if not matches(query, spec, entity):
            continue
        key = order(entity)
        if key is None:
            continue  # ordering by a field returns only the entities that have it
        keyed.append(((key, entity.id), entity))  # type: ignore[attr-defined]
    keyed.sort(key=lambda pair: pair[0], reverse=query.descending)
    if query.after is not None:
        cursor = (index_value(query.after[0]), query.after[1])
        if query.descending:
            keyed = [p for p in keyed if p[0] < cursor]
        else:
            keyed = [p for p in keyed if p[0] > cursor]
    if query.limit is not None and len(keyed) > query.limit:
        keyed = keyed[: query.limit]
        last: Cursor | None = keyed[-1][0]
    else:
        last = None
    return Page(tuple(e for _, e in keyed), last)


def unpaged(query: Query) -> Query:
    """Return ``query`` without its order, limit and cursor (what :meth:`count` needs)."""
    return Query(
        equals=query.equals,
        at_least=query.at_least,
        later_than=query.later_than,
        before=query.before,
    )


def iterate_pages(
    fetch: Callable[[Query], Page[E]], query: Query | None, page_size: int
) -> Iterator[E]:
    """Yield every item ``fetch`` returns for ``query``, ``page_size`` at a time.

    Raises:
        ValidationError: ``page_size`` is not an int >= 1.
    """
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ValidationError.single("page_size", page_size, "must be an int >= 1")
    query = query or Query()
    after = query.after
    while True:
        page = fetch(attrs.evolve(query, limit=page_size, after=after))
        yield from page.items
        if page.next is None:
            return
        after = page.next
