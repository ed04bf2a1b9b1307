"""Installed base and service contracts end to end (seed 004), on every storage backend.

A product is registered from the ERP's shipment of its serial with its parts as built, covered by
a contract with preventive-maintenance plans; the plans generate requests (twice: no duplicate);
the contract is extended, another one expires by the clock; coverage is read on several days.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.basics import FixedClock
from servicecore.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.model.archive import ArchivePart, ArchiveStatus
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.contract import ContractStatus, SlaTerm
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.maintenance import MaintenancePlan, Recurrence, RecurrenceKind, SeasonWindow
from servicecore.model.request import RequestStatus
from servicecore.ports import BomLine, Query, Shipment
from servicecore.services import contracts as c
from servicecore.services import installed_base as ib
from servicecore.services import maintenance as m
from servicecore.services import requests as r
from servicecore.services.permissions import DEFAULT_RULES, RolePolicy
from servicecore.testing.erp_sales import BomEntry, InMemoryBillOfMaterials, InMemoryShipmentHistory
from servicecore.testing.factories import command_context as cx
from servicecore.testing.factories import job_context as jx

POLICY = RolePolicy(DEFAULT_RULES)
JAKARTA = WorkingCalendar.always("Asia/Jakarta")
SLA = tuple(
    SlaTerm(priority=p, response=timedelta(hours=4), resolution=timedelta(days=3)) for p in Priority
)

SHIPMENTS = InMemoryShipmentHistory(
    [
        Shipment(
            document="DN-1",
            customer_id="C-1",
            product_code="AC-9000",
            serial_number="SN-1",
            batch="B-2025-06",
            shipped_on=date(2025, 6, 1),
        ),
        Shipment(
            document="DN-2",
            customer_id="C-1",
            product_code="FILTER-1",
            serial_number=None,
            batch=None,
            shipped_on=date(2025, 7, 1),
            quantity=10,
        ),
    ]
)
BOM = InMemoryBillOfMaterials(
    [
        BomEntry(product_code="AC-9000", line=BomLine(part_code="COMP-1", quantity=1)),
        BomEntry(
            product_code="AC-9000",
            serial_number="SN-1",
            line=BomLine(part_code="COMP-1", quantity=1, serial="CMP-77"),
        ),
        BomEntry(
            product_code="AC-9000",
            serial_number="SN-1",
            line=BomLine(part_code="FILTER-1", quantity=1),
        ),
        BomEntry(
            product_code="AC-9000",
            serial_number="SN-1",
            line=BomLine(part_code="FILTER-1", quantity=1),
        ),
    ]
)

MONTHLY = MaintenancePlan(
    id="monthly",
    recurrence=Recurrence(kind=RecurrenceKind.MONTHLY, start=date(2026, 3, 1), day_of_month=31),
    archive_ids=("A-1",),
    late_tolerance_days=5,
    required_skills=("hvac",),
    description="Clean filters, check refrigerant",
)
FORTNIGHTLY = MaintenancePlan(
    id="fortnightly",
    recurrence=Recurrence(
        kind=RecurrenceKind.WEEKLY, start=date(2026, 3, 1), weekday=0, interval=2
    ),
    priority=Priority.LOW,
)
SPRING = MaintenancePlan(
    id="spring",
    recurrence=Recurrence(
        kind=RecurrenceKind.SEASONAL,
        start=date(2026, 3, 1),
        season=SeasonWindow(start_month=4, start_day=1, end_month=5, end_day=31),
    ),
    archive_ids=("A-2",),
    duration_minutes=180,
)


def _install(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        one = ib.register_from_shipment(
            cx(uow, CS, clock, policy=POLICY), SHIPMENTS, BOM, "SN-1", archive_id="A-1"
        )
        ib.register_archive(
            cx(uow, CS, clock, policy=POLICY),
            archive_id="A-2",
            serial_number="SN-2",
            product_code="HEATER-5",
            customer_id="C-1",
            warranty_start=date(2024, 1, 1),
            warranty_end=date(2025, 12, 31),
        )
        uow.commit()
    return one


def _contract(storage, tenant, clock, *, plans=(MONTHLY, FORTNIGHTLY, SPRING), **kw):
    with storage.unit_of_work(tenant) as uow:
        args = {
            "customer_id": "C-1",
            "archive_ids": ("A-1", "A-2"),
            "start": date(2026, 3, 1),
            "end": date(2026, 4, 30),
            "calendar": JAKARTA,
            "sla_terms": SLA,
            "maintenance_plans": plans,
            "contract_id": "K-1",
        } | kw
        contract = c.create_contract(cx(uow, SUP, clock, policy=POLICY), **args)
        c.activate_contract(cx(uow, SUP, clock, policy=POLICY), contract.id)
        uow.commit()
    return contract


def test_a_product_registered_from_its_shipment_carries_its_parts_as_built(
    storage, tenant, clock
) -> None:
    archive = _install(storage, tenant, clock)
    assert archive.status is ArchiveStatus.REGISTERED
    assert (archive.customer_id, archive.product_code, archive.batch) == (
        "C-1",
        "AC-9000",
        "B-2025-06",
    )
    assert archive.install_date == archive.warranty_start == date(2025, 6, 1)
    assert archive.warranty_end == date(2026, 5, 31)
    assert archive.parts == (
        ArchivePart(part_code="COMP-1", serial="CMP-77"),
        ArchivePart(part_code="FILTER-1", quantity=2),
    )
    with storage.unit_of_work(tenant) as uow:
        stored = uow.archives.get("A-1")
        assert stored.parts == archive.parts
        assert [a.id for a in ib.archives_by_serial(cx(uow), "SN-1")] == ["A-1"]
        assert [a.id for a in ib.archives_of_customer(cx(uow), "C-1")] == ["A-1", "A-2"]
        assert [a.id for a in ib.archives_of_product(cx(uow), "HEATER-5")] == ["A-2"]
        assert ib.archives_of_customer(cx(uow), "C-9") == []
        assert [t.trigger for t in uow.audit.entries("ProductArchive", "A-1")] == [
            "create",
            "register",
        ]
    assert [s.document for s in ib.shipment_history(SHIPMENTS, "C-1")] == ["DN-1", "DN-2"]
    assert [s.document for s in ib.shipment_history(SHIPMENTS, "C-1", "FILTER-1")] == ["DN-2"]


def test_registration_refuses_unknown_serials_twins_and_strangers(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError, match="serial_number"):
            ib.register_from_shipment(cx(uow, CS, clock, policy=POLICY), SHIPMENTS, BOM, "SN-404")
        with pytest.raises(ValidationError, match="already archive A-1"):
            ib.register_from_shipment(cx(uow, CS, clock, policy=POLICY), SHIPMENTS, BOM, "SN-1")
        with pytest.raises(ValidationError, match="warranty_months"):
            ib.register_from_shipment(
                cx(uow, CS, clock, policy=POLICY), SHIPMENTS, BOM, "SN-1", warranty_months=0
            )
        with pytest.raises(PermissionDenied, match="manage_installed_base"):
            ib.register_from_shipment(cx(uow, TECH, clock, policy=POLICY), SHIPMENTS, BOM, "SN-1")
        assert uow.archives.count() == 2
    broken = InMemoryBillOfMaterials(
        [BomEntry(product_code="AC-9000", line=BomLine(part_code="X", quantity=2, serial="S"))]
    )
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError, match=r"bom\[0\]"):
            ib.register_from_shipment(
                cx(uow, CS, clock, policy=POLICY), SHIPMENTS, broken, "SN-1", archive_id="A-3"
            )
        with pytest.raises(NotFound):
            ib.register_from_shipment(
                cx(uow, CS, clock, policy=POLICY), SHIPMENTS, InMemoryBillOfMaterials(), "SN-1"
            )


def test_an_invalidated_product_takes_no_requests_and_frees_its_serial(
    storage, tenant, clock
) -> None:
    _install(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused):
            ib.invalidate_archive(cx(uow, CS, clock, policy=POLICY), "A-1", " ")
        archive = ib.invalidate_archive(cx(uow, CS, clock, policy=POLICY), "A-1", "Scrapped")
        uow.commit()
    assert archive.status is ArchiveStatus.INVALIDATED
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused):
            r.open_request(
                cx(uow, CS, clock),
                customer_id="C-1",
                service_type=ServiceType.REPAIR,
                symptoms="Noise",
                archive_id="A-1",
            )
        with pytest.raises(InvalidTransition):
            ib.invalidate_archive(cx(uow, CS, clock, policy=POLICY), "A-1", "again")
        # A scrapped unit's serial may be registered again (e.g. refurbished and resold).
        again = ib.register_from_shipment(
            cx(uow, CS, clock, policy=POLICY), SHIPMENTS, BOM, "SN-1", archive_id="A-9"
        )
        assert again.status is ArchiveStatus.REGISTERED
        assert [a.id for a in ib.archives_of_customer(cx(uow), "C-1", registered_only=True)] == [
            "A-2",
            "A-9",
        ]


def test_coverage_on_dates_in_warranty_under_contract_or_chargeable(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        before = ib.coverage(cx(uow), "A-2", date(2026, 3, 10))
        assert (before.in_warranty, before.contract_ids, before.chargeable) == (False, (), True)
    _contract(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        cases = {
            ("A-1", date(2026, 3, 10)): (True, ("K-1",), False),
            ("A-2", date(2026, 3, 10)): (False, ("K-1",), False),
            ("A-2", date(2026, 2, 28)): (False, (), True),
            ("A-1", date(2026, 5, 15)): (True, (), False),
            ("A-1", date(2026, 6, 15)): (False, (), True),
            ("A-2", date(2026, 4, 30)): (False, ("K-1",), False),
        }
        for (archive_id, day), expected in cases.items():
            got = ib.coverage(cx(uow), archive_id, day)
            assert (got.in_warranty, got.contract_ids, got.chargeable) == expected, (
                archive_id,
                day,
            )
            assert got.under_contract is bool(expected[1])
        with pytest.raises(NotFound):
            ib.coverage(cx(uow), "A-404", date(2026, 3, 10))


def test_maintenance_plans_generate_each_visit_once(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock)
    first = m.generate_maintenance_requests(
        jx(storage, tenant, clock, policy=POLICY), horizon_days=30
    )
    expected = {
        "PM:K-1:monthly:A-1:20260331",
        "PM:K-1:fortnightly:A-1:20260302",
        "PM:K-1:fortnightly:A-2:20260302",
        "PM:K-1:fortnightly:A-1:20260316",
        "PM:K-1:fortnightly:A-2:20260316",
        "PM:K-1:fortnightly:A-1:20260330",
        "PM:K-1:fortnightly:A-2:20260330",
        "PM:K-1:spring:A-2:20260401",
    }
    assert {v.request_id for v in first.generated} == expected
    assert first.existing == first.skipped == ()
    again = m.generate_maintenance_requests(
        jx(storage, tenant, clock, policy=POLICY), horizon_days=30
    )
    assert again.generated == ()
    assert {v.request_id for v in again.existing} == expected
    with storage.unit_of_work(tenant) as uow:
        requests = {q.id: q for q in uow.requests.iterate()}
        assert set(requests) == expected
        monthly = requests["PM:K-1:monthly:A-1:20260331"]
        assert monthly.service_type is ServiceType.MAINTENANCE
        assert monthly.status is RequestStatus.OPEN
        assert (monthly.contract_id, monthly.archive_id, monthly.customer_id) == (
            "K-1",
            "A-1",
            "C-1",
        )
        assert monthly.required_skills == ("hvac",)
        assert "from 2026-03-31 to 2026-04-05" in monthly.symptoms
        spring = requests["PM:K-1:spring:A-2:20260401"]
        assert "to 2026-05-31, about 180 minutes" in spring.symptoms
        assert requests["PM:K-1:fortnightly:A-2:20260316"].priority is Priority.LOW
        assert all(c.covers_request(uow, q) for q in requests.values())


def test_an_extended_contract_generates_beyond_its_old_end_and_keeps_its_history(
    storage, tenant, clock
) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock)
    m.generate_maintenance_requests(jx(storage, tenant, clock, policy=POLICY), horizon_days=30)
    clock.advance(timedelta(days=49))  # 2026-04-20
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused, match="not after"):
            c.extend_contract(cx(uow, SUP, clock, policy=POLICY), "K-1", date(2026, 4, 1), "oops")
        with pytest.raises(TransitionRefused):
            c.extend_contract(cx(uow, SUP, clock, policy=POLICY), "K-1", date(2026, 12, 31), "")
        c.extend_contract(cx(uow, SUP, clock, policy=POLICY), "K-1", date(2026, 6, 30), "Renewed")
        c.extend_contract(cx(uow, CS, clock, policy=POLICY), "K-1", date(2026, 12, 31), "Year")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        contract = uow.contracts.get("K-1")
        assert contract.end == date(2026, 12, 31)
        assert [(e.old_end, e.new_end, e.reason, e.by) for e in contract.extensions] == [
            (date(2026, 4, 30), date(2026, 6, 30), "Renewed", SUP.id),
            (date(2026, 6, 30), date(2026, 12, 31), "Year", CS.id),
        ]
        assert [e.trigger for e in uow.audit.entries("ServiceContract", "K-1")] == [
            "create",
            "activate",
            "extend",
            "extend",
        ]
    run = m.generate_maintenance_requests(
        jx(storage, tenant, clock, policy=POLICY), horizon_days=30
    )
    assert {v.request_id for v in run.generated} == {
        "PM:K-1:monthly:A-1:20260430",
        "PM:K-1:fortnightly:A-1:20260427",
        "PM:K-1:fortnightly:A-2:20260427",
        "PM:K-1:fortnightly:A-1:20260511",
        "PM:K-1:fortnightly:A-2:20260511",
    }
    # The spring visit (window open until 31 May) was generated before and is not repeated.
    assert {v.request_id for v in run.existing} == {"PM:K-1:spring:A-2:20260401"}


def test_a_missed_visit_is_generated_within_its_late_tolerance_only(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock, plans=(MONTHLY,))
    clock.advance(timedelta(days=32))  # 2026-04-03: the 31 March visit is 3 days late
    run = m.generate_maintenance_requests(jx(storage, tenant, clock, policy=POLICY), horizon_days=0)
    assert [(v.request_id, v.latest) for v in run.generated] == [
        ("PM:K-1:monthly:A-1:20260331", date(2026, 4, 5))
    ]
    clock.advance(timedelta(days=3))  # 2026-04-06: tolerance over, nothing new within 0 days
    assert m.generate_maintenance_requests(
        jx(storage, tenant, clock, policy=POLICY), horizon_days=0
    ) == m.MaintenanceRun((), (), ())


def test_a_late_visit_past_its_tolerance_is_not_generated(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock, plans=(MONTHLY,))
    clock.advance(timedelta(days=37))  # 2026-04-08
    run = m.generate_maintenance_requests(
        jx(storage, tenant, clock, policy=POLICY), horizon_days=10
    )
    assert run == m.MaintenanceRun((), (), ())


def test_visits_of_an_invalidated_product_are_skipped_and_the_rest_generated(
    storage, tenant, clock
) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock, plans=(FORTNIGHTLY,))
    with storage.unit_of_work(tenant) as uow:
        ib.invalidate_archive(cx(uow, CS, clock, policy=POLICY), "A-2", "Scrapped")
        uow.commit()
    run = m.generate_maintenance_requests(
        jx(storage, tenant, clock, policy=POLICY), horizon_days=14
    )
    assert [v.request_id for v in run.generated] == [
        "PM:K-1:fortnightly:A-1:20260302",
        "PM:K-1:fortnightly:A-1:20260316",
    ]
    assert [(v.archive_id, why) for v, why in run.skipped] == [
        ("A-2", "product A-2 is not registered"),
        ("A-2", "product A-2 is not registered"),
    ]


def test_the_job_checks_its_permissions_and_horizon(storage, tenant, clock) -> None:
    with pytest.raises(PermissionDenied, match="generate_maintenance"):
        m.generate_maintenance_requests(jx(storage, tenant, clock, actor=CS, policy=POLICY))
    with pytest.raises(ValidationError, match="horizon_days"):
        m.generate_maintenance_requests(jx(storage, tenant, clock, policy=POLICY), horizon_days=-1)


def test_expiry_by_the_clock_terminate_and_renewal(storage, tenant) -> None:
    early = FixedClock(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    _install(storage, tenant, early)
    _contract(
        storage,
        tenant,
        early,
        plans=(),
        contract_id="K-OLD",
        start=date(2026, 1, 1),
        end=date(2026, 2, 28),
    )
    _contract(storage, tenant, early, plans=(), contract_id="K-NEW", archive_ids=("A-2",))
    with storage.unit_of_work(tenant) as uow:
        draft = c.create_contract(
            cx(uow, CS, early, policy=POLICY),
            customer_id="C-1",
            archive_ids=("A-1",),
            start=date(2026, 1, 1),
            end=date(2026, 1, 31),
            calendar=JAKARTA,
            contract_id="K-DRAFT",
        )
        uow.commit()
    assert draft.status is ContractStatus.DRAFT
    # 28 Feb 17:30 UTC is already 1 March in Jakarta: the contract has ended there.
    clock = FixedClock(datetime(2026, 2, 28, 17, 30, tzinfo=UTC))
    with pytest.raises(PermissionDenied):
        c.expire_contracts(jx(storage, tenant, clock, actor=CS, policy=POLICY))
    run = c.expire_contracts(jx(storage, tenant, clock, policy=POLICY))
    assert run.expired == ("K-OLD",)
    with storage.unit_of_work(tenant) as uow:
        assert uow.contracts.get("K-OLD").status is ContractStatus.EXPIRED
        assert uow.contracts.get("K-NEW").status is ContractStatus.ACTIVE
        assert uow.contracts.get("K-DRAFT").status is ContractStatus.DRAFT
        assert [k.id for k in c.contracts_of_customer(cx(uow), "C-1")] == [
            "K-DRAFT",
            "K-NEW",
            "K-OLD",
        ]
        with pytest.raises(TransitionRefused, match="period ended"):
            c.activate_contract(cx(uow, CS, clock, policy=POLICY), "K-DRAFT")
        c.terminate_contract(cx(uow, CS, clock, policy=POLICY), "K-DRAFT", "Never signed")
        renewed = c.extend_contract(
            cx(uow, SUP, clock, policy=POLICY), "K-OLD", date(2026, 12, 31), "Renewed late"
        )
        assert renewed.status is ContractStatus.ACTIVE
        c.terminate_contract(cx(uow, SUP, clock, policy=POLICY), "K-NEW", "Customer moved")
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert [
            k.id for k in c.contracts_of_customer(cx(uow), "C-1", status=ContractStatus.ACTIVE)
        ] == ["K-OLD"]
        assert uow.contracts.count(Query(equals={"status": "terminated"})) == 2
    assert c.expire_contracts(jx(storage, tenant, clock, policy=POLICY)).expired == ()
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(InvalidTransition):
            c.terminate_contract(cx(uow, SUP, clock, policy=POLICY), "K-NEW", "again")
        assert ib.coverage(cx(uow), "A-2", date(2026, 3, 10)).contract_ids == ("K-OLD",)


def test_contract_creation_checks_products_and_permission(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        ib.register_archive(
            cx(uow, CS, clock, policy=POLICY),
            archive_id="A-X",
            serial_number="SN-X",
            product_code="AC-9000",
            customer_id="C-2",
            warranty_start=date(2026, 1, 1),
            warranty_end=date(2027, 1, 1),
        )
        uow.commit()
    base = {
        "customer_id": "C-1",
        "start": date(2026, 3, 1),
        "end": date(2026, 4, 30),
        "calendar": JAKARTA,
    }
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError, match=r"archive_ids\[1\]"):
            c.create_contract(cx(uow, CS, clock, policy=POLICY), archive_ids=("A-1", "A-X"), **base)
        with pytest.raises(NotFound):
            c.create_contract(cx(uow, CS, clock, policy=POLICY), archive_ids=("A-404",), **base)
        with pytest.raises(PermissionDenied, match="manage_contracts"):
            c.create_contract(cx(uow, TECH, clock, policy=POLICY), archive_ids=("A-1",), **base)
        with pytest.raises(ValidationError, match="maintenance_plans"):
            c.create_contract(
                cx(uow, CS, clock, policy=POLICY),
                archive_ids=("A-2",),
                maintenance_plans=(MONTHLY,),  # it names A-1
                **base,
            )
        assert uow.contracts.count() == 0


def test_covers_request(storage, tenant, clock) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock, plans=(), archive_ids=("A-1",))
    with storage.unit_of_work(tenant) as uow:
        covered = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Warm air",
            archive_id="A-1",
            contract_id="K-1",
            request_id="R-1",
        )
        loose = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Heater cold",
            archive_id="A-2",
            request_id="R-2",
        )
        consult = r.open_request(
            cx(uow, CS, clock),
            customer_id="C-1",
            service_type=ServiceType.CONSULT,
            symptoms="How to clean?",
            contract_id="K-1",
            request_id="R-3",
        )
        assert c.covers_request(uow, covered) is True
        assert c.covers_request(uow, loose) is False
        assert c.covers_request(uow, consult) is True
        c.terminate_contract(cx(uow, SUP, clock, policy=POLICY), "K-1", "Breach")
        assert c.covers_request(uow, covered) is False
        assert c.covers_request(uow, consult) is False


def test_a_contract_not_yet_begun_plans_nothing_until_it_begins(storage, tenant) -> None:
    early = FixedClock(datetime(2026, 2, 20, 9, 0, tzinfo=UTC))
    _install(storage, tenant, early)
    _contract(storage, tenant, early, plans=(FORTNIGHTLY,), archive_ids=("A-1",))
    run = m.generate_maintenance_requests(
        jx(storage, tenant, early, policy=POLICY), horizon_days=30
    )
    assert run == m.MaintenanceRun((), (), ())
    early.advance(timedelta(days=9))  # 1 March: the contract has begun
    run = m.generate_maintenance_requests(
        jx(storage, tenant, early, policy=POLICY), horizon_days=15
    )
    assert [v.request_id for v in run.generated] == [
        "PM:K-1:fortnightly:A-1:20260302",
        "PM:K-1:fortnightly:A-1:20260316",
    ]


def test_visit_request_ids_are_stable_unambiguous_and_short_enough() -> None:
    day = date(2026, 3, 31)
    assert m.visit_request_id("K-1", "P", "A-1", day) == "PM:K-1:P:A-1:20260331"
    assert m.visit_request_id("K-1", "P", "A-1", day) == m.visit_request_id("K-1", "P", "A-1", day)
    # "a:b" + "c" and "a" + "b:c" would read alike: such ids become distinct digests.
    one, two = m.visit_request_id("a:b", "c", "A", day), m.visit_request_id("a", "b:c", "A", day)
    assert one != two
    assert one.startswith("PM:")
    assert len(one) == 3 + 64
    long = m.visit_request_id("K" * 60, "P" * 60, "A" * 60, day)
    assert len(long) <= 128
    assert long != m.visit_request_id("K" * 60, "P" * 60, "A" * 60, date(2026, 4, 1))


class _BlindStorage:
    """A storage whose look-up misses every request: plays a run racing another one."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def unit_of_work(self, tenant):
        uow = self.inner.unit_of_work(tenant)
        requests = uow.requests

        class _Blind:
            def __getattr__(self, name):
                return getattr(requests, name)

            def find(self, _id):
                return None

        blind = _Blind()

        class _Uow:
            def __getattr__(self, name):
                return blind if name == "requests" else getattr(uow, name)

            def __enter__(self):
                uow.__enter__()
                return self

            def __exit__(self, *exc):
                return uow.__exit__(*exc)

        return _Uow()


