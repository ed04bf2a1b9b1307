"""The knowledge article lifecycle (知识: drafted, reviewed, published, retired).

Seed 004: generating knowledge from a request opens the new article for editing. An article is
born a draft; its author publishes it, or submits it for a supervisor's review, who approves it
or sends it back. Text, tags and product are edited while it lives (a published article stays
published); a retired article is kept, no longer suggested and no longer edited.
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Lifecycle, Rule
from servicecore.model.knowledge import KnowledgeArticle, KnowledgeStatus

__all__ = ["KNOWLEDGE"]

S = KnowledgeStatus

KNOWLEDGE: Lifecycle[KnowledgeArticle, KnowledgeStatus] = Lifecycle(
    kind="KnowledgeArticle",
    entity_type=KnowledgeArticle,
    states=KnowledgeStatus,
    initial=S.DRAFT,
    rules=[
        Rule(
            trigger="edit",
            sources=(S.DRAFT, S.IN_REVIEW, S.PUBLISHED),
            description="Symptom, cause, solution, tags or product corrected.",
        ),
        Rule(
            trigger="publish",
            sources=(S.DRAFT,),
            dest=S.PUBLISHED,
            description="Published by its author, without review.",
        ),
        Rule(
            trigger="submit",
            sources=(S.DRAFT,),
            dest=S.IN_REVIEW,
            description="Sent for review.",
        ),
        Rule(
            trigger="approve",
            sources=(S.IN_REVIEW,),
            dest=S.PUBLISHED,
            description="The reviewer approves it: it is suggested from now on.",
        ),
        Rule(
            trigger="send_back",
            sources=(S.IN_REVIEW,),
            dest=S.DRAFT,
            needs_reason=True,
            description="The reviewer sends it back to its author, saying why.",
        ),
        Rule(
            trigger="retire",
            sources=(S.DRAFT, S.IN_REVIEW, S.PUBLISHED),
            dest=S.RETIRED,
            needs_reason=True,
            description="Outdated or wrong: kept, no longer suggested or edited.",
        ),
    ],
)
