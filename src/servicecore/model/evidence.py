"""Evidence: a photo, signature or document attached to a request (seed 001: before/after)."""

from __future__ import annotations

from datetime import datetime

import attrs

from servicecore.model import _validate as v
from servicecore.model.common import EvidenceId, RequestId
from servicecore.model.enums import EvidenceKind

__all__ = ["Evidence"]


@attrs.define(eq=False, kw_only=True)
class Evidence:
    """A record of one piece of evidence; the content itself lives in an evidence store.

    The content hash ties the record to the stored bytes, so a swapped photo is detectable.

    Attributes:
        id: The evidence's id.
        request_id: The request it belongs to.
        kind: What it shows.
        content_hash: SHA-256 of the content, 64 lower-case hex digits.
        uri: Where the evidence store keeps the content.
        taken_at: When it was taken.
        taken_by: Id of the actor who took it.
        version: Optimistic-locking counter.

    Raises:
        ValidationError: A bad field.
    """

    id: EvidenceId = attrs.field(validator=v.identifier)
    request_id: RequestId = attrs.field(validator=v.identifier)
    kind: EvidenceKind = attrs.field(validator=v.member(EvidenceKind))
    content_hash: str = attrs.field(
        validator=v.matches(r"[0-9a-f]{64}", "a SHA-256 digest: 64 lower-case hex digits")
    )
    uri: str = attrs.field(validator=v.text(2000))
    taken_at: datetime = attrs.field(validator=v.aware_datetime)
    taken_by: str = attrs.field(validator=v.identifier)
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
