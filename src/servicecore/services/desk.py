"""``ServiceDesk``: the ports wired once, every command one typed call away.

Underneath, every command is a plain function ``command(cx, arguments...)`` of a
:class:`~servicecore.services.context.CommandContext` that hosts and tests can call directly.
The desk builds that context from its settings, runs the command in a unit of work of its tenant
and commits; if the command raises, nothing is written. Reads run in a unit of work that is
never committed; scheduled jobs commit record by record.

The commands are grouped by subject, each group an attribute of the desk whose methods have the
command's own parameters after the actor::

    desk = ServiceDesk(SQLAlchemyStorage("service.db"), tenant="acme")
    booking = desk.bookings.book(agent, customer=..., service_type=ServiceType.REPAIR, ...)
    request = desk.requests.open_request(agent, from_booking=booking.id, symptoms="...")
    desk.jobs.run_alerts(SYSTEM, recipients=[...])

No path through the desk skips its policy: every method runs a registered command, read or job,
and each asks the policy before it reads or writes anything; :meth:`ServiceDesk.run` refuses a
function that is not registered with :func:`~servicecore.services.context.command`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from servicecore.basics import SystemClock
from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.actor import Actor
from servicecore.ports import Clock, Storage
from servicecore.services import (
    alerts,
    articles,
    bookings,
    care,
    claims,
    contracts,
    dispatch,
    documents,
    installed_base,
    maintenance,
    outbox,
    parts,
    planning,
    quotes,
    requests,
    technicians,
    work,
)
from servicecore.services import service_log as request_log
from servicecore.services.context import (
    COMMANDS,
    CommandContext,
    CommandInfo,
    DeskSettings,
    JobContext,
)

_log = logging.getLogger("servicecore.services.desk")

__all__ = [
    "BookingCommands",
    "CareCommands",
    "ContractCommands",
    "DispatchCommands",
    "InstalledBaseCommands",
    "Jobs",
    "PartsCommands",
    "QuoteCommands",
    "RequestCommands",
    "ServiceDesk",
    "TechnicianCommands",
    "WorkCommands",
    "command_info",
]

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", CommandContext, JobContext)


def command_info(function: Callable[..., object]) -> CommandInfo:
    """Return what the registry knows of ``function``.

    Raises:
        ValidationError: ``function`` is not a registered command, read or job (field
            ``command``): decorate it with :func:`~servicecore.services.context.command`.
    """
    name = f"{getattr(function, '__module__', '?')}.{getattr(function, '__name__', '?')}"
    info = COMMANDS.get(name)
    if info is None or info.function is not function:
        raise ValidationError.single(
            "command",
            name,
            "is not a registered command: decorate it with servicecore.command(permission) "
            "so that the desk's policy is asked",
        )
    return info


class _Group:
    """Commands of one subject, bound to a desk."""

    def __init__(self, desk: ServiceDesk) -> None:
        self._desk = desk

    @classmethod
    def commands(cls) -> Iterator[tuple[str, CommandInfo]]:
        """Yield ``(method name, registry entry)`` for every command of this group."""
        for name, value in vars(cls).items():
            if isinstance(value, _Bound):
                yield name, command_info(value.function)


class _Bound(Generic[C, P, T]):
    """A desk method: runs a registered command, read or job with the desk's settings.

    Commands and reads run through :meth:`ServiceDesk.run` (one unit of work); jobs get a job
    context on the desk's storage and tenant (they commit record by record).
    """

    def __init__(self, function: Callable[Concatenate[C, P], T]) -> None:
        self.info = command_info(function)
        self.function: Callable[Concatenate[C, P], T] = function
        self.__doc__ = function.__doc__
        self.name = function.__name__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, group: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, group: _Group, owner: type[Any]) -> Callable[Concatenate[Actor, P], T]: ...

    def __get__(
        self, group: _Group | None, owner: type[Any]
    ) -> Self | Callable[Concatenate[Actor, P], T]:
        if group is None:
            return self
        desk = group._desk
        function: Callable[..., T] = self.function
        is_job = self.info.kind == "job"

        @functools.wraps(function)
        def call(actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if not is_job:
                return desk.run(function, actor, *args, **kwargs)
            _check_arguments(function, actor, args, kwargs)
            jx = JobContext(desk.storage, desk.tenant, desk.clock, actor, desk.settings)
            return function(jx, *args, **kwargs)

        # Kept on the group, which finds it before this descriptor from then on: building the
        # wrapper cost more than a refused command's own checks, on every call.
        vars(group)[self.name] = call
        return call


@functools.cache
def _hints(function: Callable[..., object]) -> tuple[inspect.Signature, dict[str, Any]]:
    signature = inspect.signature(function)
    found: dict[str, Any] = {}
    module = inspect.getmodule(inspect.unwrap(function))
    namespace = dict(vars(module)) if module else {}
    for name, parameter in list(signature.parameters.items())[1:]:
        annotation = parameter.annotation
        if annotation is inspect.Parameter.empty:
            continue
        try:
            # Our own annotations, written as strings by ``from __future__ import annotations``.
            found[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
        except NameError:  # a type imported only for the type checker (the scheduler's)
            continue
    return signature, found


def _check_arguments(
    function: Callable[..., object], actor: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Refuse a call the command could not take, naming the argument, before anything runs.

    Raises:
        ValidationError: ``actor`` is not an Actor, an argument is missing or unknown, or one is
            of a type the command's signature does not accept.
    """
    if not isinstance(actor, Actor):
        raise ValidationError.single("actor", actor, "must be an Actor")
    signature, checks = _argument_checks(function)
    for name, value in _bind(function, signature, args, kwargs).items():
        check = checks.get(name)
        if check is None:
            continue
        hint, port, plain = check
        if port:
            _check_port(name, value, hint)  # its behaviour is checked by its contract suite
            continue
        if type(value) not in plain:
            from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

            try:
                # Every item, not only the first: a bad item later in a list would reach it.
                check_type(value, hint, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
            except TypeCheckError as exc:
                raise ValidationError.single(name, value, f"must be {_describe(hint)}") from exc
        _check_storable(name, value)


def _bind(
    function: Callable[..., object],
    signature: inspect.Signature,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Map a call's arguments to the command's parameter names (the context's excluded).

    Raises:
        ValidationError: An argument is missing, unknown or given twice (``arguments``).
    """
    positional, keywords, required = _parameters(function)
    if len(args) <= len(positional):
        arguments = dict(zip(positional, args, strict=False))
        if kwargs.keys() <= keywords and not arguments.keys() & kwargs.keys():
            arguments.update(kwargs)
            if required <= arguments.keys():
                return arguments
    # A call the quick mapping cannot take, or that has variadic parameters: inspect binds it
    # (and says what is wrong).
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError as exc:
        raise ValidationError.single("arguments", None, str(exc)) from None
    return dict(list(bound.arguments.items())[1:])


@functools.cache
def _parameters(
    function: Callable[..., object],
) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """A command's parameters after the context: by position, by name, and without a default.

    A command with variadic parameters gets none by name and an impossible requirement, so
    that ``inspect`` binds its calls.
    """
    parameters = list(inspect.signature(function).parameters.values())[1:]
    kinds = inspect.Parameter
    if any(p.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD) for p in parameters):
        return (), frozenset(), frozenset({"*"})
    return (
        tuple(p.name for p in parameters if p.kind is not kinds.KEYWORD_ONLY),
        frozenset(p.name for p in parameters if p.kind is not kinds.POSITIONAL_ONLY),
        frozenset(p.name for p in parameters if p.default is kinds.empty),
    )


@functools.cache
def _argument_checks(
    function: Callable[..., object],
) -> tuple[inspect.Signature, dict[str, tuple[Any, bool, frozenset[type]]]]:
    """A command's signature and what to check per argument (worked out once per command).

    Per argument with a hint: the hint, whether it is a host port, and the classes whose exact
    instances pass without a closer look.
    """
    signature, hints = _hints(function)
    checks: dict[str, tuple[Any, bool, frozenset[type]]] = {}
    for name in list(signature.parameters)[1:]:
        hint = hints.get(name)
        if hint is None:
            continue
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            hint = dict[str, hint]  # type: ignore[valid-type]
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            hint = tuple[hint, ...]  # type: ignore[valid-type]
        try:
            plain = _plain_classes(hint)
        except TypeError:  # an unhashable hint: the full check handles it
            plain = frozenset()
        checks[name] = (hint, _is_protocol(hint), plain)
    return signature, checks


@functools.cache
def _plain_classes(hint: object) -> frozenset[type]:
    """The classes whose exact instances ``hint`` accepts without looking inside them."""
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return frozenset({hint})
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return frozenset(
            a for a in typing.get_args(hint) if isinstance(a, type) and typing.get_origin(a) is None
        )
    return frozenset()


_CHECKED_DEPTH = 4


def _check_storable(path: str, value: object, depth: int = 0) -> None:
    """Refuse text no database stores (NUL, lone surrogates) in an argument or its items.

    Such text used as an id would reach a lookup, where SQLite raises ``UnicodeEncodeError``
    and PostgreSQL refuses it; model objects check their own fields, and so do the commands
    for what lies deeper than a few levels of nesting.

    Raises:
        ValidationError: Naming the argument (with ``[i]`` or ``[key]`` for an item).
    """
    if isinstance(value, str):
        v.storable_text(path, value)
    elif depth >= _CHECKED_DEPTH:
        return
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _check_storable(f"{path}[{index}]", item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(f"{path}[{key!r}]", key, depth + 1)
            _check_storable(f"{path}[{key!r}]", item, depth + 1)


def _check_port(name: str, value: object, hint: object) -> None:
    """Refuse a host port argument that lacks the port's methods (or a callable that is not one).

    Raises:
        ValidationError: Naming the argument and the missing methods.
    """
    if typing.get_origin(hint) is Callable or hint is Callable:
        if not callable(value):
            raise ValidationError.single(name, value, "must be callable")
        return
    members = sorted(
        member
        for base in getattr(hint, "__mro__", ())
        if base not in (typing.Protocol, typing.Generic, object)
        for member in vars(base)
        if not member.startswith("_")
    )
    missing = [member for member in members if not hasattr(value, member)]
    if missing:
        port = getattr(hint, "__name__", str(hint))
        raise ValidationError.single(
            name, value, f"must be a {port} (it lacks {', '.join(missing)})"
        )


def _is_protocol(hint: object) -> bool:
    return bool(getattr(hint, "_is_protocol", False)) or typing.get_origin(hint) is Callable


def _describe(hint: object) -> str:
    """``servicecore.model.enums.ServiceType | None`` -> ``ServiceType | None``."""
    text = hint.__name__ if isinstance(hint, type) and not typing.get_args(hint) else str(hint)
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", text)


class BookingCommands(_Group):
    """Bookings (seeds 000, 003): slots, booking, confirmation, changes, payment, check-in."""

    available_slots = _Bound(bookings.available_slots)
    book = _Bound(bookings.book)
    confirm_booking = _Bound(bookings.confirm_booking)
    reschedule_booking = _Bound(bookings.reschedule_booking)
    cancel_booking = _Bound(bookings.cancel_booking)
    record_payment = _Bound(bookings.record_payment)
    record_refund = _Bound(bookings.record_refund)
    check_in = _Bound(bookings.check_in)
    complete_booking = _Bound(bookings.complete_booking)
    mark_no_show = _Bound(bookings.mark_no_show)


class RequestCommands(_Group):
    """Service requests (seeds 001, 004): opening, holds, consults, cancelling, the SLA."""

    open_request = _Bound(requests.open_request)
    hold_request = _Bound(requests.hold_request)
    resume_request = _Bound(requests.resume_request)
    close_consult = _Bound(requests.close_consult)
    cancel_request = _Bound(requests.cancel_request)
    reopen_request = _Bound(requests.reopen_request)
    regrade_request = _Bound(requests.regrade_request)
    sla_report = _Bound(requests.sla_report)
    service_log = _Bound(request_log.service_log)


class DispatchCommands(_Group):
    """Dispatch orders (seed 004): assigning, planning a day, the technician's answers."""

    assign = _Bound(dispatch.assign)
    assign_account_specialist = _Bound(dispatch.assign_account_specialist)
    assign_from_plan = _Bound(dispatch.assign_from_plan)
    plan_day = _Bound(planning.plan_day)
    accept_dispatch = _Bound(dispatch.accept_dispatch)
    reject_dispatch = _Bound(dispatch.reject_dispatch)
    revoke_dispatch = _Bound(dispatch.revoke_dispatch)
    adjust_dispatch = _Bound(dispatch.adjust_dispatch)
    start_dispatch = _Bound(dispatch.start_dispatch)
    complete_dispatch = _Bound(dispatch.complete_dispatch)


class TechnicianCommands(_Group):
    """Technicians' absences (leave, sick days, public holidays) and agendas."""

    record_absence = _Bound(technicians.record_absence)
    cancel_absence = _Bound(technicians.cancel_absence)
    technician_agenda = _Bound(technicians.technician_agenda)


class WorkCommands(_Group):
    """Processing, evidence, closure, surveys and knowledge (seeds 001, 004)."""

    record_processing = _Bound(work.record_processing)
    answer_checklist = _Bound(work.answer_checklist)
    complete_processing = _Bound(work.complete_processing)
    reopen_processing = _Bound(work.reopen_processing)
    cancel_processing = _Bound(work.cancel_processing)
    record_loaner_return = _Bound(work.record_loaner_return)
    add_evidence = _Bound(work.add_evidence)
    close_request = _Bound(work.close_request)
    record_survey = _Bound(work.record_survey)
    publish_knowledge = _Bound(work.publish_knowledge)
    edit_knowledge = _Bound(articles.edit_knowledge)
    submit_knowledge = _Bound(articles.submit_knowledge)
    review_knowledge = _Bound(articles.review_knowledge)
    retire_knowledge = _Bound(articles.retire_knowledge)
    suggest_solutions = _Bound(work.suggest_solutions)


class InstalledBaseCommands(_Group):
    """Product archives (产品档案): registering, invalidating, finding, coverage."""

    register_archive = _Bound(installed_base.register_archive)
    register_from_shipment = _Bound(installed_base.register_from_shipment)
    invalidate_archive = _Bound(installed_base.invalidate_archive)
    archives_by_serial = _Bound(installed_base.archives_by_serial)
    archives_of_customer = _Bound(installed_base.archives_of_customer)
    archives_of_product = _Bound(installed_base.archives_of_product)
    set_archive_parent = _Bound(installed_base.set_archive_parent)
    units_of = _Bound(installed_base.units_of)
    archives_at_site = _Bound(installed_base.archives_at_site)
    attach_document = _Bound(documents.attach_document)
    withdraw_document = _Bound(documents.withdraw_document)
    documents_for_request = _Bound(documents.documents_for_request)
    coverage = _Bound(installed_base.coverage)


class ContractCommands(_Group):
    """Service contracts (服务合同): creating, activating, extending, terminating."""

    create_contract = _Bound(contracts.create_contract)
    activate_contract = _Bound(contracts.activate_contract)
    extend_contract = _Bound(contracts.extend_contract)
    terminate_contract = _Bound(contracts.terminate_contract)
    contracts_of_customer = _Bound(contracts.contracts_of_customer)


class QuoteCommands(_Group):
    """Service quotes (服务报价): versions, issue, change, accept, reject, void; price history."""

    draft_quote = _Bound(quotes.draft_quote)
    edit_quote = _Bound(quotes.edit_quote)
    issue_quote = _Bound(quotes.issue_quote)
    change_quote = _Bound(quotes.change_quote)
    reject_quote = _Bound(quotes.reject_quote)
    void_quote = _Bound(quotes.void_quote)
    accept_quote = _Bound(quotes.accept_quote)
    quote_version = _Bound(quotes.quote_version)
    price_history = _Bound(quotes.price_history)
    quote_context = _Bound(quotes.quote_context)


class PartsCommands(_Group):
    """Spare parts: requisitions, returns, transfers, plans and demand."""

    requisition_parts = _Bound(parts.requisition_parts)
    issue_requisition = _Bound(parts.issue_requisition)
    return_parts = _Bound(parts.return_parts)
    cancel_requisition = _Bound(parts.cancel_requisition)
    plan_spare_parts = _Bound(parts.plan_spare_parts)
    save_spare_part_plan = _Bound(parts.save_spare_part_plan)
    approve_spare_part_plan = _Bound(parts.approve_spare_part_plan)
    close_spare_part_plan = _Bound(parts.close_spare_part_plan)
    transfers_for_plan = _Bound(parts.transfers_for_plan)
    dispatch_transfer = _Bound(parts.dispatch_transfer)
    receive_transfer = _Bound(parts.receive_transfer)
    cancel_transfer = _Bound(parts.cancel_transfer)
    parts_demand = _Bound(parts.parts_demand)
    claim_returned_parts = _Bound(claims.claim_returned_parts)
    submit_claim = _Bound(claims.submit_claim)
    answer_claim = _Bound(claims.answer_claim)
    settle_claim = _Bound(claims.settle_claim)
    claims_of_supplier = _Bound(claims.claims_of_supplier)


class CareCommands(_Group):
    """Customer care (客户关怀): plans, execution, tasks, costs, closing."""

    plan_care = _Bound(care.plan_care)
    activate_care = _Bound(care.activate_care)
    invalidate_care = _Bound(care.invalidate_care)
    execute_care = _Bound(care.execute_care)
    complete_care_task = _Bound(care.complete_care_task)
    record_care_cost = _Bound(care.record_care_cost)
    close_care = _Bound(care.close_care)


class Jobs(_Group):
    """The scheduled jobs: one shape (``desk.jobs.name(actor, ...)``), each idempotent."""

    run_alerts = _Bound(alerts.run_alerts)
    generate_maintenance_requests = _Bound(maintenance.generate_maintenance_requests)
    expire_quotes = _Bound(quotes.expire_quotes)
    expire_contracts = _Bound(contracts.expire_contracts)
    deliver_outbox = _Bound(outbox.deliver_outbox)
    list_parked_events = _Bound(outbox.list_parked_events)
    retry_parked_events = _Bound(outbox.retry_parked_events)


class ServiceDesk:
    """The service engine for one tenant, with its ports wired.

    Commands are grouped by subject: :attr:`bookings`, :attr:`requests`, :attr:`dispatch`,
    :attr:`technicians`, :attr:`work`, :attr:`installed_base`, :attr:`contracts`,
    :attr:`quotes`, :attr:`parts`, :attr:`care` and :attr:`jobs`. Each method takes the acting
    :class:`~servicecore.Actor` first, then the command's own arguments, and raises what the
    command raises; a call the command could not take (a missing, unknown or mistyped
    argument) is refused with a :class:`~servicecore.errors.ValidationError` naming the
    argument before anything runs.

    Args:
        storage: Where records live.
        tenant: The company this desk serves.
        clock: Where "now" comes from (the system clock by default).
        settings: Policy, ids, signer, evidence store, closure policy, default SLA and currency
            shared by every command (defaults: the default role-and-ownership policy, UUIDs, no
            signer, no evidence store, no photos required, no default SLA, EUR).

    Raises:
        ValidationError: ``tenant`` is not an id, or ``settings`` is not a DeskSettings.
    """

    def __init__(
        self,
        storage: Storage,
        tenant: str,
        *,
        clock: Clock | None = None,
        settings: DeskSettings | None = None,
    ) -> None:
        if settings is not None and not isinstance(settings, DeskSettings):
            raise ValidationError.single("settings", settings, "must be a DeskSettings")
        storage.unit_of_work(tenant).rollback()  # the storage checks the tenant id
        self.storage = storage
        self.tenant = tenant
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or DeskSettings()
        self.bookings = BookingCommands(self)
        self.requests = RequestCommands(self)
        self.dispatch = DispatchCommands(self)
        self.technicians = TechnicianCommands(self)
        self.work = WorkCommands(self)
        self.installed_base = InstalledBaseCommands(self)
        self.contracts = ContractCommands(self)
        self.quotes = QuoteCommands(self)
        self.parts = PartsCommands(self)
        self.care = CareCommands(self)
        self.jobs = Jobs(self)

    GROUPS: typing.ClassVar[tuple[tuple[str, type[_Group]], ...]] = (
        ("bookings", BookingCommands),
        ("requests", RequestCommands),
        ("dispatch", DispatchCommands),
        ("technicians", TechnicianCommands),
        ("work", WorkCommands),
        ("installed_base", InstalledBaseCommands),
        ("contracts", ContractCommands),
        ("quotes", QuoteCommands),
        ("parts", PartsCommands),
        ("care", CareCommands),
        ("jobs", Jobs),
    )
    """The desk's groups by attribute name, in the order of the documentation."""

    def run(
        self,
        command: Callable[Concatenate[CommandContext, P], T],
        actor: Actor,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a registered command (or read) with the desk's settings in its own unit of work.

        Commands commit when they return; reads never commit. Host-defined commands run here
        too once registered with :func:`~servicecore.services.context.command`, so they get the
        desk's policy, ids and stores like servicecore's own.

        Raises:
            ValidationError: ``command`` is not registered, or the call does not fit its
                signature (naming the argument).
            Whatever the command raises, and what the commit raises (``ConcurrencyError``,
            ``DoubleBooking``...); nothing is written then.
        """
        info = command_info(command)
        if info.kind == "job":
            raise ValidationError.single("command", info.name, "is a job: run it from desk.jobs")
        _check_arguments(command, actor, args, kwargs)
        with self.storage.unit_of_work(self.tenant) as uow:
            result = command(CommandContext(uow, actor, self.clock, self.settings), *args, **kwargs)
            if info.kind == "command":
                uow.commit()
                if _log.isEnabledFor(logging.DEBUG):
                    _log.debug(
                        "%s committed",
                        info.name,
                        extra={"tenant": self.tenant, "command": info.name, "actor": actor.id},
                    )
        return result
