"""Queries mean the same on SQL as on the memory adapter, the reference (differential test).

Random requests (ids and customers whose order depends on case and punctuation, times in
several zones with ties, absent fields), some committed and some pending in the unit of work,
and random queries paged to the end: the SQL adapter must return the same ids, pages, cursors
and counts as the memory adapter.
"""

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecore.adapters.memory import MemoryStorage
from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.model.enums import Priority
from servicecore.ports import Query
from servicecore.testing import factories as f

IDS = ["R-1", "r-1", "R_1", "R.1", "R1", "r10", "R-10", "R:2", "R@3", "R/4", "a-1", "Z-9"]
CUSTOMERS = ["C-1", "c-1", "C_1", "C-2", "C.1"]
ZONES = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@st.composite
def instants(draw):
    # Few distinct instants, so that ties (broken by id) are common; any zone.
    moment = T0 + timedelta(hours=draw(st.integers(0, 4)))
    return moment.astimezone(draw(st.sampled_from(ZONES)))


@st.composite
def requests(draw):
    reported = draw(instants())
    due = draw(st.none() | st.integers(1, 3).map(lambda h: reported + timedelta(hours=h)))
    return {
        "customer_id": draw(st.sampled_from(CUSTOMERS)),
        "priority": draw(st.sampled_from(list(Priority))),
        "reported_at": reported,
        "response_due": due,
    }


@st.composite
def queries(draw):
    equals = {}
    if draw(st.booleans()):
        equals["customer_id"] = draw(
            st.sampled_from(CUSTOMERS) | st.lists(st.sampled_from(CUSTOMERS), min_size=1)
        )
    if draw(st.booleans()):
        equals["priority"] = draw(st.sampled_from(list(Priority)))
    if draw(st.booleans()):
        equals["response_due"] = None
    bounds = {}
    for group in ("at_least", "later_than", "before"):
        if draw(st.booleans()):
            bounds[group] = {
                draw(st.sampled_from(["reported_at", "response_due"])): draw(instants())
            }
    return Query(
        equals=equals,
        **bounds,
        order_by=draw(
            st.sampled_from([None, "reported_at", "response_due", "customer_id", "priority"])
        ),
        descending=draw(st.booleans()),
        limit=draw(st.none() | st.integers(1, 4)),
    )


def pages(repo, query):
    seen, cursors, after = [], [], None
    while True:
        page = repo.query(
            Query(
                equals=query.equals,
                at_least=query.at_least,
                later_than=query.later_than,
                before=query.before,
                order_by=query.order_by,
                descending=query.descending,
                limit=query.limit,
                after=after,
            )
        )
        seen.append([e.id for e in page])
        cursors.append(page.next)
        if page.next is None or len(seen) > 20:
            return seen, cursors, repo.count(query)
        after = page.next


def observe(storage, tenant, committed, pending, changed, query):
    with storage.unit_of_work(tenant) as uow:
        for id, fields in committed:
            uow.requests.add(f.request(id=id, **fields))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        for id, fields in pending:
            uow.requests.add(f.request(id=id, **fields))
        for id, fields in changed:
            entity = uow.requests.get(id)
            for name, value in fields.items():
                setattr(entity, name, value)
            uow.requests.update(entity)
        return pages(uow.requests, query)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_sql_queries_return_what_the_memory_adapter_returns(shared_engine, data):
    ids = data.draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=9, unique=True))
    fields = [data.draw(requests()) for _ in ids]
    split = data.draw(st.integers(0, len(ids)))
    committed = list(zip(ids[:split], fields[:split], strict=True))
    pending = list(zip(ids[split:], fields[split:], strict=True))
    changed = [(id, data.draw(requests())) for id, _ in committed if data.draw(st.booleans())]
    query = data.draw(queries())
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    expected = observe(MemoryStorage(), tenant, committed, pending, changed, query)
    found = observe(SQLAlchemyStorage(shared_engine), tenant, committed, pending, changed, query)
    assert found == expected
