"""Units inside units (a machine inside a plant) and products by site in the host's hierarchy."""

import pytest
from desk_actors import CS, TECH

from servicecore.adapters.sites import MemorySites
from servicecore.basics import FixedClock
from servicecore.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from servicecore.model.archive import ArchiveStatus
from servicecore.ports import Site
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

SITES = MemorySites(
    [
        Site(id="JKT", name="Jakarta region"),
        Site(id="P1", name="Plant 1", parent_id="JKT"),
        Site(id="P1-HB", name="Plant 1, hall B", parent_id="P1"),
        Site(id="P2", name="Plant 2", parent_id="JKT"),
    ]
)


@pytest.fixture
def desk(storage, tenant) -> ServiceDesk:
    units = [
        ("LINE-1", "P1", ArchiveStatus.REGISTERED, "C-1"),
        ("PRESS-1", "P1-HB", ArchiveStatus.REGISTERED, "C-1"),
        ("MOTOR-1", "P1-HB", ArchiveStatus.REGISTERED, "C-1"),
        ("CHILLER", "P2", ArchiveStatus.REGISTERED, "C-1"),
        ("OLD", "P2", ArchiveStatus.INVALIDATED, "C-1"),
        ("OTHERS", "P2", ArchiveStatus.REGISTERED, "C-2"),
    ]
    with storage.unit_of_work(tenant) as uow:
        for archive_id, site, status, customer in units:
            uow.archives.add(
                f.archive(
                    id=archive_id,
                    serial_number=f"SN-{archive_id}",
                    site_id=site,
                    status=status,
                    customer_id=customer,
                )
            )
        uow.commit()
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW))


def test_units_inside_a_unit_at_any_depth(desk) -> None:
    desk.installed_base.set_archive_parent(CS, "PRESS-1", "LINE-1")
    desk.installed_base.set_archive_parent(CS, "MOTOR-1", "PRESS-1")
    assert [a.id for a in desk.installed_base.units_of(CS, "LINE-1")] == ["PRESS-1", "MOTOR-1"]


def test_a_unit_taken_out_has_no_parent(desk) -> None:
    desk.installed_base.set_archive_parent(CS, "PRESS-1", "LINE-1")
    assert desk.installed_base.set_archive_parent(CS, "PRESS-1", None).parent_id is None
    assert desk.installed_base.units_of(CS, "LINE-1") == []


def test_a_unit_cannot_contain_itself(desk) -> None:
    desk.installed_base.set_archive_parent(CS, "PRESS-1", "LINE-1")
    desk.installed_base.set_archive_parent(CS, "MOTOR-1", "PRESS-1")
    with pytest.raises(ValidationError) as info:
        desk.installed_base.set_archive_parent(CS, "LINE-1", "MOTOR-1")
    assert info.value.errors[0].path == "parent_id"
    with pytest.raises(ValidationError):
        desk.installed_base.set_archive_parent(CS, "LINE-1", "LINE-1")


def test_another_customers_unit_is_refused(desk) -> None:
    with pytest.raises(ValidationError) as info:
        desk.installed_base.set_archive_parent(CS, "CHILLER", "OTHERS")
    assert "C-2" in str(info.value)


def test_an_invalidated_parent_is_refused(desk) -> None:
    with pytest.raises(ValidationError) as info:
        desk.installed_base.set_archive_parent(CS, "CHILLER", "OLD")
    assert info.value.errors[0].path == "parent_id"


def test_an_invalidated_archive_is_not_placed(desk) -> None:
    with pytest.raises(InvalidTransition):
        desk.installed_base.set_archive_parent(CS, "OLD", "CHILLER")


def test_placing_is_audited(desk, storage, tenant) -> None:
    desk.installed_base.set_archive_parent(CS, "PRESS-1", "LINE-1")
    with storage.unit_of_work(tenant) as uow:
        assert uow.audit.entries("ProductArchive", "PRESS-1")[-1].trigger == "set_parent"


def test_a_technician_may_not_place_units(desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.installed_base.set_archive_parent(TECH, "PRESS-1", "LINE-1")


def test_products_at_a_site_and_the_sites_inside_it(desk) -> None:
    found = desk.installed_base.archives_at_site(CS, "P1", sites=SITES)
    assert sorted(a.id for a in found) == ["LINE-1", "MOTOR-1", "PRESS-1"]
    only = desk.installed_base.archives_at_site(CS, "P1", sites=SITES, within=False)
    assert [a.id for a in only] == ["LINE-1"]
    region = desk.installed_base.archives_at_site(CS, "JKT", sites=SITES)
    assert len(region) == 6


def test_an_unknown_site_is_not_found(desk) -> None:
    with pytest.raises(NotFound):
        desk.installed_base.archives_at_site(CS, "MARS", sites=SITES)


@pytest.mark.parametrize(
    ("sites", "path"),
    [
        ([Site(id="A", name="a"), Site(id="A", name="b")], "sites"),
        ([Site(id="A", name="a", parent_id="Z")], "sites[A].parent_id"),
        (
            [Site(id="A", name="a", parent_id="B"), Site(id="B", name="b", parent_id="A")],
            "sites[A].parent_id",
        ),
    ],
)
def test_a_broken_site_hierarchy_is_refused(sites, path) -> None:
    with pytest.raises(ValidationError) as info:
        MemorySites(sites)
    assert info.value.errors[0].path == path
