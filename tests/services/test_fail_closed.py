"""Fail closed: every desk command, read and job asks the policy before it touches storage.

The commands are enumerated from the desk itself, so a new command cannot be forgotten: under a
policy that refuses everything, each raises PermissionDenied, reads nothing and writes nothing.
"""

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from desk_actors import CS

import servicecore.services as services_package
from servicecore.adapters.erp_memory import (
    InMemoryBillOfMaterials,
    InMemoryCustomerDirectory,
    InMemoryInventory,
    InMemoryReceivables,
    InMemoryShipmentHistory,
)
from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.adapters.sites import MemorySites
from servicecore.catalog import AGGREGATES
from servicecore.errors import PermissionDenied, ValidationError
from servicecore.model.common import Money, TimeRange
from servicecore.ports import (
    BillOfMaterials,
    CustomerDirectory,
    Inventory,
    Receivables,
    ShipmentHistory,
    SiteDirectory,
)
from servicecore.services.context import COMMANDS, CommandContext, DeskSettings, command
from servicecore.services.desk import ServiceDesk, command_info
from servicecore.services.permissions import DEFAULT_RULES, DESCRIPTIONS
from servicecore.services.tokens import TokenSigner
from servicecore.testing import factories as f

ROOT = Path(__file__).resolve().parents[2]


class DenyAll:
    """A host policy that refuses everything and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    def check(self, actor, command, subject=None):
        self.asked.append((command, subject))
        raise PermissionDenied(f"{actor.id} may not {command}: this host denies everything")


class ReadRecorder:
    """Wraps a storage; records every use of a unit of work beyond opening and closing it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.used: list[str] = []

    def unit_of_work(self, tenant):
        return _RecordingUnitOfWork(self.inner.unit_of_work(tenant), self.used)

    def pending_events(self, tenant, limit=100):
        self.used.append("pending_events")
        return self.inner.pending_events(tenant, limit)

    def acknowledge(self, tenant, event_ids):
        self.used.append("acknowledge")
        return self.inner.acknowledge(tenant, event_ids)


class _RecordingUnitOfWork:
    _QUIET = frozenset({"tenant", "rollback", "__enter__", "__exit__"})

    def __init__(self, inner, used) -> None:
        self._inner = inner
        self._used = used

    def __enter__(self):
        self._inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)

    def __getattr__(self, name):
        if name not in self._QUIET:
            self._used.append(name)
        return getattr(self._inner, name)


def desk_methods():
    """Every (group, method, registry entry) the desk offers."""
    for group_name, group in ServiceDesk.GROUPS:
        for method_name, info in group.commands():
            yield group_name, method_name, info


METHODS = list(desk_methods())


def sample(hint, name):
    """A value of type ``hint`` good enough to pass the desk's argument check."""
    if hasattr(hint, "__supertype__"):  # a typed id (NewType of str)
        return sample(hint.__supertype__, name)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return sample(next(a for a in args if a is not type(None)), name)
    if hint is str:
        return f"X-{name}"
    if hint is bool:
        return False
    if hint is int:
        return 1
    if hint is float:
        return 1.0
    if hint is Decimal:
        return Decimal(1)
    if hint is bytes:
        return b"x"
    if hint is datetime:
        return f.NOW + timedelta(days=1)
    if hint is date:
        return f.NOW.date()
    if hint is timedelta:
        return timedelta(hours=1)
    if hint is TimeRange:
        return TimeRange(f.NOW + timedelta(days=1), f.NOW + timedelta(days=1, hours=2))
    if hint is Money:
        return Money("1", "EUR")
    if origin in (list, Sequence, tuple, typing.Sequence) or hint in (list, tuple):
        return []
    if origin in (dict, Mapping) or hint is dict:
        return {}
    if isinstance(hint, type) and issubclass(hint, __import__("enum").Enum):
        return next(iter(hint))
    if isinstance(hint, type) and attrs.has(hint):
        made = f.make(hint) if hint.__name__ in {s.kind for s in AGGREGATES} else None
        if made is not None:
            return made
        return _build_attrs(hint)
    if hint in PORTS:
        return PORTS[hint]()
    if typing.get_origin(hint) is Callable:
        return lambda *args, **kwargs: None
    return object()  # a type the desk cannot check (a scheduler plan): anything passes


PORTS = {
    Inventory: InMemoryInventory,
    Receivables: InMemoryReceivables,
    ShipmentHistory: InMemoryShipmentHistory,
    BillOfMaterials: InMemoryBillOfMaterials,
    CustomerDirectory: InMemoryCustomerDirectory,
    SiteDirectory: lambda: MemorySites([]),
}
"""A working in-memory adapter for each host port a command takes (the desk checks their shape)."""


