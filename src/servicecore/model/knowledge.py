"""The knowledge article (知识): a symptom, its cause and solution, kept to solve the next case."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from servicecore.model import _validate as v
from servicecore.model.common import KnowledgeId, PartCode, RequestId

__all__ = ["KnowledgeArticle", "KnowledgeStatus"]


class KnowledgeStatus(enum.Enum):
    """Lifecycle of a knowledge article: drafted, reviewed, published, retired."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


@attrs.define(eq=False, kw_only=True)
class KnowledgeArticle:
    """What was learnt from a resolved request, searchable by product, symptom and tags.

    Attributes:
        id: The article's id.
        symptom: The problem as customers describe it.
        cause: What caused it.
        solution: How it is solved.
        created_at: When the article was written.
        product_code: The product concerned, if specific to one.
        source_request_id: The request it was generated from, if any.
        tags: Search keywords (distinct).
        status: Lifecycle state; only published articles are suggested. Articles stored before
            reviews existed have none recorded and read as published.
        version: Optimistic-locking counter.
        audit_head: Hash of the article's last audit entry.

    Raises:
        ValidationError: A bad field or a repeated tag.
    """

    id: KnowledgeId = attrs.field(validator=v.identifier)
    symptom: str = attrs.field(validator=v.text(5000))
    cause: str = attrs.field(validator=v.text(5000))
    solution: str = attrs.field(validator=v.text(20_000))
    created_at: datetime = attrs.field(validator=v.aware_datetime)
    product_code: PartCode | None = attrs.field(default=None, validator=v.optional(v.identifier))
    source_request_id: RequestId | None = attrs.field(
        default=None, validator=v.optional(v.identifier)
    )
    tags: tuple[str, ...] = attrs.field(
        default=(), validator=[v.items(v.text(64)), v.unique(lambda t: t, "tag")]
    )
    status: KnowledgeStatus = attrs.field(
        default=KnowledgeStatus.PUBLISHED, validator=v.member(KnowledgeStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))
