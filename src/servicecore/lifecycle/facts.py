"""Typed facts: what a trigger's guards and effects consult besides the entity itself.

Each :class:`~servicecore.lifecycle.engine.Guard` (and each rule, for its effects) declares the
facts it needs by name; :meth:`~servicecore.lifecycle.engine.Lifecycle.needs` tells which a
trigger needs from the entity's state, so that a command loads each related record once (see
:func:`servicecore.services.facts.load_facts`) and gives only the inputs of the change itself.
A guard reads a fact with :func:`required`, which refuses a missing one with a
:class:`~servicecore.errors.ValidationError` naming it.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, TypeVar, get_args

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.archive import ArchivePart, ProductArchive
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.evidence import Evidence
from servicecore.model.parts import TransferRequest
from servicecore.model.processing import ProcessingOrder, ReturnedPart
from servicecore.model.request import ServiceRequest

__all__ = ["INPUTS", "NO_FACTS", "RELATED", "FactName", "Facts", "required"]

T = TypeVar("T")

FactName = Literal[
    "request",
    "archive",
    "dispatches",
    "processing_orders",
    "evidence",
    "transfers",
    "closure_policy",
    "on_hand",
    "returned",
    "new_slot",
    "new_end",
    "payment_reference",
    "changes",
    "removed_parts",
    "installed_parts",
]
"""The name of a fact: a field of :class:`Facts`."""

RELATED: frozenset[str] = frozenset(
    {"request", "archive", "dispatches", "processing_orders", "evidence", "transfers"}
)
"""Facts that are stored records related to the entity (a loader can fetch them)."""

INPUTS: frozenset[str] = frozenset(get_args(FactName)) - RELATED
"""Facts that are inputs of the change (the command gives them)."""


def _tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _records(kind: type[Any]) -> Any:
    return v.optional(v.items(v.instance(kind)))


def _frozen(value: object) -> object:
    return types.MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


def _str_keys(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (
        not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value)
    ):
        raise v.fail(attribute, value, "must be a mapping with string keys")


def _quantities(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _str_keys(_, attribute, value)
    if value is not None and not all(
        isinstance(q, int) and not isinstance(q, bool)
        for q in value.values()  # type: ignore[attr-defined]
    ):
        raise v.fail(attribute, value, "must map part codes to whole quantities")


@attrs.frozen(kw_only=True)
class Facts:
    """What the guards and effects of one trigger consult; a fact not needed stays ``None``.

    Related records (loaded by the command from storage):

    Attributes:
        request: The request a dispatch order, processing order or requisition belongs to.
        archive: The product archive a request names.
        dispatches: A request's dispatch orders.
        processing_orders: A request's processing orders.
        evidence: A request's evidence.
        transfers: A spare-part plan's transfer requests.
        closure_policy: What a request needs before it may close (an input).
        on_hand: Stock on hand per part code in the warehouse concerned (an input).
        returned: Parts coming back from the field (an input).
        new_slot: A booking's new slot (an input).
        new_end: A contract's new end date (an input).
        payment_reference: A booking's payment reference (an input).
        changes: Field changes to a processing order (an input).
        removed_parts: Parts taken out of a product (an input).
        installed_parts: Parts put into a product (an input).

    Raises:
        ValidationError: A fact of the wrong type.
    """

    request: ServiceRequest | None = attrs.field(
        default=None, validator=v.optional(v.instance(ServiceRequest))
    )
    archive: ProductArchive | None = attrs.field(
        default=None, validator=v.optional(v.instance(ProductArchive))
    )
    dispatches: tuple[DispatchOrder, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(DispatchOrder)
    )
    processing_orders: tuple[ProcessingOrder, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(ProcessingOrder)
    )
    evidence: tuple[Evidence, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(Evidence)
    )
    transfers: tuple[TransferRequest, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(TransferRequest)
    )
    closure_policy: ClosurePolicy | None = attrs.field(
        default=None, validator=v.optional(v.instance(ClosurePolicy))
    )
    on_hand: Mapping[str, int] | None = attrs.field(
        default=None, converter=_frozen, validator=_quantities
    )
    returned: tuple[ReturnedPart, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(ReturnedPart)
    )
    new_slot: TimeRange | None = attrs.field(
        default=None, validator=v.optional(v.instance(TimeRange))
    )
    new_end: date | None = attrs.field(default=None, validator=v.optional(v.instance(date)))
    payment_reference: str | None = attrs.field(default=None, validator=v.optional(v.instance(str)))
    changes: Mapping[str, object] | None = attrs.field(
        default=None, converter=_frozen, validator=_str_keys
    )
    removed_parts: tuple[ArchivePart, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(ArchivePart)
    )
    installed_parts: tuple[ArchivePart, ...] | None = attrs.field(
        default=None, converter=_tuple, validator=_records(ArchivePart)
    )


NO_FACTS = Facts()
"""Facts of a trigger that needs none."""


def required(value: T | None, name: FactName) -> T:
    """Return a fact a guard or effect needs.

    Raises:
        ValidationError: The fact was not given (field ``facts.<name>``).
    """
    if value is None:
        raise ValidationError.single(f"facts.{name}", None, "this trigger needs it")
    return value
