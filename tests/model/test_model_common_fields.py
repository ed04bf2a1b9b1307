"""The fields every entity shares: id, status, version (optimistic locking) and audit_head."""

from __future__ import annotations

import enum
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecore import model
from servicecore.errors import ValidationError
from servicecore.testing import strategies as sst

LIFECYCLE: list[tuple[st.SearchStrategy[Any], type[Any], enum.Enum]] = [
    (sst.archives(), model.ProductArchive, model.ArchiveStatus.DRAFT),
    (sst.contracts(), model.ServiceContract, model.ContractStatus.DRAFT),
    (sst.bookings(), model.Booking, model.BookingStatus.REQUESTED),
    (sst.service_requests(), model.ServiceRequest, model.RequestStatus.OPEN),
    (sst.dispatch_orders(), model.DispatchOrder, model.DispatchStatus.ASSIGNED),
    (sst.processing_orders(), model.ProcessingOrder, model.ProcessingStatus.OPEN),
    (sst.quotes(), model.Quote, model.QuoteStatus.DRAFT),
    (sst.care_plans(), model.CarePlan, model.CareStatus.PLAN),
    (sst.spare_part_plans(), model.SparePartPlan, model.SparePartPlanStatus.DRAFT),
    (sst.transfer_requests(), model.TransferRequest, model.TransferStatus.REQUESTED),
    (sst.parts_requisitions(), model.PartsRequisition, model.RequisitionStatus.REQUESTED),
    (sst.knowledge_articles(), model.KnowledgeArticle, model.KnowledgeStatus.PUBLISHED),
    (sst.supplier_claims(), model.SupplierClaim, model.ClaimStatus.DRAFT),
]
VERSIONED_ONLY: list[tuple[st.SearchStrategy[Any], type[Any]]] = [
    (sst.technicians(), model.Technician),
    (sst.evidence(), model.Evidence),
    (sst.survey_results(), model.SurveyResult),
    (sst.technical_documents(), model.TechnicalDocument),
]
ENTITIES = [(s, c) for s, c, _ in LIFECYCLE] + VERSIONED_ONLY
BAD = [
    ("id", "not an id"),
    ("id", ""),
    ("version", -1),
    ("version", "3"),
]
BAD_LIFECYCLE = [("status", "draft"), ("audit_head", ""), ("audit_head", "f" * 65)]


def fields_of(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in attrs.fields(type(obj))}


def refuses(strategy: st.SearchStrategy[Any], field: str, bad: object) -> None:
    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def check(obj: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            type(obj)(**{**fields_of(obj), field: bad})
        assert caught.value.errors[0].path == field
        assert caught.value.errors[0].value == bad

    check()


@pytest.mark.parametrize(("strategy", "cls"), ENTITIES, ids=[c.__name__ for _, c in ENTITIES])
@pytest.mark.parametrize(("field", "bad"), BAD)
def test_entity_refuses_bad_id_and_version(
    strategy: st.SearchStrategy[Any], cls: type[Any], field: str, bad: object
) -> None:
    refuses(strategy, field, bad)


@pytest.mark.parametrize(
    ("strategy", "cls"),
    [(s, c) for s, c, _ in LIFECYCLE],
    ids=[c.__name__ for _, c, _ in LIFECYCLE],
)
@pytest.mark.parametrize(("field", "bad"), BAD_LIFECYCLE)
def test_lifecycle_entity_refuses_bad_status_and_audit_head(
    strategy: st.SearchStrategy[Any], cls: type[Any], field: str, bad: object
) -> None:
    refuses(strategy, field, bad)


@pytest.mark.parametrize(
    ("cls", "initial"), [(c, i) for _, c, i in LIFECYCLE], ids=[c.__name__ for _, c, _ in LIFECYCLE]
)
def test_lifecycle_entity_fields_start_with_id_and_end_with_status_version_audit_head(
    cls: type[Any], initial: enum.Enum
) -> None:
    names = [f.name for f in attrs.fields(cls)]
    assert names[0] == "id"
    assert names[-3:] == ["status", "version", "audit_head"]
    defaults = {f.name: f.default for f in attrs.fields(cls)}
    assert defaults["status"] is initial
    assert defaults["version"] == 0
    assert defaults["audit_head"] is None


@pytest.mark.parametrize(
    "cls", [c for _, c in VERSIONED_ONLY], ids=[c.__name__ for _, c in VERSIONED_ONLY]
)
def test_master_data_and_records_have_a_version_but_no_lifecycle(cls: type[Any]) -> None:
    names = [f.name for f in attrs.fields(cls)]
    assert names[0] == "id"
    assert names[-1] == "version"
    assert "status" not in names
    assert "audit_head" not in names


@pytest.mark.parametrize("cls", [c for _, c in ENTITIES], ids=[c.__name__ for _, c in ENTITIES])
def test_entities_are_slotted_and_compared_by_identity(cls: type[Any]) -> None:
    assert "__slots__" in cls.__dict__
    assert "__eq__" not in cls.__dict__
