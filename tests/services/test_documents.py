"""Technical documentation attached to products and units, found from a request (seed 001)."""

import hashlib

import pytest
from desk_actors import CS, TECH

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.basics import FixedClock
from servicecore.errors import NotFound, PermissionDenied, ValidationError
from servicecore.model.archive import ArchiveStatus
from servicecore.model.documents import DocumentKind
from servicecore.services.context import DeskSettings
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f


@pytest.fixture
def desk(storage, tenant, tmp_path) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.archives.add(
            f.archive(
                id="LINE",
                serial_number="SN-L",
                product_code="LINE-X",
                status=ArchiveStatus.REGISTERED,
            )
        )
        uow.archives.add(
            f.archive(
                id="PRESS",
                serial_number="SN-P",
                product_code="PRESS-9",
                parent_id="LINE",
                status=ArchiveStatus.REGISTERED,
            )
        )
        uow.requests.add(f.request(id="R-1", archive_id="PRESS"))
        uow.commit()
    settings = DeskSettings(evidence_store=FilesystemEvidenceStore(tmp_path))
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW), settings=settings)


def _attach(desk: ServiceDesk, document_id: str, **kw) -> None:
    desk.installed_base.attach_document(
        CS, title=f"doc {document_id}", kind=DocumentKind.MANUAL, document_id=document_id, **kw
    )


def test_a_request_finds_its_units_and_their_products_documents(desk) -> None:
    _attach(desk, "D-PRESS-UNIT", archive_id="PRESS", uri="https://x/press-unit")
    _attach(desk, "D-LINE-UNIT", archive_id="LINE", uri="https://x/line-unit")
    _attach(desk, "D-PRESS-9", product_code="PRESS-9", uri="https://x/press-9")
    _attach(desk, "D-LINE-X", product_code="LINE-X", uri="https://x/line-x")
    _attach(desk, "D-OTHER", product_code="OTHER", uri="https://x/other")
    found = [d.id for d in desk.installed_base.documents_for_request(TECH, "R-1")]
    assert found == ["D-PRESS-UNIT", "D-LINE-UNIT", "D-PRESS-9", "D-LINE-X"]


def test_an_uploaded_file_keeps_its_hash(desk) -> None:
    document = desk.installed_base.attach_document(
        CS,
        title="Wiring",
        kind=DocumentKind.WIRING_DIAGRAM,
        product_code="PRESS-9",
        content=b"%PDF-1.7 wiring",
        name="wiring.pdf",
    )
    assert document.content_hash == hashlib.sha256(b"%PDF-1.7 wiring").hexdigest()
    assert document.uri


def test_a_withdrawn_document_is_no_longer_listed(desk) -> None:
    _attach(desk, "D-1", product_code="PRESS-9", uri="https://x/1")
    desk.installed_base.withdraw_document(CS, "D-1")
    assert desk.installed_base.documents_for_request(TECH, "R-1") == []
    with pytest.raises(ValidationError):
        desk.installed_base.withdraw_document(CS, "D-1")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"product_code": "P"}, "uri"),
        ({"product_code": "P", "uri": "https://x", "content": b"x", "name": "x"}, "uri"),
        ({"product_code": "P", "content": b"x"}, "name"),
        ({"uri": "https://x"}, "product_code"),
    ],
)
def test_bad_attachments_name_the_field(desk, kwargs, field) -> None:
    with pytest.raises(ValidationError) as info:
        desk.installed_base.attach_document(CS, title="t", kind=DocumentKind.OTHER, **kwargs)
    assert info.value.errors[0].path == field


def test_a_document_of_an_unknown_unit_is_refused(desk) -> None:
    with pytest.raises(NotFound):
        _attach(desk, "D-1", archive_id="NOPE", uri="https://x")


def test_a_technician_may_read_but_not_attach(desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.installed_base.attach_document(
            TECH, title="t", kind=DocumentKind.OTHER, product_code="P", uri="https://x"
        )
