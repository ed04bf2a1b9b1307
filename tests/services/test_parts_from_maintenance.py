"""The spare-part plan counts the visits the maintenance plans of active contracts promise."""

from datetime import date

from desk_actors import SUP

from servicecore.lifecycle import ARCHIVE, CONTRACT, TransitionContext
from servicecore.model.archive import ArchivePart
from servicecore.model.maintenance import MaintenancePlan, Recurrence, RecurrenceKind
from servicecore.services.maintenance import maintenance_visits
from servicecore.testing import factories as f


def test_maintenance_visits_come_from_active_contracts_within_their_period(storage, tenant, clock):
    plan = MaintenancePlan(
        id="PM-1",
        description="Monthly coil cleaning",
        recurrence=Recurrence(
            kind=RecurrenceKind.MONTHLY, start=date(2026, 1, 15), day_of_month=15
        ),
    )
    with storage.unit_of_work(tenant) as uow:
        unit = f.archive(parts=(ArchivePart(part_code="FILTER-1", quantity=2),))
        ARCHIVE.create(unit, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        ARCHIVE.fire(unit, "register", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        uow.archives.add(unit)
        active = f.contract(end=date(2026, 5, 31), maintenance_plans=(plan,))
        CONTRACT.create(active, TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        CONTRACT.fire(active, "activate", TransitionContext(actor=SUP, at=clock.now()), uow.audit)
        uow.contracts.add(active)
        uow.contracts.add(f.contract(id="K-draft", maintenance_plans=(plan,)))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        visits = maintenance_visits(uow, date(2026, 3, 1), date(2026, 8, 31))
    assert visits == [
        ("A-1", date(2026, 3, 15)),
        ("A-1", date(2026, 4, 15)),
        ("A-1", date(2026, 5, 15)),
    ]
