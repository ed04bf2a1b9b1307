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
from servicecore.lifecycle.facts import Facts
from servicecore.model.archive import ArchiveStatus
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.common import ContractId
from servicecore.model.contract import ContractStatus, PenaltyTerm, ServiceContract, SlaTerm
from servicecore.model.maintenance import MaintenancePlan
from servicecore.model.request import ServiceRequest
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import event, move
from servicecore.services.context import CommandContext, ExpiryRun, JobContext, command, job, query

__all__ = [
    "activate_contract",
    "contracts_of_customer",
    "covers_request",
    "create_contract",
    "expire_contracts",
    "extend_contract",
    "terminate_contract",
]


@command("manage_contracts")
def create_contract(
    cx: CommandContext,
    /,
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
) -> ServiceContract:
    """Create a draft contract over some of the customer's products.

    Raises:
        PermissionDenied: The actor may not manage contracts.
        NotFound: A product does not exist.
        ValidationError: A bad field (see :class:`~servicecore.model.contract.ServiceContract`);
            a product of another customer or invalidated (``archive_ids[i]``).
        DuplicateId: ``contract_id`` is taken (at the write or at commit).
    """
    contract = ServiceContract(
        id=ContractId(contract_id or cx.ids.new_id("ServiceContract")),
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
        archive = cx.uow.archives.get(archive_id)
        if archive.customer_id != customer_id:
            raise ValidationError.single(
                f"archive_ids[{i}]", archive_id, f"belongs to customer {archive.customer_id}"
            )
        if archive.status is ArchiveStatus.INVALIDATED:
            raise ValidationError.single(f"archive_ids[{i}]", archive_id, "is invalidated")
    cx.create(CONTRACT, contract)
    cx.uow.contracts.add(contract)
    event(cx, "ContractCreated", contract, {"customer_id": customer_id})
    return contract


def _fire(
    cx: CommandContext,
    contract_id: str,
    trigger: str,
    name: str,
    *,
    reason: str = "",
    given: Facts | None = None,
    payload: dict[str, object] | None = None,
) -> ServiceContract:
    changed: ServiceContract = move(
        cx,
        CONTRACT,
        contract_id,
        trigger,
        command="manage_contracts",
        event_name=name,
        reason=reason,
        given=given,
        payload=payload,
        event_payload=lambda c: {"end": c.end, "reason": reason},
    )
    return changed


@command("manage_contracts")
def activate_contract(
    cx: CommandContext,
    /,
    contract_id: str,
) -> ServiceContract:
    """Activate a signed draft: from now on it covers its products and its terms apply.

    Raises:
        NotFound: No such contract.
        PermissionDenied: The actor may not manage contracts.
        InvalidTransition: It is not a draft.
        TransitionRefused: Its period is already over.
    """
    return _fire(
        cx,
        contract_id,
        "activate",
        "ContractActivated",
    )


@command("manage_contracts")
def extend_contract(
    cx: CommandContext,
    /,
    contract_id: str,
    new_end: date,
    reason: str,
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
        cx,
        contract_id,
        "extend",
        "ContractExtended",
        reason=reason,
        given=Facts(new_end=new_end),
        payload={"new_end": new_end.isoformat()},
    )


@command("manage_contracts")
def terminate_contract(
    cx: CommandContext,
    /,
    contract_id: str,
    reason: str,
) -> ServiceContract:
    """End a draft or active contract early.

    Raises:
        NotFound: No such contract.
        PermissionDenied: The actor may not manage contracts.
        InvalidTransition: It already expired or was terminated.
        TransitionRefused: No reason given.
    """
    return _fire(
        cx,
        contract_id,
        "terminate",
        "ContractTerminated",
        reason=reason,
    )


@job("expire_contracts")
def expire_contracts(jx: JobContext, /) -> ExpiryRun:
    """Expire every active contract whose end date has passed.

    "Passed" is read in each contract's calendar timezone. Each contract commits in its own
    unit of work with its ``ContractExpired`` event, so a contract that another process changed
    meanwhile is skipped without holding back the others. Run it from a scheduler; a second run
    finds nothing left to do.

    Returns:
        The contracts expired now and those skipped, by id.

    Raises:
        PermissionDenied: The actor may not expire contracts.
    """
    now = jx.clock.now()
    # The widest timezone is a day ahead of UTC; each contract is then checked in its own.
    candidates = Query(
        equals={"status": ContractStatus.ACTIVE.value},
        before={"end": now.date() + timedelta(days=1)},
    )
    with jx.storage.unit_of_work(jx.tenant) as uow:
        found = [c.id for c in uow.contracts.iterate(candidates)]

    def expire(cx: CommandContext, contract_id: str) -> bool:
        contract = cx.uow.contracts.get(contract_id)
        if contract.status is not ContractStatus.ACTIVE or (
            now.astimezone(contract.calendar.zone).date() <= contract.end
        ):
            return False
        cx.fire(CONTRACT, contract, "expire")
        cx.uow.contracts.update(contract)
        event(cx, "ContractExpired", contract, {"end": contract.end})
        return True

    return jx.expire_each(found, expire)


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


@query("view_contracts")
def contracts_of_customer(
    cx: CommandContext, /, customer_id: str, *, status: ContractStatus | None = None
) -> list[ServiceContract]:
    """Return the customer's contracts (only those in ``status`` if given), by id."""
    equals: dict[str, object] = {"customer_id": customer_id}
    if status is not None:
        equals["status"] = status.value
    return list(cx.uow.contracts.iterate(Query(equals=equals)))
