"""Technical documentation (seed 001: a database of technical documents for serviced objects).

Manuals, drawings, wiring diagrams and procedures attached to a product (every unit of a product
code) or to one unit (its archive), found from a service request by its product archive.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import ArchiveId, DocumentId, PartCode

__all__ = ["DocumentKind", "TechnicalDocument"]


class DocumentKind(enum.Enum):
    """What a technical document is."""

    MANUAL = "manual"
    DRAWING = "drawing"
    WIRING_DIAGRAM = "wiring_diagram"
    PROCEDURE = "procedure"
    DATASHEET = "datasheet"
    OTHER = "other"


@attrs.define(eq=False, kw_only=True)
class TechnicalDocument:
    """A technical document attached to a product code, to one unit, or to both.

    Attributes:
        id: The document's id.
        title: What it is, e.g. ``"AC-9000 service manual, rev. C"``.
        kind: Manual, drawing, wiring diagram, procedure, datasheet or other.
        uri: Where it is (a link, or where the evidence store keeps an uploaded file).
        content_hash: The uploaded file's SHA-256 (64 lower-case hex digits), if uploaded.
        product_code: The product it documents (every unit of it), if any.
        archive_id: The one unit it documents (its archive), if any.
        added_at: When it was attached.
        added_by: Who attached it.
        withdrawn: Whether it was withdrawn (outdated): kept, no longer listed for requests.
        version: Optimistic-locking counter.

    Raises:
        ValidationError: A bad field, or neither a product code nor an archive.
    """

    id: DocumentId = attrs.field(validator=v.identifier)
    title: str = attrs.field(validator=v.text(300))
    kind: DocumentKind = attrs.field(validator=v.member(DocumentKind))
    uri: str = attrs.field(validator=v.text(2000))
    content_hash: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))
    product_code: PartCode | None = attrs.field(default=None, validator=v.optional(v.identifier))
    archive_id: ArchiveId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    added_at: datetime = attrs.field(validator=v.aware_datetime)
    added_by: str = attrs.field(validator=v.identifier)
    withdrawn: bool = attrs.field(default=False, validator=v.boolean)
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))

    def __attrs_post_init__(self) -> None:
        if self.product_code is None and self.archive_id is None:
            raise ValidationError.single(
                "product_code", None, "a document documents a product code, a unit, or both"
            )