def _examples():
    """Every value object found inside the factories' records, to pick samples from."""
    found = []
    for name in dir(f):
        builder = getattr(f, name)
        if not (inspect.isfunction(builder) and name.islower()) or name.startswith("_"):
            continue
        try:
            made = builder()
        except TypeError:
            continue
        found.append(made)
        if attrs.has(type(made)):
            found.extend(getattr(made, field.name) for field in attrs.fields(type(made)))
    return found


EXAMPLES = _examples()


def _build_attrs(cls):
    for value in EXAMPLES:
        if isinstance(value, cls):
            return value
    hints = typing.get_type_hints(cls)
    return cls(
        **{
            field.name: sample(hints[field.name], field.name)
            for field in attrs.fields(cls)
            if field.default is attrs.NOTHING
        }
    )


def arguments_for(function):
    """Positional and keyword arguments for every required parameter of ``function``."""
    from servicecore.services.desk import _hints

    signature, hints = _hints(function)
    args, kwargs = [], {}
    for name, parameter in list(signature.parameters.items())[1:]:
        if parameter.default is not inspect.Parameter.empty or parameter.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        value = sample(hints.get(name, object), name)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return args, kwargs


def snapshot(storage, tenant):
    """Every record (id and version), every audit entry and every pending event of ``tenant``."""
    found = {}
    with storage.unit_of_work(tenant) as uow:
        for spec in AGGREGATES:
            for entity in uow.repository(spec.name).iterate():
                entries = uow.audit.entries(spec.kind, entity.id)
                found[(spec.kind, entity.id)] = (entity.version, len(entries))
    return found, [e.id for e in storage.pending_events(tenant)]


@pytest.fixture
def world(storage, tenant, clock, tmp_path):
    """A tenant with a little of everything, so that a write would show."""
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician())
        uow.requests.add(f.request())
        uow.dispatches.add(f.dispatch())
        uow.bookings.add(f.booking(technician_id="T-7"))
        uow.commit()
    return tmp_path


@pytest.mark.parametrize(
    ("group", "method", "info"), METHODS, ids=[f"{g}.{m}" for g, m, _ in METHODS]
)
def test_under_a_deny_all_policy_every_desk_method_is_refused_before_touching_storage(
    storage, tenant, clock, world, group, method, info
):
    before = snapshot(storage, tenant)
    deny = DenyAll()
    recorder = ReadRecorder(storage)
    desk = ServiceDesk(
        recorder,
        tenant,
        clock=clock,
        settings=DeskSettings(
            policy=deny,
            signer=TokenSigner(b"k" * 32),
            evidence_store=FilesystemEvidenceStore(world),
        ),
    )
    args, kwargs = arguments_for(info.function)
    with pytest.raises(PermissionDenied, match="denies everything"):
        getattr(getattr(desk, group), method)(CS, *args, **kwargs)
    assert deny.asked == [(info.permission, None)]
    assert recorder.used == []
    assert snapshot(storage, tenant) == before


def test_every_registered_service_command_is_on_the_desk():
    on_desk = {info.function for _, _, info in METHODS}
    ours = {
        info.function
        for key, info in COMMANDS.items()
        if key.startswith(f"{services_package.__name__}.")
    }
    assert ours - on_desk == set()
    assert len(on_desk) == len(METHODS)


