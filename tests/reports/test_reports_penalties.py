"""SLA penalties incurred and avoided on hand-built contract requests, priced by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from report_times import NOW, H
from report_times import D as DAY

from servicecore.errors import ValidationError
from servicecore.model.common import Money
from servicecore.model.contract import PenaltyTerm, SlaTerm
from servicecore.model.enums import Priority as P  # noqa: N817
from servicecore.model.request import Closure, RequestStatus
from servicecore.reports.penalties import SlaPenaltyRow, sla_penalties
from servicecore.testing import factories as f

AS_OF = NOW + 2 * DAY
URGENT = {"priority": P.URGENT, "response_due": NOW + H, "resolution_due": NOW + 8 * H}
NORMAL = {"priority": P.NORMAL, "response_due": NOW + 4 * H, "resolution_due": NOW + 5 * DAY}


def req(i: int, responded: dt.timedelta, closed: dt.timedelta | None = None, **kw: object):
    extra: dict[str, object] = {"contract_id": "K-1", **URGENT}
    extra.update(kw)
    if closed is not None:
        extra["closure"] = Closure(closed_at=NOW + closed, closed_by="cs-1", summary="fixed")
        extra["status"] = RequestStatus.CLOSED
    else:
        extra["status"] = RequestStatus.IN_PROGRESS
    return f.request(id=f"R-{i}", responded_at=NOW + responded, **extra)


@pytest.fixture
def penalties(storage, tenant):
    contract = f.contract(
        sla_terms=(
            SlaTerm(priority=P.URGENT, response=H, resolution=8 * H),
            SlaTerm(priority=P.NORMAL, response=4 * H, resolution=5 * DAY),
        ),
        penalty_terms=(
            PenaltyTerm(
                priority=P.URGENT,
                per_started_hour=Money("100000", "IDR"),
                cap=Money("500000", "IDR"),
            ),
        ),
    )
    requests = [
        req(1, H / 2, 5 * H),  # both met
        req(2, 2.5 * H),  # 1.5 h late (2 started hours), unresolved 40 h late: capped 500,000
        req(3, 1.5 * H, 6 * H),  # 30 min late: 100,000; resolution met
        req(4, 5 * H, **NORMAL),  # response breached, not penalised; resolution pending
        req(5, 3 * H, contract_id=None),  # no contract: left out
    ]
    with storage.unit_of_work(tenant) as uow:
        uow.contracts.add(contract)
        for r in requests:
            uow.requests.add(r)
        uow.commit()


def test_penalties_known_answers(backend, tenant, penalties):
    assert sla_penalties(backend, tenant, AS_OF).rows == (
        SlaPenaltyRow("K-1", P.URGENT, "IDR", 3, 3, 2, Decimal(600000), Decimal(300000)),
        SlaPenaltyRow("K-1", P.NORMAL, None, 0, 1, 1, Decimal(0), Decimal(0)),
    )


def test_penalties_before_any_breach(backend, tenant, penalties):
    # At NOW + 45 min only R-1 has responded (met); nothing is breached yet.
    rows = sla_penalties(backend, tenant, NOW + 0.75 * H).rows
    assert rows == (SlaPenaltyRow("K-1", P.URGENT, "IDR", 1, 0, 0, Decimal(0), Decimal(100000)),)


def test_a_naive_as_of_is_refused(backend, tenant):
    with pytest.raises(ValidationError, match="as_of"):
        sla_penalties(backend, tenant, dt.datetime(2026, 3, 2))
