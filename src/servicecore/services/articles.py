"""Editing, reviewing and retiring knowledge articles (seed 004: 知识 opened for editing).

:func:`~servicecore.services.work.publish_knowledge` turns a closed request into an article;
these commands keep it right afterwards: edit its text, tags and product, send a draft for a
supervisor's review, approve it or send it back, and retire what is outdated. Every step is in
the article's audit trail (its lifecycle: :data:`~servicecore.lifecycle.KNOWLEDGE`); only
published articles are suggested for new requests.

The knowledge base is shared, not owned: the policy's role check is the whole permission (any
technician may correct an article; the audit trail names who did, and review decides what is
published).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle import KNOWLEDGE
from servicecore.model.common import PartCode
from servicecore.model.knowledge import KnowledgeArticle
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command

__all__ = ["edit_knowledge", "retire_knowledge", "review_knowledge", "submit_knowledge"]


@command("edit_knowledge")
def edit_knowledge(
    cx: CommandContext,
    /,
    article_id: str,
    *,
    symptom: str | None = None,
    cause: str | None = None,
    solution: str | None = None,
    tags: Sequence[str] | None = None,
    product_code: str | None = None,
) -> KnowledgeArticle:
    """Correct an article's symptom, cause, solution, tags or product (fields not given stay).

    A published article stays published; an article in review stays in review.

    Raises:
        NotFound: No such article.
        PermissionDenied: The actor may not edit knowledge.
        ValidationError: A bad value (the field named), or nothing would change.
        InvalidTransition: The article is retired.
    """
    article = cx.uow.knowledge.get(article_id)
    wanted: dict[str, Any] = {}
    for name, value in (("symptom", symptom), ("cause", cause), ("solution", solution)):
        if value is not None and value != getattr(article, name):
            wanted[name] = value
    if tags is not None and tuple(tags) != article.tags:
        wanted["tags"] = tuple(tags)
    if product_code is not None and product_code != article.product_code:
        wanted["product_code"] = PartCode(product_code)
    if not wanted:
        raise ValidationError.single("article_id", article_id, "nothing to edit")
    # Validate every value on a copy first: nothing changes when one is refused.
    probe = attrs.evolve(article, **wanted)
    cx.fire(KNOWLEDGE, article, "edit", payload={"fields": sorted(wanted)})
    for name in wanted:
        setattr(article, name, getattr(probe, name))
    cx.uow.knowledge.update(article)
    event(cx, "KnowledgeEdited", article, {"fields": sorted(wanted)})
    return article


@command("edit_knowledge")
def submit_knowledge(cx: CommandContext, /, article_id: str) -> KnowledgeArticle:
    """Send a draft article for review.

    Raises:
        NotFound: No such article.
        PermissionDenied: The actor may not edit knowledge.
        InvalidTransition: It is not a draft.
    """
    article = cx.uow.knowledge.get(article_id)
    cx.fire(KNOWLEDGE, article, "submit")
    cx.uow.knowledge.update(article)
    event(cx, "KnowledgeSubmitted", article)
    return article


@command("review_knowledge")
def review_knowledge(
    cx: CommandContext, /, article_id: str, *, approve: bool, reason: str = ""
) -> KnowledgeArticle:
    """Approve an article in review (it is published) or send it back to draft, saying why.

    Raises:
        NotFound: No such article.
        PermissionDenied: The actor may not review knowledge.
        ValidationError: ``approve`` is not a boolean.
        InvalidTransition: It is not in review.
        TransitionRefused: Sent back without a reason.
    """
    if not isinstance(approve, bool):
        raise ValidationError.single("approve", approve, "must be true or false")
    article = cx.uow.knowledge.get(article_id)
    cx.fire(KNOWLEDGE, article, "approve" if approve else "send_back", reason=reason)
    cx.uow.knowledge.update(article)
    event(
        cx,
        "KnowledgePublished" if approve else "KnowledgeSentBack",
        article,
        {"reason": reason},
    )
    return article


@command("retire_knowledge")
def retire_knowledge(cx: CommandContext, /, article_id: str, reason: str) -> KnowledgeArticle:
    """Retire an outdated or wrong article: kept, no longer suggested or edited.

    Raises:
        NotFound: No such article.
        PermissionDenied: The actor may not retire knowledge.
        InvalidTransition: It is retired already.
        TransitionRefused: No reason given.
    """
    article = cx.uow.knowledge.get(article_id)
    cx.fire(KNOWLEDGE, article, "retire", reason=reason)
    cx.uow.knowledge.update(article)
    event(cx, "KnowledgeRetired", article, {"reason": reason})
    return article
