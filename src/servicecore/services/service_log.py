"""The service log of a request (服务日志, seed 004): its whole story in one list.

Seed 004 asks to trace a request from registration through assignment and processing to
closure in one place. :func:`service_log` merges the audit trails of the request, of its
dispatch orders and of their processing orders, the evidence taken and the surveys answered, in
the order things happened, each entry with the facts recorded on its record in readable form:
the technician and planned time of a dispatch order, the hours, parts, returned parts, loaners
and solution of a processing order, the kind of a photo, the score of a survey.

A request's grade is told as it was at each step: its creation shows the grade it was opened
with, and a re-grade the old and new value of each field it changed (priority, service type,
required skills, due times), from the values kept on their audit entries. Trails written before
audit entries kept their payloads tell only what can be known: the creation's grade is walked
back from the record through the re-grades' old values, as far as they go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from functools import partial
from types import MappingProxyType
from typing import Any

import attrs

from servicecore.model.audit import AuditEntry
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.evidence import Evidence
from servicecore.model.processing import ProcessingOrder
from servicecore.model.request import ServiceRequest
from servicecore.model.survey import SurveyResult
from servicecore.ports import Query
from servicecore.services.context import CommandContext, query
from servicecore.services.dispatch import processing_of
from servicecore.services.requests import dispatches_of

__all__ = ["LogEntry", "service_log"]

# One command may change several records at one instant (assigning creates a dispatch order,
# then moves the request); this order tells such steps as they happen.
_KINDS = ("DispatchOrder", "ProcessingOrder", "ServiceRequest", "Evidence", "SurveyResult")


@attrs.frozen(kw_only=True)
class LogEntry:
    """One step of a request's story.

    Attributes:
        at: When it happened.
        entity_kind: The record it happened to: ``"ServiceRequest"``, ``"DispatchOrder"``,
            ``"ProcessingOrder"``, ``"Evidence"`` or ``"SurveyResult"``.
        entity_id: That record's id.
        step: The lifecycle trigger (``"create"``, ``"assign"``, ``"complete"``, ...), or
            ``"evidence"`` / ``"survey"``.
        from_state: The record's state before (empty for evidence and surveys, and on create).
        to_state: Its state after.
        actor_id: Who did it.
        reason: The reason given, if any.
        details: The facts of the step, readable: for a dispatch order its technician and
            planned time, for a processing order its hours, parts, returned parts, loaners and
            solution (as the record holds them now); for the request's creation its customer,
            symptoms and the grade it was opened with (``priority``, ``service_type``,
            ``required_skills``, ``response_due``, ``resolution_due``, each as far as the trail
            tells it); for a re-grade ``(old, new)`` per field it changed (empty for one written
            before audit entries kept their payloads).
        seq: The step's number in its record's audit trail (0 for evidence and surveys).
    """

    at: datetime
    entity_kind: str
    entity_id: str
    step: str
    from_state: str
    to_state: str
    actor_id: str
    reason: str
    details: Mapping[str, Any]
    seq: int


_GRADE = ("service_type", "priority", "required_skills", "response_due", "resolution_due")
_DUE_TIMES = ("response_due", "resolution_due")


def _plain(name: str, value: object) -> object:
    """A grade value as the log shows it, read off the record or off a kept payload."""
    if isinstance(value, Enum):
        return value.value
    if name == "required_skills" and isinstance(value, list | tuple):
        return tuple(value)
    if name in _DUE_TIMES and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _changes(entry: AuditEntry) -> dict[str, tuple[object, object]]:
    """``(old, new)`` per field a re-grade changed; empty when its payload was not kept."""
    payload = entry.payload or {}
    return {
        name: (_plain(name, change.get("from")), _plain(name, change.get("to")))
        for name in _GRADE
        if isinstance(change := payload.get(name), dict)
    }


def _opening_grade(request: ServiceRequest, trail: Sequence[AuditEntry]) -> dict[str, object]:
    """The grade the request was opened with, as far as its trail tells it."""
    known = {name: _plain(name, getattr(request, name)) for name in _GRADE}
    for entry in reversed(trail[1:]):
        if entry.trigger == "regrade":
            if entry.payload is None:
                # Written before re-grades kept their values: what it changed is not known.
                known.clear()
            for name, (old, _new) in _changes(entry).items():
                known[name] = old
        elif entry.trigger == "resume":
            # Resuming moves the due times without recording from what.
            for name in _DUE_TIMES:
                known.pop(name, None)
    opened = trail[0].payload if trail and trail[0].trigger == "create" else None
    for name in _GRADE:
        if opened is not None and name in opened:
            known[name] = _plain(name, opened[name])
    return {name: known[name] for name in _GRADE if name in known}


def _request_details(
    request: ServiceRequest, entry: AuditEntry, *, trail: Sequence[AuditEntry]
) -> dict[str, Any]:
    if entry.trigger == "create":
        return {
            "customer_id": request.customer_id,
            "symptoms": request.symptoms,
            **_opening_grade(request, trail),
        }
    if entry.trigger == "regrade":
        return _changes(entry)
    if entry.trigger == "close" and request.closure is not None:
        return {"summary": request.closure.summary}
    return {}


def _dispatch_details(order: DispatchOrder, _entry: AuditEntry) -> dict[str, Any]:
    return {
        "technician_id": order.technician_id,
        "planned_start": order.planned.start,
        "planned_end": order.planned.end,
    }


def _processing_details(order: ProcessingOrder, entry: AuditEntry) -> dict[str, Any]:
    if entry.trigger not in ("complete", "create"):
        return {}
    return {
        "dispatch_id": order.dispatch_id,
        "labour_hours": order.labour_hours,
        "solution_type": None if order.solution_type is None else order.solution_type.value,
        "solution_text": order.solution_text,
        "fault_cause": order.fault_cause,
        "in_warranty": order.in_warranty,
        "parts_used": [
            {"part_code": p.part_code, "quantity": p.quantity, "charged": p.charged}
            for p in order.parts_used
        ],
        "returned_parts": [
            {"part_code": p.part_code, "quantity": p.quantity, "condition": p.condition}
            for p in order.returned_parts
        ],
        "loaners": [
            {"item_code": x.item_code, "out_at": x.out_at, "back_at": x.back_at}
            for x in order.loaners
        ],
    }


@query("view_service_log")
def service_log(cx: CommandContext, /, request_id: str) -> tuple[LogEntry, ...]:
    """Return the service log of a request: every step of it and its work, oldest first.

    Steps at the same instant (one command changing several records: assigning creates a
    dispatch order, then moves the request) are ordered dispatch order, processing order,
    request, evidence, survey, then by record id and their order in the trail.

    Raises:
        NotFound: No such request.
        PermissionDenied: The actor may not read service logs (``view_service_log``; a
            technician only of requests they work on).
    """
    request = cx.uow.requests.get(request_id)
    cx.check("view_service_log", request)
    entries: list[LogEntry] = []

    def add_trail(
        kind: str, entity_id: str, details: Callable[[AuditEntry], Mapping[str, Any]]
    ) -> None:
        for e in cx.uow.audit.entries(kind, entity_id):
            entries.append(
                LogEntry(
                    at=e.at,
                    entity_kind=kind,
                    entity_id=entity_id,
                    step=e.trigger,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    actor_id=e.actor_id,
                    reason=e.reason,
                    details=MappingProxyType(dict(details(e))),
                    seq=e.seq,
                )
            )

    trail = cx.uow.audit.entries("ServiceRequest", request.id)
    add_trail("ServiceRequest", request.id, partial(_request_details, request, trail=trail))
    for order in dispatches_of(cx.uow, request.id):
        add_trail("DispatchOrder", order.id, partial(_dispatch_details, order))
    for work in processing_of(cx.uow, request.id):
        add_trail("ProcessingOrder", work.id, partial(_processing_details, work))
    photo: Evidence
    for photo in cx.uow.evidence.iterate(Query(equals={"request_id": request.id})):
        entries.append(
            LogEntry(
                at=photo.taken_at,
                entity_kind="Evidence",
                entity_id=photo.id,
                step="evidence",
                from_state="",
                to_state="",
                actor_id=photo.taken_by,
                reason="",
                details=MappingProxyType({"kind": photo.kind.value, "uri": photo.uri}),
                seq=0,
            )
        )
    survey: SurveyResult
    for survey in cx.uow.surveys.iterate(Query(equals={"request_id": request.id})):
        entries.append(
            LogEntry(
                at=survey.answered_at,
                entity_kind="SurveyResult",
                entity_id=survey.id,
                step="survey",
                from_state="",
                to_state="",
                actor_id=str(request.customer_id),
                reason="",
                details=MappingProxyType(
                    {
                        "score": survey.score,
                        "comment": survey.comment,
                        "technician_id": survey.technician_id,
                    }
                ),
                seq=0,
            )
        )
    entries.sort(key=lambda e: (e.at, _KINDS.index(e.entity_kind), e.entity_id, e.seq))
    return tuple(entries)
