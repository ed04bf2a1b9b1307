"""Every desk command, read and job, fed hostile arguments, refuses them with a servicecore error.

The commands are enumerated from the desk's groups, so a new command is fuzzed as soon as it is
on the desk. Each call mixes plausible arguments (ids of the tenant's records, valid model
objects) with hostile ones (wrong types, None, huge numbers, NaN, NUL, surrogates, deep nesting,
oversized strings, naive datetimes, ids of another tenant). Whatever happens, only a
``ServicecoreError`` escapes, a ``ValidationError`` names an argument, and a refused call writes
nothing: no record, no audit entry, no outbox message, in this tenant or the other.
"""

import functools
import inspect
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum

import attrs
import hypothesis.strategies as st
import pytest
from hostile import (
    MODEL_STRATEGIES,
    NASTY_NUMBERS,
    NASTY_TEXT,
    NASTY_TIMES,
    TRIED,
    check_error,
    examples,
    hostile,
)
from hypothesis import given

from servicecore.adapters.erp_memory import (
    InMemoryBillOfMaterials,
    InMemoryCustomerDirectory,
    InMemoryInventory,
    InMemoryReceivables,
    InMemoryShipmentHistory,
)
from servicecore.basics import FixedClock
from servicecore.catalog import AGGREGATES
from servicecore.model.actor import Actor, Role
from servicecore.model.common import GeoPoint, Money, TimeRange
from servicecore.ports import (
    BillOfMaterials,
    CustomerDirectory,
    Inventory,
    Receivables,
    ShipmentHistory,
)
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk, _hints
from servicecore.services.tokens import TokenSigner
from servicecore.testing import factories as f
from servicecore.testing import strategies as sst

METHODS = [
    (group_name, method_name, info)
    for group_name, group in ServiceDesk.GROUPS
    for method_name, info in group.commands()
]
OTHER_TENANT_PREFIX = "OT-"
SCHEDULER_SECONDS = 0.05
"""The scheduler's time limit for plan_day here: enough to plan the small world, keeps CI fast."""

ACTORS = [
    f.ADMIN,
    Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE}),
    Actor(id="u-7", roles={Role.TECHNICIAN}, technician_id="T-7"),
    Actor(id="C-1", roles={Role.CUSTOMER}),
]

PORTS: dict[object, Callable[[], object]] = {
    Inventory: lambda: InMemoryInventory({"WH-1": {"RELAY-7": 10}}),
    Receivables: InMemoryReceivables,
    ShipmentHistory: InMemoryShipmentHistory,
    BillOfMaterials: InMemoryBillOfMaterials,
    CustomerDirectory: InMemoryCustomerDirectory,
}
"""Host ports get a working in-memory adapter: they are the host's code, not hostile input."""


def _world_ids(tenant_prefix: str = "") -> list[str]:
    ids = ["C-1", "T-7", "T-8", "RELAY-7", "WH-1", "AC-9000", "SN-1", "cs-1", "u-7"]
    for spec in AGGREGATES:
        ids.append(tenant_prefix + f.make(spec.kind).id)
    return ids


IDS = _world_ids() + _world_ids(OTHER_TENANT_PREFIX)


def _seed(storage, tenant: str, prefix: str = "") -> None:
    with storage.unit_of_work(tenant) as uow:
        for spec in AGGREGATES:
            entity = f.make(spec.kind)
            if prefix:
                entity = attrs.evolve(entity, id=prefix + entity.id)
            uow.repository(spec.name).add(entity)
        if not prefix:
            uow.technicians.add(f.technician(id="T-8"))
        uow.commit()


def snapshot(storage, tenant: str) -> object:
    """Every record (id, version), every audit trail's length, every pending outbox message."""
    found = {}
    with storage.unit_of_work(tenant) as uow:
        for spec in AGGREGATES:
            for entity in uow.repository(spec.name).iterate():
                entries = uow.audit.entries(spec.kind, entity.id)
                found[(spec.kind, entity.id)] = (entity.version, len(entries))
    return found, [e.id for e in storage.pending_events(tenant, limit=10_000)]


