"""The first-time-fix rate on its own hand-built requests and dispatch orders."""

import pytest
from report_times import NOW
from report_times import D as DAY

from servicecore.errors import ValidationError
from servicecore.model.dispatch import DispatchStatus as DS  # noqa: N817
from servicecore.model.request import Closure, RequestStatus
from servicecore.reports.technicians import FirstTimeFixRow, first_time_fix
from servicecore.testing import factories as f


def closed(i: int, **kw: object) -> object:
    closure = Closure(closed_at=NOW, closed_by="cs-1", summary="fixed")
    return f.request(id=f"R-{i}", status=RequestStatus.CLOSED, closure=closure, **kw)


def order(i: int, request: int, technician: str, status: DS = DS.COMPLETED) -> object:
    return f.dispatch(
        id=f"D-{i}", request_id=f"R-{request}", technician_id=technician, status=status
    )


@pytest.fixture
def fixes(storage, tenant):
    requests = [
        closed(1),
        closed(2),
        closed(3),
        f.request(id="R-4", status=RequestStatus.IN_PROGRESS),
        closed(5),
        closed(6, reported_at=NOW - 10 * DAY),
    ]
    orders = [
        order(1, 1, "T-1"),  # one order, completed: first time (T-1)
        order(2, 2, "T-1", DS.REJECTED),  # T-1 rejected, T-2 fixed it: first time (T-2)
        order(3, 2, "T-2"),
        order(4, 3, "T-1"),  # T-1 came twice: one fix, not first time
        order(5, 3, "T-1"),
        order(6, 4, "T-2"),  # R-4 is not closed
        order(7, 5, "T-2"),  # first time (T-2)
        order(8, 6, "T-3"),  # first time (T-3), reported long ago
    ]
    with storage.unit_of_work(tenant) as uow:
        for r in requests:
            uow.requests.add(r)
        for d in orders:
            uow.dispatches.add(d)
        uow.commit()


def test_first_time_fix_known_answers(backend, tenant, fixes):
    assert first_time_fix(backend, tenant).rows == (
        FirstTimeFixRow("T-1", 2, 1, 0.5),
        FirstTimeFixRow("T-2", 2, 2, 1.0),
        FirstTimeFixRow("T-3", 1, 1, 1.0),
    )


def test_first_time_fix_within_a_range(backend, tenant, fixes):
    rows = first_time_fix(backend, tenant, start=NOW - DAY).rows
    assert [r.technician_id for r in rows] == ["T-1", "T-2"]
    assert first_time_fix(backend, tenant, end=NOW - 20 * DAY).rows == ()


def test_a_bad_range_is_refused(backend, tenant):
    with pytest.raises(ValidationError, match="end"):
        first_time_fix(backend, tenant, start=NOW, end=NOW)
