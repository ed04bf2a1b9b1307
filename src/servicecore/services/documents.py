"""Technical documentation attached to products and units, found from a request (seed 001).

Seed 001's company built "a database of technical documentation for the objects serviced".
:func:`attach_document` attaches a manual, drawing or procedure to a product code (every unit of
it) or to one unit (its archive) - as a link, or uploaded to the evidence store with its hash;
:func:`documents_for_request` finds what a technician needs for a request: the documents of its
unit, of the units it is part of, and of their product codes.
"""

from __future__ import annotations

from servicecore.errors import ValidationError
from servicecore.model.archive import ProductArchive
from servicecore.model.common import ArchiveId, DocumentId, PartCode
from servicecore.model.documents import DocumentKind, TechnicalDocument
from servicecore.ports import Query
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command, query

__all__ = ["attach_document", "documents_for_request", "withdraw_document"]


@command("manage_documents")
def attach_document(
    cx: CommandContext,
    /,
    *,
    title: str,
    kind: DocumentKind,
    product_code: str | None = None,
    archive_id: str | None = None,
    uri: str | None = None,
    content: bytes | None = None,
    name: str | None = None,
    document_id: str | None = None,
) -> TechnicalDocument:
    """Attach a document to a product code, a unit, or both: a link (``uri``) or a file.

    A file (``content`` with its ``name``) goes to the desk's evidence store, which gives the
    uri and the SHA-256 kept with the document.

    Raises:
        NotFound: No such archive.
        PermissionDenied: The actor may not manage documents.
        ValidationError: Neither or both of ``uri`` and ``content``; a file without ``name``;
            no evidence store for a file; neither a product code nor an archive; a bad field.
        StorageError: The evidence store failed (nothing is recorded).
    """
    if (uri is None) == (content is None):
        raise ValidationError.single("uri", uri, "give either a link or a file's content")
    if archive_id is not None:
        cx.uow.archives.get(archive_id)
    content_hash = None
    if content is not None:
        if not name:
            raise ValidationError.single("name", name, "a file needs its name")
        stored = cx.settings.require_evidence_store().put(cx.uow.tenant, "documents", name, content)
        uri, content_hash = stored.uri, stored.content_hash
    document = TechnicalDocument(
        id=DocumentId(document_id or cx.ids.new_id("TechnicalDocument")),
        title=title,
        kind=kind,
        uri=str(uri),
        content_hash=content_hash,
        product_code=None if product_code is None else PartCode(product_code),
        archive_id=None if archive_id is None else ArchiveId(archive_id),
        added_at=cx.now(),
        added_by=cx.actor.id,
    )
    cx.uow.documents.add(document)
    event(
        cx,
        "DocumentAttached",
        document,
        {"kind": kind, "product_code": product_code, "archive_id": archive_id},
    )
    return document


@command("manage_documents")
def withdraw_document(cx: CommandContext, /, document_id: str) -> TechnicalDocument:
    """Withdraw an outdated document: kept, no longer listed for requests.

    Raises:
        NotFound: No such document.
        PermissionDenied: The actor may not manage documents.
        ValidationError: It is withdrawn already.
    """
    document = cx.uow.documents.get(document_id)
    if document.withdrawn:
        raise ValidationError.single("document_id", document_id, "is withdrawn already")
    document.withdrawn = True
    cx.uow.documents.update(document)
    event(cx, "DocumentWithdrawn", document)
    return document


@query("view_installed_base")
def documents_for_request(cx: CommandContext, /, request_id: str) -> list[TechnicalDocument]:
    """Return the documents a technician needs for a request, most specific first.

    The documents of the request's unit, then of each unit it is part of (the line a press sits
    on), then of their product codes; withdrawn documents are left out, each document once.

    Raises:
        NotFound: No such request.
    """
    request = cx.uow.requests.get(request_id)
    units: list[ProductArchive] = []
    next_id = request.archive_id
    while next_id is not None and next_id not in {u.id for u in units}:
        unit = cx.uow.archives.get(next_id)
        units.append(unit)
        next_id = unit.parent_id
    found: dict[str, TechnicalDocument] = {}
    for field, values in (
        ("archive_id", [u.id for u in units]),
        ("product_code", list(dict.fromkeys(u.product_code for u in units))),
    ):
        for value in values:
            document: TechnicalDocument
            for document in cx.uow.documents.iterate(Query(equals={field: value})):
                if not document.withdrawn:
                    found.setdefault(document.id, document)
    return list(found.values())
