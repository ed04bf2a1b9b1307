"""Through the commands, every version of a changed quote keeps the exact money of its lines."""

from datetime import timedelta
from decimal import Decimal

from desk_actors import CS
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecore.adapters.memory import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.model.common import Money
from servicecore.services import quotes as q
from servicecore.testing import factories as f
from servicecore.testing import strategies as s
from servicecore.testing.factories import command_context as cx

CUR = "IDR"
version_lines = st.tuples(
    st.lists(s.service_lines(CUR), max_size=3).map(tuple),
    st.lists(s.part_lines(CUR), min_size=1, max_size=3).map(tuple),
)


def exact(lines, field):
    return sum((x.quantity * getattr(x, field).amount for x in lines), Decimal(0))


@settings(max_examples=30, deadline=None)
@given(st.lists(version_lines, min_size=1, max_size=4))
def test_changed_quote_versions_keep_exact_money(history):
    storage, clock = MemoryStorage(), FixedClock(f.NOW)
    with storage.unit_of_work("t") as uow:
        svc, parts = history[0]
        q.draft_quote(
            cx(uow, CS, clock),
            currency=CUR,
            customer_id="C-1",
            quote_id="Q-1",
            valid_until=f.NOW + timedelta(days=30),
            service_lines=svc,
            part_lines=parts,
        )
        q.issue_quote(cx(uow, CS, clock), "Q-1")
        for n, (svc, parts) in enumerate(history[1:], start=2):
            clock.advance(timedelta(minutes=5))
            q.change_quote(
                cx(uow, CS, clock), "Q-1", f"to v{n}", service_lines=svc, part_lines=parts
            )  # fmt: skip
            q.issue_quote(cx(uow, CS, clock), "Q-1")
        q.accept_quote(cx(uow, CS, clock), "Q-1")
        uow.commit()
    with storage.unit_of_work("t") as uow:
        versions = [q.quote_version(cx(uow), "Q-1", n) for n in range(1, len(history) + 1)]
        records = q.price_history(cx(uow), "C-1", limit=1000)
    for version, (svc, parts) in zip(versions, history, strict=True):
        both = (*svc, *parts)
        assert version.service_lines == svc
        assert version.part_lines == parts
        assert version.total_price == Money(exact(both, "unit_price"), CUR)
        assert version.total_cost == Money(exact(both, "unit_cost"), CUR)
        assert version.estimated_profit == version.total_price - version.total_cost
    # Every quoted line is in the price history, at its own price.
    assert len(records) == sum(len(a) + len(b) for a, b in history)
    for record in records:
        version = versions[record.quote_version - 1]
        prices = [x.unit_price for x in (*version.service_lines, *version.part_lines)]
        assert record.unit_price in prices
