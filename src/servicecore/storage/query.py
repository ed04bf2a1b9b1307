"""Evaluating a :class:`~servicecore.ports.Query` in Python.

The kernel uses it to merge a unit of work's pending entities into what the backend returns;
memory storage and a backend that loads a tenant's records and filters them in Python use it
to answer :meth:`~servicecore.storage.backend.Backend.select` (fine for thousands of records;
push the filters into the database beyond that).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from servicecore.catalog import AggregateSpec, index_value
from servicecore.errors import ValidationError
from servicecore.ports import Cursor, Page, Query

__all__ = ["iterate_pages", "matches", "order_key", "run_query", "select", "unpaged"]

E = TypeVar("E")


def _norm(value: object) -> object:
    if isinstance(value, tuple | list | set | frozenset):
        return {index_value(v) for v in value}
    return index_value(value)


def matches(query: Query, spec: AggregateSpec, entity: Any) -> bool:
    """Whether ``entity`` meets every condition of ``query`` (order, limit and cursor aside)."""
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


def order_key(query: Query, spec: AggregateSpec, entity: Any) -> Cursor | None:
    """Return ``entity``'s place in ``query``'s order (``None``: it lacks the order field)."""
    if query.order_by is None:
        return (entity.id, entity.id)
    value = spec.fields[query.order_by].read(entity)
    return None if value is None else (value, entity.id)


def _after(query: Query, key: Cursor) -> bool:
    if query.after is None:
        return True
    cursor = (index_value(query.after[0]), query.after[1])
    if query.order_by is None:
        cursor = (cursor[1], cursor[1])
    return key < cursor if query.descending else key > cursor


def select(query: Query, spec: AggregateSpec, entities: Iterable[E]) -> list[tuple[Cursor, E]]:
    """Filter, order, continue after the cursor and limit ``entities`` as ``query`` says.

    The query is already checked. Entities without the order field are left out.

    Returns:
        ``(order key, entity)`` pairs in query order, at most ``query.limit`` of them.
    """
    keyed: list[tuple[Cursor, E]] = []
    for entity in entities:
        if not matches(query, spec, entity):
            continue
        key = order_key(query, spec, entity)
        if key is not None and _after(query, key):
            keyed.append((key, entity))
    keyed.sort(key=lambda pair: pair[0], reverse=query.descending)
    return keyed if query.limit is None else keyed[: query.limit]


def run_query(query: Query, spec: AggregateSpec, entities: Iterable[E]) -> Page[E]:
    """Return the page of ``entities`` that ``query`` asks for (the query is already checked)."""
    limit = query.limit
    keyed = select(attrs.evolve(query, limit=None if limit is None else limit + 1), spec, entities)
    last: Cursor | None = None
    if limit is not None and len(keyed) > limit:
        keyed = keyed[:limit]
        last = keyed[-1][0]
    return Page(tuple(e for _, e in keyed), last)


def unpaged(query: Query) -> Query:
    """Return ``query`` without its order, limit and cursor (what a count needs)."""
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
