"""SLA penalties incurred and at stake: the database narrows, the SLA model prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from servicecore.model.enums import Priority
from servicecore.model.sla import sla_outcome
from servicecore.reports import queries
from servicecore.reports.port import ReportingBackend, check_as_of
from servicecore.reports.queries import SlaTargetStatus
from servicecore.reports.report import Report

__all__ = ["SlaPenaltyRow", "sla_penalties"]

_PRIORITY_ORDER = {p: i for i, p in enumerate(Priority)}


@attrs.frozen
class SlaPenaltyRow:
    """SLA penalties of one contract and priority at a moment.

    Attributes:
        contract_id: The contract.
        priority: The requests' priority.
        currency: The currency of the contract's penalty term for the priority, ``None`` when
            lateness at this priority is not penalised.
        targets_met: Targets met (judged on the stored due times).
        targets_breached: Targets breached (judged on the stored due times).
        requests_breached: Requests with at least one breached target.
        incurred: The penalties of those requests, priced by
            :func:`servicecore.model.sla.sla_outcome` in working time on the contract's
            calendar (0 when not penalised).
        avoided: At stake for the targets met: for each, what one started hour late would
            have cost (the term's ``per_started_hour``; 0 when not penalised).
    """

    contract_id: str
    priority: Priority
    currency: str | None
    targets_met: int
    targets_breached: int
    requests_breached: int
    incurred: Decimal
    avoided: Decimal


def sla_penalties(backend: ReportingBackend, tenant: str, as_of: datetime) -> Report[SlaPenaltyRow]:
    """SLA penalties incurred and avoided per contract and priority, at ``as_of``.

    Computed where: the database counts the targets met and breached per contract and priority
    (on the stored due times, as :func:`~servicecore.reports.standard.sla_compliance` does) and
    selects the requests with a breached target - a handful compared with all requests. Only
    those are read; with their contracts (the hold periods are kept on the request) each is
    priced in Python by :func:`servicecore.model.sla.sla_outcome`, in working time on the contract's
    calendar, which no database can compute. Requests without a contract are left out.

    Returns:
        Rows ordered by contract id and priority (most urgent first).

    Raises:
        ValidationError: ``as_of`` is not an aware datetime.
        NotFound: A breached request's contract has no SLA term for its priority.
    """
    at = check_as_of(as_of)
    met: dict[tuple[str, Priority], int] = {}
    breached: dict[tuple[str, Priority], int] = {}
    for row in queries.sla_contract_counts(backend, tenant, at):
        key = (row.contract_id, row.priority)
        if row.status is SlaTargetStatus.MET:
            met[key] = met.get(key, 0) + row.count
        elif row.status is SlaTargetStatus.BREACHED:
            breached[key] = breached.get(key, 0) + row.count
    requests = queries.sla_breached(backend, tenant, at)
    contract_ids = sorted({str(r.contract_id) for r in requests} | {c for c, _ in met})
    contracts = {str(c.id): c for c in queries.contracts(backend, tenant, contract_ids)}
    incurred: dict[tuple[str, Priority], Decimal] = {}
    late: dict[tuple[str, Priority], int] = {}
    for request in requests:
        key = (str(request.contract_id), request.priority)
        late[key] = late.get(key, 0) + 1
        contract = contracts.get(key[0])
        if contract is None or contract.penalty_for(request.priority) is None:
            continue
        outcome = sla_outcome(request, contract, at)
        if outcome.penalty is not None:  # a penalty term prices this priority's lateness
            incurred[key] = incurred.get(key, Decimal(0)) + outcome.penalty.amount
    rows = []
    for key in set(met) | set(breached) | set(late):
        contract = contracts.get(key[0])
        term = None if contract is None else contract.penalty_for(key[1])
        rows.append(
            SlaPenaltyRow(
                contract_id=key[0],
                priority=key[1],
                currency=None if term is None else term.cap.currency,
                targets_met=met.get(key, 0),
                targets_breached=breached.get(key, 0),
                requests_breached=late.get(key, 0),
                incurred=incurred.get(key, Decimal(0)),
                avoided=(
                    Decimal(0) if term is None else term.per_started_hour.amount * met.get(key, 0)
                ),
            )
        )
    rows.sort(key=lambda r: (r.contract_id, _PRIORITY_ORDER[r.priority]))
    return Report.of("SLA penalties incurred and avoided", SlaPenaltyRow, rows)
