"""Processing, evidence and closure (处理单, seed 001's photos before and after).

The technician records what was done on the dispatch order's processing order, adds evidence
(each photo stored through the :class:`~servicecore.ports.EvidenceStore` and its SHA-256 kept),
completes the processing and the dispatch; the request then closes only when the closure policy
holds. On close, the product archive's parts list follows the parts exchanged, and a
``RequestCompleted`` event carries what finance needs to invoice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from servicecore.errors import NotFound, ValidationError
from servicecore.knowledge import Suggestion, article_from_request, suggest
from servicecore.lifecycle import ARCHIVE, KNOWLEDGE, PROCESSING, REQUEST
from servicecore.lifecycle.facts import Facts
from servicecore.model.archive import ArchivePart, ArchiveStatus
from servicecore.model.common import EvidenceId, Money, RequestId, SurveyId
from servicecore.model.enums import EvidenceKind, SolutionType
from servicecore.model.evidence import Evidence
from servicecore.model.knowledge import KnowledgeArticle, KnowledgeStatus
from servicecore.model.processing import (
    ChecklistItem,
    PartUsage,
    ProcessingOrder,
    ProcessingStatus,
)
from servicecore.model.request import RequestStatus, ServiceRequest
from servicecore.model.survey import SurveyItem, SurveyResult
from servicecore.ports import Query, UnitOfWork
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command, query
from servicecore.services.dispatch import processing_of, resolve_if_done
from servicecore.services.requests import outcome_of

__all__ = [
    "add_evidence",
    "answer_checklist",
    "cancel_processing",
    "close_request",
    "complete_processing",
    "evidence_of",
    "invoice_payload",
    "publish_knowledge",
    "record_loaner_return",
    "record_processing",
    "record_survey",
    "reopen_processing",
    "suggest_solutions",
]


def evidence_of(uow: UnitOfWork, request_id: str) -> list[Evidence]:
    """Return every piece of evidence of a request."""
    return list(uow.evidence.iterate(Query(equals={"request_id": request_id})))


@command("record_processing")
def record_processing(
    cx: CommandContext,
    /,
    processing_id: str,
    changes: Mapping[str, Any],
) -> ProcessingOrder:
    """Record work on an open processing order (``changes``: field name -> new value).

    Recordable: hours, parts used and returned, loaners, income and cost lines, solution type and
    text, fault cause, checklist answers. When parts used are recorded, the warranty status is
    derived from the request's product archive (its serial number's warranty period, today):
    under warranty the parts are recorded as not charged, and the order keeps ``in_warranty``.

    Raises:
        NotFound: No such processing order.
        PermissionDenied: The actor is neither its dispatch order's technician nor a supervisor.
        InvalidTransition: The order is completed or cancelled.
        TransitionRefused: An unknown field, or nothing to record.
        ValidationError: A value is invalid (nothing is changed).
    """
    order = cx.uow.processing.get(processing_id)
    cx.check("record_processing", cx.uow.dispatches.get(order.dispatch_id))
    recorded = dict(changes)
    covered = _in_warranty(cx, order) if "parts_used" in recorded else None
    if covered and isinstance(recorded["parts_used"], tuple | list):
        recorded["parts_used"] = tuple(
            attrs.evolve(p, charged=False) if isinstance(p, PartUsage) else p
            for p in recorded["parts_used"]
        )
    given = Facts(changes=recorded)
    cx.fire(PROCESSING, order, "record", payload=recorded, given=given)
    if covered is not None:
        order.in_warranty = covered
    cx.uow.processing.update(order)
    event(cx, "WorkRecorded", order, {"fields": sorted(recorded), "in_warranty": order.in_warranty})
    return order


def _in_warranty(cx: CommandContext, order: ProcessingOrder) -> bool | None:
    """Whether the request's product (found by its serial number's archive) is in warranty today.

    ``None`` for a request without a product archive: nothing to derive.
    """
    request = cx.uow.requests.get(order.request_id)
    if request.archive_id is None:
        return None
    return cx.uow.archives.get(request.archive_id).in_warranty(cx.now().date())


@command("record_processing")
def answer_checklist(
    cx: CommandContext, /, processing_id: str, checklist: Sequence[ChecklistItem]
) -> ProcessingOrder:
    """Answer or correct the checklist of work, open or completed, before its request closes.

    A supervisor's review before closure answers the items the technician left, or corrects an
    answer, without reopening the work: the order keeps its state (a completed one stays
    completed, its request stays resolved and is not counted as reopened). The audit entry
    (trigger ``answer_checklist``) records who answered and seals the answers given. Items
    may be added, never removed.

    Raises:
        NotFound: No such processing order.
        PermissionDenied: The actor is neither its dispatch order's technician nor a supervisor
            (``record_processing``).
        InvalidTransition: The order was cancelled.
        TransitionRefused: The request is closed or cancelled (guard ``request_not_closed``):
            the checklist of closed work is not changed; or the checklist drops an item or
            lists a code twice.
    """
    order = cx.uow.processing.get(processing_id)
    cx.check("record_processing", cx.uow.dispatches.get(order.dispatch_id))
    changes = {"checklist": tuple(checklist)}
    cx.fire(PROCESSING, order, "answer_checklist", payload=changes, given=Facts(changes=changes))
    cx.uow.processing.update(order)
    event(
        cx,
        "ChecklistAnswered",
        order,
        {"open_items": list(order.checklist_open()), "status": order.status},
    )
    return order


@command("complete_processing")
def complete_processing(
    cx: CommandContext,
    /,
    processing_id: str,
) -> ProcessingOrder:
    """Complete a processing order whose required fields are filled.

    Raises:
        NotFound, PermissionDenied: As for :func:`record_processing`.
        TransitionRefused: Solution type, solution text or labour hours (or the loaner of a
            repair with loaner) are missing.
    """
    order = cx.uow.processing.get(processing_id)
    cx.check("complete_processing", cx.uow.dispatches.get(order.dispatch_id))
    cx.fire(PROCESSING, order, "complete")
    cx.uow.processing.update(order)
    resolve_if_done(cx, order.request_id, processing_of(cx.uow, order.request_id))
    event(cx, "ProcessingCompleted", order)
    return order


@command("correct_processing")
def reopen_processing(cx: CommandContext, /, processing_id: str, reason: str) -> ProcessingOrder:
    """Reopen a completed processing order for a correction, saying why.

    A resolved request goes back in progress with it (it resolves again when the order is
    completed again); a closed or cancelled request cannot be corrected this way.

    Raises:
        NotFound, PermissionDenied: As for :func:`record_processing`.
        InvalidTransition: The order is not completed.
        TransitionRefused: No reason given.
        ValidationError: The request is closed or cancelled.
    """
    order = cx.uow.processing.get(processing_id)
    cx.check("correct_processing", cx.uow.dispatches.get(order.dispatch_id))
    request = cx.uow.requests.get(order.request_id)
    if request.status.is_final:
        raise ValidationError.single(
            "processing_id", processing_id, f"its request is {request.status.value}"
        )
    cx.fire(PROCESSING, order, "reopen", reason=reason)
    cx.uow.processing.update(order)
    if request.status is RequestStatus.RESOLVED:
        cx.fire(REQUEST, request, "reopen", reason=reason)
        cx.uow.requests.update(request)
    event(cx, "ProcessingReopened", order, {"reason": reason})
    return order


@command("correct_processing")
def cancel_processing(cx: CommandContext, /, processing_id: str, reason: str) -> ProcessingOrder:
    """Cancel an open processing order: nothing was done on the visit (the customer was out).

    Its dispatch order can then be completed; the request waits for another dispatch.

    Raises:
        NotFound, PermissionDenied: As for :func:`record_processing`.
        InvalidTransition: The order is not open.
        TransitionRefused: No reason given.
    """
    order = cx.uow.processing.get(processing_id)
    cx.check("correct_processing", cx.uow.dispatches.get(order.dispatch_id))
    cx.fire(PROCESSING, order, "cancel", reason=reason)
    cx.uow.processing.update(order)
    event(cx, "ProcessingCancelled", order, {"reason": reason})
    return order


@command("return_loaner")
def record_loaner_return(
    cx: CommandContext, /, processing_id: str, item_code: str, *, serial: str | None = None
) -> ProcessingOrder:
    """Record that a lent item came back (now, by the clock); the request may then close.

    Raises:
        NotFound: No such processing order, or it lent no such item that is still out
            (``item_code``).
        PermissionDenied: The actor may not record returns (a technician: only on their own
            work).
        InvalidTransition: The order was cancelled.
    """
    order = cx.uow.processing.get(processing_id)
    cx.check("return_loaner", cx.uow.dispatches.get(order.dispatch_id))
    found = [
        i
        for i, x in enumerate(order.loaners)
        if x.item_code == item_code and x.is_out and (serial is None or x.serial == serial)
    ]
    if not found:
        raise NotFound("Loaner", item_code)
    now = cx.now()
    loaners = tuple(
        attrs.evolve(x, back_at=now) if i == found[0] else x for i, x in enumerate(order.loaners)
    )
    cx.fire(
        PROCESSING,
        order,
        "return_loaner",
        payload={"item_code": item_code},
        given=Facts(changes={"loaners": loaners}),
    )
    cx.uow.processing.update(order)
    event(cx, "LoanerReturned", order, {"item_code": item_code, "serial": serial})
    return order


@command("add_evidence")
def add_evidence(
    cx: CommandContext,
    /,
    request_id: str,
    kind: EvidenceKind,
    name: str,
    content: bytes,
) -> Evidence:
    """Store a photo, signature or document for a request and record its hash.

    Raises:
        NotFound: No such request.
        PermissionDenied: The actor may not add evidence.
        ValidationError: The request is closed or cancelled; empty content or a bad name; the
            settings have no evidence store.
        StorageError: The evidence store failed (nothing is recorded).
    """
    store = cx.settings.require_evidence_store()
    request = cx.uow.requests.get(request_id)
    cx.check("add_evidence", request)
    if request.status in (RequestStatus.CLOSED, RequestStatus.CANCELLED):
        raise ValidationError.single("request_id", request_id, f"is {request.status.value}")
    stored = store.put(cx.uow.tenant, request.id, name, content)
    item = Evidence(
        id=EvidenceId(cx.ids.new_id("Evidence")),
        request_id=RequestId(request.id),
        kind=kind,
        content_hash=stored.content_hash,
        uri=stored.uri,
        taken_at=cx.now(),
        taken_by=cx.actor.id,
    )
    cx.uow.evidence.add(item)
    event(cx, "EvidenceAdded", item, {"kind": kind, "hash": stored.content_hash})
    return item


def _parts_exchanged(
    orders: Sequence[ProcessingOrder],
) -> tuple[tuple[ArchivePart, ...], tuple[ArchivePart, ...]]:
    removed = tuple(
        ArchivePart(part_code=r.part_code, quantity=r.quantity, serial=r.serial)
        for o in orders
        for r in o.returned_parts
    )
    installed = tuple(
        ArchivePart(part_code=u.part_code, quantity=u.quantity, serial=u.serial)
        for o in orders
        for u in o.parts_used
    )
    return removed, installed


def _listed(
    parts: Sequence[ArchivePart], removed: Sequence[ArchivePart]
) -> tuple[tuple[ArchivePart, ...], tuple[ArchivePart, ...]]:
    """Split parts taken out into those the parts list holds and those it does not list."""
    have = {p.key: p.quantity for p in parts}
    listed: list[ArchivePart] = []
    unlisted: list[ArchivePart] = []
    for part in removed:
        take = min(part.quantity, have.get(part.key, 0))
        have[part.key] = have.get(part.key, 0) - take
        if take:
            listed.append(attrs.evolve(part, quantity=take))
        if part.quantity > take:
            unlisted.append(attrs.evolve(part, quantity=part.quantity - take))
    return tuple(listed), tuple(unlisted)


def invoice_payload(request: ServiceRequest, orders: Sequence[ProcessingOrder]) -> dict[str, Any]:
    """What finance needs to invoice a completed request: charged parts, income, labour, totals.

    Raises:
        ValidationError: The processing orders mix currencies.
    """
    currency = orders[0].currency if orders else "XXX"
    if any(o.currency != currency for o in orders):
        raise ValidationError.single("currency", currency, "processing orders mix currencies")
    charged = [(u, u.unit_price * u.quantity) for o in orders for u in o.parts_used if u.charged]
    parts = [
        {
            "part_code": u.part_code,
            "quantity": u.quantity,
            "serial": u.serial,
            "unit_price": u.unit_price,
            "amount": amount,
        }
        for u, amount in charged
    ]
    income = [line for o in orders for line in o.income_lines]
    parts_total = Money.total((amount for _, amount in charged), currency)
    income_total = Money.total((line.amount for line in income), currency)
    cost_total = Money.total((o.total_cost() for o in orders), currency)
    return {
        "request_id": request.id,
        "customer_id": request.customer_id,
        "contract_id": request.contract_id,
        "archive_id": request.archive_id,
        "service_type": request.service_type,
        "currency": currency,
        "labour_hours": sum((o.labour_hours for o in orders), Decimal(0)),
        "charged_parts": parts,
        "income_lines": income,
        "parts_total": parts_total,
        "income_total": income_total,
        "invoice_total": parts_total + income_total,
        "cost_total": cost_total,
    }


@command("close_request")
def close_request(
    cx: CommandContext,
    /,
    request_id: str,
    summary: str,
) -> ServiceRequest:
    """Close a resolved request when its closure policy holds.

    The product archive's parts list then follows the parts exchanged, and a ``RequestCompleted``
    event tells finance what to invoice.

    Raises:
        NotFound: No such request (or its archive).
        PermissionDenied: The actor may not close requests.
        InvalidTransition: It is not resolved (a consult request closes with
            :func:`~servicecore.services.requests.close_consult`).
        ClosurePolicyError: Evidence, signature or fault cause missing; nothing is written.
        TransitionRefused: Processing incomplete, or no summary.
        ValidationError: The parts exchanged do not match the archive's parts list.
    """
    request = cx.uow.requests.get(request_id)
    cx.check("close_request", request)
    orders = processing_of(cx.uow, request.id)
    given = Facts(processing_orders=orders, closure_policy=cx.settings.closure_policy)
    cx.fire(REQUEST, request, "close", reason=summary, given=given)
    cx.uow.requests.update(request)
    done = [o for o in orders if o.status is ProcessingStatus.COMPLETED]
    # A whole unit exchanged is not a change to the unit's parts list: the host registers the
    # new unit (and retires the old one) from the UnitExchanged event.
    exchanged = [o for o in done if o.solution_type is SolutionType.EXCHANGE]
    removed, installed = _parts_exchanged([o for o in done if o not in exchanged])
    unlisted: tuple[ArchivePart, ...] = ()
    if request.archive_id is not None and (removed or installed):
        archive = cx.uow.archives.get(request.archive_id)
        if archive.status is ArchiveStatus.REGISTERED:
            removed, unlisted = _listed(archive.parts, removed)
            parts = {"removed": removed, "installed": installed, "unlisted": unlisted}
            given = Facts(removed_parts=removed, installed_parts=installed)
            cx.fire(ARCHIVE, archive, "replace_parts", payload=parts, given=given)
            cx.uow.archives.update(archive)
    if unlisted:
        # The parts list did not know these parts: the work happened all the same; the host
        # hears of the gap instead of the request being stuck.
        event(
            cx,
            "ArchivePartsUnlisted",
            request,
            {"archive_id": request.archive_id, "parts": unlisted},
        )
    for order in exchanged:
        event(
            cx,
            "UnitExchanged",
            request,
            {
                "archive_id": request.archive_id,
                "processing_id": order.id,
                "returned": order.returned_parts,
                "installed": order.parts_used,
            },
        )
    event(cx, "RequestCompleted", request, invoice_payload(request, done))
    return request


@command("record_survey")
def record_survey(
    cx: CommandContext,
    /,
    request_id: str,
    score: int,
    comment: str = "",
    items: Sequence[SurveyItem] = (),
) -> SurveyResult:
    """Record the customer's satisfaction with a closed request.

    The result is tied to the technician who completed the work and to whether the SLA was met.
    Besides the overall ``score``, the follow-up elements asked (回访要素, seed 004: response
    speed, attitude, skill, price...) are kept as ``items``, each scored or answered.

    Raises:
        NotFound: No such request.
        PermissionDenied: The actor may not record surveys.
        ValidationError: The request is not closed, already has a survey, the score is not 1-5,
            or an item is malformed or asked twice (``items[i]``).
    """
    request = cx.uow.requests.get(request_id)
    cx.check("record_survey", request)
    if request.status is not RequestStatus.CLOSED:
        raise ValidationError.single("request_id", request_id, "only closed requests are surveyed")
    if request.survey_id is not None:
        raise ValidationError.single("request_id", request_id, "already has a survey")
    outcome = outcome_of(cx.uow, request, cx.now(), cx.settings.default_sla)
    technicians = [
        d.technician_id
        for d in cx.uow.dispatches.iterate(Query(equals={"request_id": request.id}))
        if d.status.value == "completed"
    ]
    survey = SurveyResult(
        id=SurveyId(cx.ids.new_id("SurveyResult")),
        request_id=RequestId(request.id),
        score=score,
        answered_at=cx.now(),
        sla_met=outcome is None or not outcome.breached,
        technician_id=technicians[0] if technicians else None,
        comment=comment,
        items=tuple(items),
    )
    cx.uow.surveys.add(survey)
    request.survey_id = survey.id
    cx.uow.requests.update(request)
    event(
        cx,
        "SurveyRecorded",
        survey,
        {
            "score": score,
            "sla_met": survey.sla_met,
            "items": {i.element: i.score for i in survey.items if i.score is not None},
        },
    )
    return survey


@command("publish_knowledge")
def publish_knowledge(
    cx: CommandContext,
    /,
    request_id: str,
    *,
    tags: Sequence[str] = (),
    review: bool = False,
) -> KnowledgeArticle:
    """Turn a closed request into a knowledge article (生成知识) and link it from the request.

    The article is born a draft from the request's symptoms, fault cause and solutions, and is
    published at once; with ``review=True`` it stays a draft, open for editing
    (:func:`~servicecore.services.articles.edit_knowledge`) and for review
    (:func:`~servicecore.services.articles.submit_knowledge`).

    Raises:
        NotFound: No such request.
        PermissionDenied: The actor may not publish knowledge.
        ValidationError: The request is not closed, already has an article, or has no recorded
            cause or solution.
    """
    request = cx.uow.requests.get(request_id)
    cx.check("publish_knowledge", request)
    if request.knowledge_id is not None:
        raise ValidationError.single(
            "request_id", request_id, f"already became article {request.knowledge_id}"
        )
    product = cx.uow.archives.get(request.archive_id).product_code if request.archive_id else None
    article = article_from_request(
        request,
        processing_of(cx.uow, request.id),
        article_id=cx.ids.new_id("KnowledgeArticle"),
        created_at=cx.now(),
        product_code=product,
        tags=tags,
    )
    article.status = KnowledgeStatus.DRAFT
    cx.create(KNOWLEDGE, article, payload={"request_id": request.id})
    if not review:
        cx.fire(KNOWLEDGE, article, "publish")
    cx.uow.knowledge.add(article)
    request.knowledge_id = article.id
    cx.uow.requests.update(request)
    event(
        cx,
        "KnowledgePublished" if not review else "KnowledgeDrafted",
        article,
        {"request_id": request.id},
    )
    return article


@query("suggest_solutions")
def suggest_solutions(
    cx: CommandContext, /, request_id: str, *, limit: int = 5
) -> list[Suggestion]:
    """Rank the knowledge base's published articles for a request by symptoms and product.

    Drafts, articles in review and retired ones are never suggested.

    Raises:
        NotFound: No such request.
    """
    request = cx.uow.requests.get(request_id)
    product = cx.uow.archives.get(request.archive_id).product_code if request.archive_id else None
    articles = [a for a in cx.uow.knowledge.iterate() if a.status is KnowledgeStatus.PUBLISHED]
    return suggest(request.symptoms, product, articles, limit=limit)