def test_a_racing_run_is_refused_by_storage_and_reports_the_visit_as_existing(
    storage, tenant, clock
) -> None:
    _install(storage, tenant, clock)
    _contract(storage, tenant, clock, plans=(MONTHLY,))
    first = m.generate_maintenance_requests(jx(storage, tenant, clock, policy=POLICY))
    assert [v.request_id for v in first.generated] == ["PM:K-1:monthly:A-1:20260331"]
    racing = m.generate_maintenance_requests(
        jx(_BlindStorage(storage), tenant, clock, policy=POLICY)
    )
    assert racing.generated == racing.skipped == ()
    assert [v.request_id for v in racing.existing] == ["PM:K-1:monthly:A-1:20260331"]
    with storage.unit_of_work(tenant) as uow:
        assert uow.requests.count() == 1


def test_two_concurrent_registrations_of_one_serial_exactly_one_commits(
    open_storage, tenant, clock
) -> None:
    writers = 2
    found_free = threading.Barrier(writers)

    def register(i: int) -> str | Exception:
        try:
            with open_storage().unit_of_work(tenant) as uow:
                archive = ib.register_archive(
                    cx(uow, CS, clock, policy=POLICY),
                    archive_id=f"A-{i}",
                    serial_number="SN-7",
                    product_code="AC-9000",
                    customer_id="C-1",
                    warranty_start=date(2025, 1, 1),
                    warranty_end=date(2027, 1, 1),
                )
                found_free.wait(timeout=30)  # both found the serial free before either commits
                uow.commit()
                return archive.id
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(register, range(writers)))
    won = [x for x in results if isinstance(x, str)]
    refused = [x for x in results if isinstance(x, ValidationError)]
    assert len(won) == 1, results
    assert [e.errors[0].path for e in refused] == ["serial_number"], results
    with open_storage().unit_of_work(tenant) as uow:
        assert [a.id for a in ib.archives_by_serial(cx(uow), "SN-7")] == won
