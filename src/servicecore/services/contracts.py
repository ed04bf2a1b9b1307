"""Service contracts (seed 004, 服务合同): draft, activate, extend, expire, terminate, coverage.

A contract covers some of a customer's registered products for a period, with SLA and penalty
terms and preventive-maintenance plans (see :mod:`servicecore.services.maintenance`). Extending
keeps every earlier end date in :attr:`~servicecore.model.contract.ServiceContract.extensions`;
:func:`expire_contracts` is run by the clock.

Commands check the policy command ``manage_contracts``; the expiry job checks
``expire_contracts`` (see :data:`~servicecore.services.permissions.DEFAULT_RULES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from servicecore.errors import ValidationError
from servicecore.lifecycle import CONTRACT
from servicecore.model.actor import SYSTEM, Actor
from servicecore.model.archive import ArchiveStatus
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.common import ContractId
from servicecore.model.contract import ContractStatus, PenaltyTerm, ServiceContract, SlaTerm
from servicecore.model.maintenance import MaintenancePlan
from servicecore.model.request import ServiceRequest
from servicecore.ports import Clock, IdGenerator, Query, UnitOfWork
from servicecore.services.common import DEFAULT_IDS, context, event
from servicecore.services.permissions import DEFAULT_POLICY, Policy

__all__ = [
    "activate_contract",
    "contracts_of_customer",
    "covers_request",
    "create_contract",
    "expire_contracts",
    "extend_contract",
    "terminate_contract",
]


def create_contract(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    *,
    customer_id: str,
    archive_ids: Sequence[str],
    start: date,
    end: date,
    calendar: WorkingCalendar,
    sla_terms: Sequence[SlaTerm] = (),
    penalty_terms: Sequence[PenaltyTerm] = (),
    maintenance_plans: Sequence[MaintenancePlan] = (),
    contract_id: str | None = None,
    policy: Policy = DEFAULT_POLICY,
    ids: IdGenerator = DEFAULT_IDS,
) -> ServiceContract:
    """Create a draft contract over some of the customer's products.

    Raises:
        PermissionDenied: The actor may not manage contracts.
        NotFound: A product does not exist.
        ValidationError: A bad field (see :class:`~servicecore.model.contract.ServiceContract`);
            a product of another customer or invalidated (``archive_ids[i]``).
        DuplicateId: ``contract_id`` is taken (at the write or at commit).
    """
    policy.check(actor, "manage_contracts")
    contract = ServiceContract(
        id=ContractId(contract_id or ids.new_id("ServiceContract")),
        customer_id=customer_id,  # type: ignore[arg-type]
        archive_ids=tuple(archive_ids),  # type: ignore[arg-type]
        start=start,
        end=end,
        calendar=calendar,
        sla_terms=tuple(sla_terms),
        penalty_terms=tuple(penalty_terms),
        maintenance_plans=tuple(maintenance_plans),
    )
    for i, archive_id in enumerate(contract.archive_ids):
        archive = uow.archives.get(archive_id)
        if archive.customer_id != customer_id:
            raise ValidationError.single(
                f"archive_ids[{i}]", archive_id, f"belongs to customer {archive.customer_id}"
            )
        if archive.status is ArchiveStatus.INVALIDATED:
            raise ValidationError.single(f"archive_ids[{i}]", archive_id, "is invalidated")
    CONTRACT.create(contract, context(actor, clock), uow.audit)
    uow.contracts.add(contract)
    event(uow, ids, clock, "ContractCreated", contract, {"customer_id": customer_id})
    return contract


def _fire(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    contract_id: str,
    trigger: str,
    name: str,
    *,
    reason: str = "",
    facts: dict[str, object] | None = None,
    payload: dict[str, object] | None = None,
    command: str = "manage_contracts",
    policy: Policy,
    ids: IdGenerator,
) -> ServiceContract:
    contract = uow.contracts.get(contract_id)
    policy.check(actor, command, contract)
    ctx = context(actor, clock, reason=reason, facts=facts, payload=payload)
    CONTRACT.fire(contract, trigger, ctx, uow.audit)
    uow.contracts.update(contract)
    event(uow, ids, clock, name, contract, {"end": contract.end, "reason": reason})
    return contract


def activate_contract(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    contract_id: str,
    *,
    policy: Policy = DEFAULT_POLICY,
    ids: IdGenerator = DEFAULT_IDS,
) -> ServiceContract:
    """Activate a signed draft: from now on it covers its products and its terms apply.

    Raises:
        NotFound: No such contract.
        PermissionDenied: The actor may not manage contracts.
        InvalidTransition: It is not a draft.
        TransitionRefused: Its period is already over.
    """
    return _fire(
        uow, actor, clock, contract_id, "activate", "ContractActivated", policy=policy, ids=ids
    )


def extend_contract(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    contract_id: str,
    new_end: date,
    reason: str,
    *,
    policy: Policy = DEFAULT_POLICY,
    ids: IdGenerator = DEFAULT_IDS,
) -> ServiceContract:
    """Move an active (or renew an expired) contract's end to ``new_end``; the old end is kept.

    Raises:
        NotFound: No such contract.
        PermissionDenied: The actor may not manage contracts.
        InvalidTransition: It is a draft or terminated.
        TransitionRefused: ``new_end`` is not after the current end or already past, or no
            reason is given.
    """
    return _fire(
        uow,
        actor,
        clock,
        contract_id,
        "extend",
        "ContractExtended",
        reason=reason,
        facts={"new_end": new_end},
        payload={"new_end": new_end.isoformat()},
        policy=policy,
        ids=ids,
    )


def terminate_contract(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    contract_id: str,
    reason: str,
    *,
    policy: Policy = DEFAULT_POLICY,
    ids: IdGenerator = DEFAULT_IDS,
) -> ServiceContract:
    """End a draft or active contract early.

    Raises:
        NotFound: No such contract.
        PermissionDenied: The actor may not manage contracts.
        InvalidTransition: It already expired or was terminated.
        TransitionRefused: No reason given.
    """
    return _fire(
        uow,
        actor,
        clock,
        contract_id,
        "terminate",
        "ContractTerminated",
        reason=reason,
        policy=policy,
        ids=ids,
    )


def expire_contracts(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor = SYSTEM,
    policy: Policy = DEFAULT_POLICY,
    ids: IdGenerator = DEFAULT_IDS,
) -> list[ServiceContract]:
    """Expire every active contract whose end date has passed, in this one unit of work.

    "Passed" is read in each contract's calendar timezone. Run it from a scheduler; a second run
    finds nothing left to do.

    Returns:
        The contracts expired now, by id.

    Raises:
        PermissionDenied: The actor may not expire contracts.
    """
    policy.check(actor, "expire_contracts")
    now = clock.now()
    # The widest timezone is a day ahead of UTC; each contract is then checked in its own.
    candidates = uow.contracts.iterate(
        Query(
            equals={"status": ContractStatus.ACTIVE.value},
            before={"end": now.date() + timedelta(days=1)},
        )
    )
    expired: list[ServiceContract] = []
    for contract in candidates:
        if now.astimezone(contract.calendar.zone).date() > contract.end:
            expired.append(contract)
    for contract in expired:
        CONTRACT.fire(contract, "expire", context(actor, clock), uow.audit)
        uow.contracts.update(contract)
        event(uow, ids, clock, "ContractExpired", contract, {"end": contract.end})
    return expired


def covers_request(uow: UnitOfWork, request: ServiceRequest) -> bool:
    """Whether the request's contract covers it on the day it was reported.

    The contract must be active, belong to the request's customer, include the reporting day (in
    the contract's calendar timezone) and, for work on a product, list that product. A request
    without a contract is not covered.

    Raises:
        NotFound: The request names a contract that does not exist.
    """
    if request.contract_id is None:
        return False
    contract = uow.contracts.get(request.contract_id)
    if contract.customer_id != request.customer_id:
        return False
    day = request.reported_at.astimezone(contract.calendar.zone).date()
    if request.archive_id is None:
        return contract.status is ContractStatus.ACTIVE and contract.start <= day <= contract.end
    return contract.covers(request.archive_id, day)


def contracts_of_customer(
    uow: UnitOfWork, customer_id: str, *, status: ContractStatus | None = None
) -> list[ServiceContract]:
    """Return the customer's contracts (only those in ``status`` if given), by id."""
    equals: dict[str, object] = {"customer_id": customer_id}
    if status is not None:
        equals["status"] = status.value
    return list(uow.contracts.iterate(Query(equals=equals)))