def test_every_public_service_function_taking_a_context_is_registered():
    import importlib
    import pkgutil

    unregistered = []
    for module_info in pkgutil.walk_packages(
        services_package.__path__, f"{services_package.__name__}."
    ):
        if module_info.name.rsplit(".", 1)[-1] in ("common", "context"):
            continue  # the helpers commands are built with, not commands
        module = importlib.import_module(module_info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if not inspect.isfunction(value):
                continue
            first = next(iter(inspect.signature(value).parameters), None)
            if first in ("cx", "jx"):
                try:
                    command_info(value)
                except ValidationError:
                    unregistered.append(f"{module_info.name}.{name}")
    assert unregistered == []


def test_every_permission_is_a_default_rule_and_described():
    permissions = {info.permission for _, _, info in METHODS}
    assert permissions - set(DEFAULT_RULES) == set()
    assert set(DEFAULT_RULES) - set(DESCRIPTIONS) == set()
    assert all(DESCRIPTIONS[name].strip() for name in DEFAULT_RULES)


def test_every_permission_is_on_the_permissions_page():
    page = (ROOT / "docs" / "workflows" / "permissions.rst").read_text()
    assert "permission-table" in page  # the table is rendered from DEFAULT_RULES and DESCRIPTIONS


def test_the_desk_refuses_to_run_an_unregistered_function(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)

    def sneaky(cx: CommandContext) -> None:
        cx.uow.requests.add(f.request(id="R-SNEAK"))

    with pytest.raises(ValidationError, match="not a registered command"):
        desk.run(sneaky, CS)  # type: ignore[arg-type]
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.find("R-SNEAK") is None


def test_a_host_command_runs_under_the_desks_policy(storage, tenant, clock):
    @command("host_reindex")
    def reindex(cx: CommandContext, /, note: str) -> str:
        return f"{cx.actor.id}: {note}"

    deny = DenyAll()
    refusing = ServiceDesk(storage, tenant, clock=clock, settings=DeskSettings(policy=deny))
    with pytest.raises(PermissionDenied):
        refusing.run(reindex, CS, "nightly")
    assert deny.asked == [("host_reindex", None)]
    allowing = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(PermissionDenied, match="administrators only"):
        allowing.run(reindex, CS, "nightly")  # not in the default table: admins only
    assert allowing.run(reindex, f.ADMIN, "nightly") == "admin: nightly"


def test_a_job_runs_under_the_desks_policy(storage, tenant, clock):
    deny = DenyAll()
    desk = ServiceDesk(storage, tenant, clock=clock, settings=DeskSettings(policy=deny))
    with pytest.raises(PermissionDenied):
        desk.jobs.expire_quotes(CS)
    assert deny.asked == [("expire_quotes", None)]


def _first_checked_parameter(function):
    """The first required parameter the desk can type-check, or None."""
    from servicecore.services.desk import _hints, _is_protocol

    signature, hints = _hints(function)
    for name, parameter in list(signature.parameters.items())[1:]:
        required = parameter.default is inspect.Parameter.empty
        if required and name in hints and not _is_protocol(hints[name]):
            return name, parameter
    return None


CHECKED = [
    (g, m, info)
    for g, m, info in METHODS
    if info.kind != "job" and _first_checked_parameter(info.function) is not None
]


@pytest.mark.parametrize(
    ("group", "method", "info"), CHECKED, ids=[f"{g}.{m}" for g, m, _ in CHECKED]
)
def test_every_desk_method_refuses_a_mistyped_argument_naming_it(
    storage, tenant, clock, world, group, method, info
):
    before = snapshot(storage, tenant)
    desk = ServiceDesk(storage, tenant, clock=clock)
    args, kwargs = arguments_for(info.function)
    name, parameter = _first_checked_parameter(info.function)
    wrong = object()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
        kwargs[name] = wrong
    else:
        positional = [
            n
            for n, p in list(inspect.signature(info.function).parameters.items())[1:]
            if p.kind is not inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
        ]
        args[positional.index(name)] = wrong
    with pytest.raises(ValidationError) as caught:
        getattr(getattr(desk, group), method)(f.ADMIN, *args, **kwargs)
    assert caught.value.errors[0].path == name
    assert snapshot(storage, tenant) == before


def test_a_missing_argument_is_a_validation_error(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError, match="missing a required argument: 'reason'"):
        desk.bookings.cancel_booking(CS, "B-1")  # type: ignore[call-arg]


def test_an_unknown_argument_is_a_validation_error(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError, match="unexpected keyword argument 'why'"):
        desk.bookings.cancel_booking(CS, "B-1", "moved", why="now")  # type: ignore[call-arg]


def test_an_argument_given_twice_is_a_validation_error(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError, match="multiple values for argument 'booking_id'"):
        desk.bookings.cancel_booking(CS, "B-1", "moved", booking_id="B-2")  # type: ignore[misc]


def test_too_many_positional_arguments_are_a_validation_error(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError, match="too many positional arguments"):
        desk.bookings.cancel_booking(CS, "B-1", "moved", "again")  # type: ignore[call-arg]


def test_arguments_given_by_name_are_checked_as_given_by_position(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError) as caught:
        desk.bookings.cancel_booking(CS, booking_id=5, reason="moved")  # type: ignore[arg-type]
    assert (caught.value.errors[0].path, caught.value.errors[0].value) == ("booking_id", 5)


def test_an_actor_that_is_not_an_actor_is_a_validation_error(storage, tenant, clock):
    desk = ServiceDesk(storage, tenant, clock=clock)
    with pytest.raises(ValidationError) as caught:
        desk.requests.sla_report("cs-1", "R-1")  # type: ignore[arg-type]
    assert caught.value.errors[0].path == "actor"
