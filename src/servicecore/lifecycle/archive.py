"""The product archive lifecycle (产品档案: register, invalidate).

Only a registered archive can take service requests (see the request lifecycle's
``archive_registered`` guard).
"""

from __future__ import annotations

from servicecore.lifecycle.engine import Lifecycle, Rule, TransitionContext
from servicecore.lifecycle.facts import required
from servicecore.model.archive import ArchiveStatus, ProductArchive


def _replace_parts(archive: ProductArchive, ctx: TransitionContext) -> None:
    archive.replace_parts(
        required(ctx.facts.removed_parts, "removed_parts"),
        required(ctx.facts.installed_parts, "installed_parts"),
    )


__all__ = ["ARCHIVE"]

S = ArchiveStatus

ARCHIVE: Lifecycle[ProductArchive, ArchiveStatus] = Lifecycle(
    kind="ProductArchive",
    entity_type=ProductArchive,
    states=ArchiveStatus,
    initial=S.DRAFT,
    rules=[
        Rule(
            trigger="register",
            sources=(S.DRAFT,),
            dest=S.REGISTERED,
            description="The installed product is on record and can take requests.",
        ),
        Rule(
            trigger="replace_parts",
            sources=(S.REGISTERED,),
            effects=(_replace_parts,),
            needs=("removed_parts", "installed_parts"),
            description="Parts exchanged in service update the parts list.",
        ),
        Rule(
            trigger="set_parent",
            sources=(S.DRAFT, S.REGISTERED),
            description="Placed in (or taken out of) the unit it is part of.",
        ),
        Rule(
            trigger="invalidate",
            sources=(S.REGISTERED,),
            dest=S.INVALIDATED,
            needs_reason=True,
            description="Service expired or the product was scrapped: no new requests.",
        ),
    ],
)
