"""Money lines shared by processing orders and care plans: one described amount with a category."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import Money

__all__ = ["MoneyLine", "check_currency"]


@attrs.frozen(kw_only=True)
class MoneyLine:
    """One amount of income or cost, e.g. ``labour``, ``travel``, ``postage``.

    Attributes:
        description: What the amount is for.
        amount: The amount; may be negative for a credit.
        category: A short grouping key for reports (``"labour"``, ``"parts"``, ...).

    Raises:
        ValidationError: A field is missing, blank or of the wrong type.
    """

    description: str = attrs.field(validator=v.text(500))
    amount: Money = attrs.field(validator=v.instance(Money))
    category: str = attrs.field(default="general", validator=v.text(64))


def check_currency(path: str, amounts: Iterable[tuple[int, Money]], currency: str) -> None:
    """Refuse any amount that is not in ``currency``.

    Args:
        path: The field the amounts come from, e.g. ``"income_lines"``; errors read ``path[i]``.
        amounts: Pairs of (index in the field, amount).
        currency: The currency every amount must be in.

    Raises:
        ValidationError: One error per amount in another currency, naming its index.
    """
    bad = [
        ValidationError.single(f"{path}[{i}]", m, f"must be in {currency}, not {m.currency}")
        for i, m in amounts
        if m.currency != currency
    ]
    if bad:
        raise ValidationError.merge(bad)