@functools.cache
def plausible(hint: object, name: str) -> st.SearchStrategy[object]:
    """Values of type ``hint`` that pass the desk's argument check and often the command's own."""
    if hasattr(hint, "__supertype__"):
        return plausible(hint.__supertype__, name)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([plausible(a, name) for a in args])
    if hint is type(None):
        return st.none()
    if name == "time_limit":
        return st.just(SCHEDULER_SECONDS)
    if hint is str:
        if name.endswith("id") or name in {"tenant", "serial_number", "product_code", "warehouse"}:
            return st.sampled_from(IDS)
        if name == "timezone":
            return st.sampled_from(["UTC", "Europe/Berlin", "Asia/Jakarta"])
        return st.sampled_from(["ok", "Replaced the relay."]) | sst.texts()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(0, 10)
    if hint is float:
        return st.floats(0.01, 2.0)
    if hint is Decimal:
        return st.decimals(0, 1000, places=2)
    if hint is bytes:
        return st.binary(max_size=64)
    if hint is datetime:
        return st.integers(-48, 96).map(lambda h: f.NOW + timedelta(hours=h))
    if hint is date:
        return st.integers(-3, 10).map(lambda d: f.NOW.date() + timedelta(days=d))
    if hint is timedelta:
        return st.integers(0, 48).map(lambda h: timedelta(hours=h))
    if hint is TimeRange:
        return st.integers(1, 72).map(
            lambda h: TimeRange(f.NOW + timedelta(hours=h), f.NOW + timedelta(hours=h + 2))
        )
    if hint is GeoPoint:
        return st.just(f.HERE) | sst.geo_points()
    if hint is Money:
        return sst.money()
    if hint in PORTS:
        return st.builds(PORTS[hint])
    if typing.get_origin(hint) is Callable or hint is Callable:
        returns = 60 if typing.get_args(hint)[-1] is int else None
        return st.just(lambda *args, **kwargs: returns)
    if origin in (list, tuple, Sequence) and args:
        item = plausible(args[0], name)
        return st.lists(item, max_size=3).map(tuple if origin is tuple else list)
    if origin in (dict, Mapping):
        return st.dictionaries(st.sampled_from(["note", "reason"]), st.sampled_from(["ok", 1]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return st.sampled_from(list(hint))
    if isinstance(hint, type) and hint in MODEL_STRATEGIES:
        return MODEL_STRATEGIES[hint]
    if isinstance(hint, type) and attrs.has(hint):
        try:
            return st.just(f.make(hint))
        except Exception:
            return st.builds(hint)
    return hostile()  # untyped for the desk (e.g. a scheduler plan): anything may arrive


@functools.cache
def typed_hostile(hint: object) -> st.SearchStrategy[object]:
    """Hostile values that still have the right type: they pass the desk's type check."""
    if hasattr(hint, "__supertype__"):
        return typed_hostile(hint.__supertype__)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([typed_hostile(a) for a in args if a is not type(None)] or [st.none()])
    if hint is str:
        return st.sampled_from(NASTY_TEXT)
    if hint in (int, float, Decimal):
        return st.sampled_from([n for n in NASTY_NUMBERS if type(n) is hint] or [0])
    if hint in (datetime, date, timedelta):
        return st.sampled_from([t for t in NASTY_TIMES if type(t) is hint])
    if origin in (list, tuple, Sequence) and args:
        return st.lists(typed_hostile(args[0]), min_size=1, max_size=3)
    return hostile()


def arguments(hint_map, signature, draw) -> tuple[list[object], dict[str, object]]:
    """Draw a call: each parameter plausible, hostile of its type, hostile of any type, or left
    out when it has a default."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for name, parameter in list(signature.parameters.items())[1:]:
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        hint = hint_map.get(name, object)
        optional = parameter.default is not inspect.Parameter.empty
        if name == "time_limit":
            choice = "plausible"  # the scheduler's own limits are fuzzed in its own tests
        else:
            choice = draw(st.sampled_from(["plausible"] * 5 + ["typed", "hostile", "omit"]))
        if choice == "omit":
            if optional and name != "time_limit":
                continue
            choice = "plausible"
        if choice == "plausible":
            value = draw(plausible(hint, name))
        else:
            value = draw(typed_hostile(hint) if choice == "typed" else hostile())
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return args, kwargs


def test_every_desk_method_is_fuzzed():
    on_desk = {
        (name, method) for name, group in ServiceDesk.GROUPS for method, _ in group.commands()
    }
    assert {(g, m) for g, m, _ in METHODS} == on_desk
    assert len(METHODS) > 80


@pytest.mark.parametrize(
    ("group", "method", "info"), METHODS, ids=[f"{g}.{m}" for g, m, _ in METHODS]
)
def test_hostile_arguments_raise_only_servicecore_errors_and_write_nothing(
    backend, group, method, info, tmp_path
):
    from servicecore.adapters.evidence import FilesystemEvidenceStore

    name, storage = backend
    other = f"ot-{group}-{method}"
    _seed(storage, other, OTHER_TENANT_PREFIX)
    settings = DeskSettings(
        signer=TokenSigner(b"k" * 32), evidence_store=FilesystemEvidenceStore(tmp_path)
    )
    signature, hint_map = _hints(info.function)
    other_before = snapshot(storage, other)

    @examples(6, name)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["desk"] += 1
        actor = data.draw(st.sampled_from(ACTORS) | hostile(), label="actor")
        args, kwargs = arguments(hint_map, signature, data.draw)
        # A fresh tenant per input: every input meets the same world, so a failure replays.
        tenant = f"fz-{uuid.uuid4().hex[:12]}"
        _seed(storage, tenant)
        desk = ServiceDesk(storage, tenant, clock=FixedClock(f.NOW), settings=settings)
        call = getattr(getattr(desk, group), method)
        before = snapshot(storage, tenant)
        refused = None
        try:
            call(actor, *args, **kwargs)
        except Exception as exc:
            check_error(exc, set(signature.parameters) | {"actor", "arguments"})
            refused = exc
        if refused is not None and info.kind != "job":
            assert snapshot(storage, tenant) == before, f"{refused!r} left writes behind"
        assert snapshot(storage, other) == other_before

    fuzz()
