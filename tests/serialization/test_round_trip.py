"""Every entity and value object survives JSON and back, exactly."""

import json
from datetime import UTC, datetime

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from servicecore.model.actor import Actor, Role
from servicecore.model.audit import AuditEntry
from servicecore.serialization import make_converter, structure, unstructure
from servicecore.testing import strategies as s

ENTITIES = {
    "ProductArchive": s.archives(),
    "ServiceContract": s.contracts(),
    "Booking": s.bookings(),
    "ServiceRequest": s.service_requests(),
    "DispatchOrder": s.dispatch_orders(),
    "ProcessingOrder": s.processing_orders(),
    "Quote": s.quotes(),
    "CarePlan": s.care_plans(),
    "Technician": s.technicians(),
    "KnowledgeArticle": s.knowledge_articles(),
    "Evidence": s.evidence(),
    "SparePartPlan": s.spare_part_plans(),
    "TransferRequest": s.transfer_requests(),
    "PartsRequisition": s.parts_requisitions(),
    "SurveyResult": s.survey_results(),
    "SupplierClaim": s.supplier_claims(),
    "TechnicalDocument": s.technical_documents(),
    "Money": s.money(),
    "WorkingCalendar": s.working_calendars(),
    "Closure": s.closures(),
    "QuoteRevision": s.quote_revisions(),
}


@pytest.mark.parametrize("name", sorted(ENTITIES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_round_trip_through_json_is_exact(name, data):
    obj = data.draw(ENTITIES[name])
    raw = unstructure(obj)
    text = json.dumps(raw)  # JSON-safe: no Decimal, datetime or enum left
    back = structure(json.loads(text), type(obj))
    assert type(back) is type(obj)
    assert unstructure(back) == raw


@settings(max_examples=25, deadline=None)
@given(obj=s.service_requests())
def test_datetimes_come_back_as_the_same_instant_in_utc(obj):
    back = structure(unstructure(obj), type(obj))
    assert back.reported_at == obj.reported_at
    assert back.reported_at.tzinfo is not None


def test_an_actor_round_trips_with_sorted_roles():
    actor = Actor(id="u-1", roles={Role.TECHNICIAN, Role.ADMIN}, technician_id="T-1")
    raw = unstructure(actor)
    assert raw["roles"] == ["admin", "technician"]
    back = structure(raw, Actor)
    assert back == actor


def test_an_audit_entry_round_trips_and_still_verifies():
    entry = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-1",
        trigger="create",
        from_state="",
        to_state="open",
        actor_id="cs-1",
        at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        payload={"x": 1},
    )
    back = structure(json.loads(json.dumps(unstructure(entry))), AuditEntry)
    assert back == entry
    assert back.expected_hash() == back.hash


def test_make_converter_builds_independent_converters():
    assert make_converter() is not make_converter()
