"""Quote money never loses a cent: totals are the exact sums of the lines at every version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from servicecore.model.common import Money
from servicecore.model.quote import PartLine, Quote, QuoteRevision, ServiceLine
from servicecore.services.quotes import quote_versions

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CUR = "IDR"

# Amounts with up to four decimals and up to a billion, so that a float or a rounding step on
# the way would show.
amounts = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=10_000, places=3)


@st.composite
def service_lines(draw: st.DrawFn) -> ServiceLine:
    return ServiceLine(
        description="labour",
        quantity=draw(quantities),
        unit_price=Money(draw(amounts), CUR),
        unit_cost=Money(draw(amounts), CUR),
    )


@st.composite
def part_lines(draw: st.DrawFn) -> PartLine:
    return PartLine(
        part_code=draw(st.sampled_from(["FAN-1", "RELAY-2", "CABLE-M"])),
        description="part",
        quantity=draw(quantities),
        unit_price=Money(draw(amounts), CUR),
        unit_cost=Money(draw(amounts), CUR),
    )


lines = st.tuples(
    st.lists(service_lines(), max_size=5).map(tuple),
    st.lists(part_lines(), max_size=5).map(tuple),
)


def exact(xs: tuple[ServiceLine | PartLine, ...], field: str) -> Decimal:
    total = Decimal(0)
    for x in xs:
        total += x.quantity * getattr(x, field).amount
    return total


@st.composite
def versioned_quotes(draw: st.DrawFn) -> Quote:
    history = draw(st.lists(lines, min_size=1, max_size=5))
    revisions = tuple(
        QuoteRevision(
            quote_version=n,
            service_lines=svc,
            part_lines=parts,
            valid_until=T0 + timedelta(days=n),
            changed_at=T0 + timedelta(hours=n),
            changed_by="cs-1",
            reason=f"change {n}",
        )
        for n, (svc, parts) in enumerate(history[:-1], start=1)
    )
    svc, parts = history[-1]
    return Quote(
        id="Q-1",
        customer_id="C-1",
        currency=CUR,
        valid_until=T0 + timedelta(days=30),
        quote_version=len(history),
        service_lines=svc,
        part_lines=parts,
        revisions=revisions,
    )


@settings(max_examples=150, deadline=None)
@given(versioned_quotes())
def test_every_version_totals_the_exact_sum_of_its_lines(quote: Quote) -> None:
    versions = quote_versions(quote)
    assert [v.number for v in versions] == list(range(1, quote.quote_version + 1))
    for version in versions:
        both = (*version.service_lines, *version.part_lines)
        price, cost = exact(both, "unit_price"), exact(both, "unit_cost")
        assert isinstance(version.total_price.amount, Decimal)
        assert version.total_price == Money(price, CUR)
        assert version.total_cost == Money(cost, CUR)
        assert version.estimated_profit == Money(price - cost, CUR)
        assert version.estimated_profit + version.total_cost == version.total_price
        assert version.margin == (None if price == 0 else (price - cost) / price)
    current = versions[-1]
    assert current.total_price == quote.total_price()
    assert current.total_cost == quote.total_cost()
    assert current.estimated_profit == quote.estimated_profit()
    assert current.margin == quote.margin()


@settings(max_examples=150, deadline=None)
@given(lines)
def test_per_line_sums_add_up_to_the_total_cent_for_cent(found: tuple) -> None:
    svc, parts = found
    quote = Quote(
        id="Q-1",
        customer_id="C-1",
        currency=CUR,
        valid_until=T0,
        service_lines=svc,
        part_lines=parts,
    )
    # Rounding each line to the cent and then summing may differ from rounding the total; the
    # unrounded sum, however, is exact.
    by_line = sum((x.price.amount for x in (*svc, *parts)), Decimal(0))
    assert quote.total_price().amount == by_line
    service_part = Money.total((x.price for x in svc), CUR) + Money.total(
        (x.price for x in parts), CUR
    )
    assert service_part == quote.total_price()
    assert quote.estimated_profit() == quote.total_price() - quote.total_cost()
