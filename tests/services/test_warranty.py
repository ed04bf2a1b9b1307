"""Warranty derived when work is recorded, and warranty and contract expiry warnings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.basics import FixedClock
from servicecore.model.archive import ArchiveStatus
from servicecore.model.common import Money, TimeRange
from servicecore.model.contract import ContractStatus
from servicecore.model.enums import ServiceType
from servicecore.model.processing import PartUsage
from servicecore.services import alerts as a
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

H = timedelta(hours=1)
TODAY = f.NOW.date()  # 2026-03-02
RELAY = PartUsage(part_code="RELAY-7", quantity=1, unit_price=Money("18.50", "EUR"))


@pytest.fixture
def desk(storage, tenant) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        uow.archives.add(
            f.archive(
                id="A-2",
                serial_number="SN-2",
                status=ArchiveStatus.REGISTERED,
                warranty_start=date(2024, 1, 1),
                warranty_end=date(2025, 12, 31),
            )
        )
        uow.commit()
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW))


def _work(desk: ServiceDesk, archive_id: str):
    request = desk.requests.open_request(
        CS, customer_id="C-1", service_type=ServiceType.REPAIR, symptoms="x", archive_id=archive_id
    )
    order = desk.dispatch.assign(SUP, request.id, "T-7", TimeRange(f.NOW + H, f.NOW + 2 * H))
    desk.dispatch.accept_dispatch(TECH, order.id)
    return desk.dispatch.start_dispatch(TECH, order.id)


def test_parts_on_a_product_in_warranty_are_not_charged(desk) -> None:
    work = desk.work.record_processing(TECH, _work(desk, "A-1").id, {"parts_used": (RELAY,)})
    assert (work.in_warranty, work.parts_used[0].charged) == (True, False)
    assert work.parts_charge().amount == Decimal(0)


def test_parts_on_a_product_out_of_warranty_are_charged(desk) -> None:
    work = desk.work.record_processing(TECH, _work(desk, "A-2").id, {"parts_used": (RELAY,)})
    assert (work.in_warranty, work.parts_used[0].charged) == (False, True)


def test_recording_hours_only_derives_nothing(desk) -> None:
    work = desk.work.record_processing(TECH, _work(desk, "A-1").id, {"labour_hours": Decimal("1")})
    assert work.in_warranty is None


DEFAULTS = a.AlertSettings()


def _alerts(storage, tenant, settings: a.AlertSettings = DEFAULTS):
    with storage.unit_of_work(tenant) as uow:
        return [x for x in a.due_alerts(uow, f.NOW, settings) if x.kind.endswith("-expiry")]


def test_a_warranty_ending_within_the_horizon_is_warned_about(storage, tenant) -> None:
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7", account_customers=("C-1",)))
        soon = f.archive(
            id="A-1", status=ArchiveStatus.REGISTERED, warranty_end=TODAY + timedelta(days=10)
        )
        later = f.archive(
            id="A-2",
            serial_number="SN-2",
            status=ArchiveStatus.REGISTERED,
            warranty_end=TODAY + timedelta(days=90),
        )
        uow.archives.add(soon)
        uow.archives.add(later)
        uow.commit()
    (alert,) = _alerts(storage, tenant)
    assert (alert.kind, alert.entity_id, alert.responsible) == ("warranty-expiry", "A-1", ("T-7",))


def test_an_active_contract_ending_within_the_horizon_is_warned_about(storage, tenant) -> None:
    with storage.unit_of_work(tenant) as uow:
        uow.contracts.add(
            f.contract(id="K-1", status=ContractStatus.ACTIVE, end=TODAY + timedelta(days=5))
        )
        uow.contracts.add(
            f.contract(id="K-2", status=ContractStatus.DRAFT, end=TODAY + timedelta(days=5))
        )
        uow.contracts.add(
            f.contract(id="K-3", status=ContractStatus.ACTIVE, end=TODAY + timedelta(days=60))
        )
        uow.commit()
    found = _alerts(storage, tenant, a.AlertSettings(warranty_expiry=timedelta(days=1)))
    assert [(x.kind, x.entity_id) for x in found] == [("contract-expiry", "K-1")]
