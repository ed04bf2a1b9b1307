"""The lifecycles: one table and one shared ``transitions`` machine per aggregate.

Fire a trigger with ``LIFECYCLE.fire(entity, trigger, ctx, audit)``; record a new entity with
``LIFECYCLE.create(entity, ctx, audit)``; ask what may happen next with
:func:`available_triggers`. :data:`LIFECYCLES` maps a short name to each lifecycle (used by the
docs to draw the diagrams).
"""

from __future__ import annotations

from typing import Any

from servicecore.errors import ValidationError
from servicecore.lifecycle.archive import ARCHIVE
from servicecore.lifecycle.booking import BOOKING
from servicecore.lifecycle.care import CARE
from servicecore.lifecycle.claims import CLAIM
from servicecore.lifecycle.contract import CONTRACT
from servicecore.lifecycle.dispatch import DISPATCH
from servicecore.lifecycle.engine import Guard, Lifecycle, Rule, Stateful, TransitionContext
from servicecore.lifecycle.knowledge import KNOWLEDGE
from servicecore.lifecycle.processing import PROCESSING
from servicecore.lifecycle.quote import QUOTE
from servicecore.lifecycle.request import REQUEST
from servicecore.lifecycle.requisition import REQUISITION
from servicecore.lifecycle.spare_part_plan import SPARE_PART_PLAN
from servicecore.lifecycle.transfer import TRANSFER

__all__ = [
    "ARCHIVE",
    "BOOKING",
    "CARE",
    "CLAIM",
    "CONTRACT",
    "DISPATCH",
    "KNOWLEDGE",
    "LIFECYCLES",
    "PROCESSING",
    "QUOTE",
    "REQUEST",
    "REQUISITION",
    "SPARE_PART_PLAN",
    "TRANSFER",
    "Guard",
    "Lifecycle",
    "Rule",
    "Stateful",
    "TransitionContext",
    "available_triggers",
    "lifecycle_of",
]

LIFECYCLES: dict[str, Lifecycle[Any, Any]] = {
    "request": REQUEST,
    "dispatch": DISPATCH,
    "processing": PROCESSING,
    "quote": QUOTE,
    "care": CARE,
    "booking": BOOKING,
    "archive": ARCHIVE,
    "contract": CONTRACT,
    "requisition": REQUISITION,
    "transfer": TRANSFER,
    "spare_part_plan": SPARE_PART_PLAN,
    "knowledge": KNOWLEDGE,
    "claim": CLAIM,
}
"""Every lifecycle by short name."""

_BY_TYPE: dict[type, Lifecycle[Any, Any]] = {lc.entity_type: lc for lc in LIFECYCLES.values()}


def lifecycle_of(entity: object) -> Lifecycle[Any, Any]:
    """Return the lifecycle that runs ``entity``.

    Raises:
        ValidationError: No lifecycle runs entities of this type.
    """
    try:
        return _BY_TYPE[type(entity)]
    except KeyError:
        raise ValidationError.single("entity", type(entity).__name__, "has no lifecycle") from None


def available_triggers(entity: Any, ctx: TransitionContext | None = None) -> tuple[str, ...]:
    """Return what may happen next to ``entity``, sorted.

    Without ``ctx``: every trigger its lifecycle allows from its state. With ``ctx``: only those
    whose guards hold now.

    Raises:
        ValidationError: No lifecycle runs entities of this type.
    """
    return lifecycle_of(entity).available_triggers(entity, ctx)
