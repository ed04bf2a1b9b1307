"""Money is exact whatever the thread's decimal context, and never holds what storage cannot."""

import decimal
from decimal import Decimal

import pytest

from servicecore.errors import ValidationError
from servicecore.model.common import Money, rounded_quotient

BIG = Decimal("9" * 28)


@pytest.fixture
def coarse_thread_context():
    """A host that left a coarse, trapping context on its thread."""
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Inexact] = True
        yield ctx


def test_money_arithmetic_ignores_the_threads_decimal_context(coarse_thread_context):
    total = Money(Decimal("1234.5678"), "EUR") + Money(Decimal("0.0001"), "EUR")
    assert total.amount == Decimal("1234.5679")
    assert (Money(Decimal("19.99"), "EUR") * 3).amount == Decimal("59.97")
    assert Money(Decimal("2.345"), "EUR").rounded(2).amount == Decimal("2.34")


def test_an_amount_with_more_digits_than_storage_holds_is_refused_naming_it():
    with pytest.raises(ValidationError) as raised:
        Money(Decimal("1" * 29), "EUR")
    assert raised.value.errors[0].path == "amount"
    with pytest.raises(ValidationError):
        Money(Decimal("0." + "0" * 28 + "1"), "EUR")
    with pytest.raises(ValidationError):
        Money(Decimal("1e30"), "EUR")


def test_a_sum_that_would_need_rounding_is_refused_not_rounded():
    with pytest.raises(ValidationError, match="more than 28 digits") as raised:
        Money(BIG, "EUR") + Money(Decimal("0.1"), "EUR")
    assert raised.value.errors[0].path == "amount"


def test_a_product_that_would_need_rounding_is_refused_not_rounded():
    with pytest.raises(ValidationError):
        Money(BIG, "EUR") * Decimal("1.5")


def test_rounded_quotients_ignore_the_threads_decimal_context(coarse_thread_context):
    assert rounded_quotient(Decimal(10), Decimal(3), 4, "roi") == Decimal("3.3333")


def test_a_rounded_quotient_too_large_to_store_names_its_field():
    with pytest.raises(ValidationError) as raised:
        rounded_quotient(BIG, Decimal("0.0001"), 4, "roi")
    assert raised.value.errors[0].path == "roi"
    with pytest.raises(ValidationError) as raised:
        rounded_quotient(BIG, Decimal(0), 4, "roi")
    assert raised.value.errors[0].path == "roi"
