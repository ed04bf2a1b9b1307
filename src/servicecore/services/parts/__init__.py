"""Spare parts (seed 004): requisitions, returned parts, spare-part plans, transfers and demand.

One module per subject, every public name re-exported here:

* :mod:`~servicecore.services.parts.requisitions`: a **requisition** (配件申领) asks the
  warehouse for parts for a request still open for work; issuing it and booking returned parts
  move stock through the host's :class:`~servicecore.ports.Inventory`.
* :mod:`~servicecore.services.parts.plans`: a **spare-part plan** (备件计划) says how many of
  which part a service warehouse should hold by when, computed from the installed base, the
  maintenance visits expected and the failure history.
* :mod:`~servicecore.services.parts.transfers`: an approved plan is **pushed down** (下推) into
  transfer requests (配件调拨申请) for what the service warehouse lacks, then dispatched and
  received.
* :mod:`~servicecore.services.parts.demand`: what bookings and open requests will need.

The forecasting arithmetic itself is :mod:`servicecore.model.forecast`.

Requisition commands check the policy under the command name ``"requisition_parts"``, plan and
transfer commands under ``"plan_parts"``; they never commit.
Stock movements are made in the ERP while the command runs, after the lifecycle's checks passed
and before its audit entry is appended: when one of several movements fails (or the entry cannot
be appended), those already made are reversed under the same reference before the error is
raised, so a refused command leaves neither servicecore nor the ERP changed. The movements are
not undone if the caller later fails to commit (e.g. a concurrent change of the same record):
hosts may use the movement's ``reference`` to reconcile.
"""

from __future__ import annotations

from servicecore.model.forecast import FAILURE_TYPES
from servicecore.services.parts.demand import DemandLine, parts_demand
from servicecore.services.parts.plans import (
    PLAN_COMMAND,
    approve_spare_part_plan,
    close_spare_part_plan,
    plan_spare_parts,
    save_spare_part_plan,
)
from servicecore.services.parts.requisitions import (
    COMMAND,
    cancel_requisition,
    issue_requisition,
    requisition_parts,
    return_parts,
)
from servicecore.services.parts.transfers import (
    cancel_transfer,
    dispatch_transfer,
    receive_transfer,
    transfers_for_plan,
)

__all__ = [
    "COMMAND",
    "FAILURE_TYPES",
    "PLAN_COMMAND",
    "DemandLine",
    "approve_spare_part_plan",
    "cancel_requisition",
    "cancel_transfer",
    "close_spare_part_plan",
    "dispatch_transfer",
    "issue_requisition",
    "parts_demand",
    "plan_spare_parts",
    "receive_transfer",
    "requisition_parts",
    "return_parts",
    "save_spare_part_plan",
    "transfers_for_plan",
]
