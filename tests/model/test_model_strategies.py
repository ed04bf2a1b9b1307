from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecore import model
from servicecore.testing import strategies as sst

CASES: list[tuple[st.SearchStrategy[Any], type[Any]]] = [
    (sst.archives(), model.ProductArchive),
    (sst.archive_parts(), model.ArchivePart),
    (sst.contracts(), model.ServiceContract),
    (sst.sla_terms(), model.SlaTerm),
    (sst.penalty_terms(), model.PenaltyTerm),
    (sst.contract_extensions(), model.ContractExtension),
    (sst.maintenance_plans(("A-1", "A-2")), model.MaintenancePlan),
    (sst.recurrences(), model.Recurrence),
    (sst.season_windows(), model.SeasonWindow),
    (sst.working_calendars(), model.WorkingCalendar),
    (sst.weekly_windows(), model.WeeklyWindow),
    (sst.bookings(), model.Booking),
    (sst.customer_identities(), model.CustomerIdentity),
    (sst.booking_policies(), model.BookingPolicy),
    (sst.refunds(), model.Refund),
    (sst.supplier_claims(), model.SupplierClaim),
    (sst.claim_lines(), model.ClaimLine),
    (sst.technical_documents(), model.TechnicalDocument),
    (sst.service_requests(), model.ServiceRequest),
    (sst.closures(), model.Closure),
    (sst.dispatch_orders(), model.DispatchOrder),
    (sst.processing_orders(), model.ProcessingOrder),
    (sst.part_usages(), model.PartUsage),
    (sst.returned_parts(), model.ReturnedPart),
    (sst.loaners(), model.Loaner),
    (sst.checklist_items(), model.ChecklistItem),
    (sst.money_lines(), model.MoneyLine),
    (sst.quotes(), model.Quote),
    (sst.service_lines(), model.ServiceLine),
    (sst.part_lines(), model.PartLine),
    (sst.quote_revisions(), model.QuoteRevision),
    (sst.care_plans(), model.CarePlan),
    (sst.care_effectiveness(), model.CareEffectiveness),
    (sst.care_tasks(), model.CareTask),
    (sst.technicians(), model.Technician),
    (sst.absences(), model.Absence),
    (sst.survey_items(), model.SurveyItem),
    (sst.shifts(), model.Shift),
    (sst.knowledge_articles(), model.KnowledgeArticle),
    (sst.evidence(), model.Evidence),
    (sst.spare_part_plans(), model.SparePartPlan),
    (sst.plan_lines(), model.PlanLine),
    (sst.transfer_requests(), model.TransferRequest),
    (sst.transfer_lines(), model.TransferLine),
    (sst.parts_requisitions(), model.PartsRequisition),
    (sst.requisition_lines(), model.RequisitionLine),
    (sst.survey_results(), model.SurveyResult),
    (sst.money(), model.Money),
    (sst.time_ranges(), model.TimeRange),
    (sst.geo_points(), model.GeoPoint),
]


@pytest.mark.parametrize(("strategy", "cls"), CASES, ids=[cls.__name__ for _, cls in CASES])
def test_strategy_produces_valid_instances_that_revalidate(
    strategy: st.SearchStrategy[Any], cls: type[Any]
) -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def check(obj: Any) -> None:
        assert isinstance(obj, cls)
        attrs.validate(obj)
        # Rebuilding from the fields re-runs every validator and cross-field invariant.
        rebuilt = cls(**{f.name: getattr(obj, f.name) for f in attrs.fields(cls) if f.init})
        assert attrs.asdict(rebuilt, recurse=False) == attrs.asdict(obj, recurse=False)

    check()


def test_every_entity_class_has_a_strategy() -> None:
    covered = {cls for _, cls in CASES}
    attrs_classes = {
        obj
        for name in model.__all__
        if attrs.has(obj := getattr(model, name)) and obj.__module__ != "servicecore.model.actor"
    }
    assert attrs_classes - covered == set()
