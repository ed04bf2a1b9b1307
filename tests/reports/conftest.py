"""Storages for the report tests (memory, SQLite, and PostgreSQL when
SERVICECORE_TEST_POSTGRES_URL is set), each with a fresh tenant, and the hand-built data set."""

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from servicecore.adapters.memory import MemoryStorage
from servicecore.adapters.memory_reporting import reporting_for
from servicecore.model.booking import BookingStatus
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import Channel, Priority, ServiceType
from servicecore.model.parts import RequisitionLine, RequisitionStatus
from servicecore.model.request import Closure, RequestStatus
from servicecore.ports import Storage
from servicecore.reports import ReportingBackend
from servicecore.testing import factories as f

BACKENDS = ["memory", "sqlite"] + (
    ["postgres"] if os.environ.get("SERVICECORE_TEST_POSTGRES_URL") else []
)
NOW = f.NOW  # Monday 2026-03-02 09:00 UTC
H = timedelta(hours=1)
D = timedelta(days=1)
AS_OF = NOW + 2 * D


@pytest.fixture(scope="session")
def report_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from servicecore.adapters.sqlalchemy import upgrade
    from servicecore.adapters.sqlalchemy.engine import make_engine

    engine = make_engine(str(tmp_path_factory.mktemp("reports") / "reports.db"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def report_postgres() -> Iterator[object]:
    url = os.environ.get("SERVICECORE_TEST_POSTGRES_URL")
    if not url:
        yield None
        return
    import sqlalchemy as sa

    from servicecore.adapters.sqlalchemy import upgrade

    schema = f"sc_reports_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema},public"})
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, report_sqlite: object, report_postgres: object
) -> Storage:
    if request.param == "memory":
        return MemoryStorage()
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage

    engine = report_sqlite if request.param == "sqlite" else report_postgres
    return SQLAlchemyStorage(engine)  # type: ignore[arg-type]


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def backend(storage: Storage) -> ReportingBackend:
    return reporting_for(storage)


def _at(day: int, hour: int) -> TimeRange:
    start = NOW.replace(day=day, hour=hour)
    return TimeRange(start, start + 2 * H)


def _booking(i: int, start: object, status: BookingStatus, **kw: object) -> object:
    return f.booking(
        id=f"B-{i}",
        reference=f"REF-{i}",
        slot=TimeRange(start, start + 2 * H),  # type: ignore[operator]
        status=status,
        **kw,
    )


def _request(i: int, **kw: object) -> object:
    return f.request(id=f"R-{i}", **kw)


def _closure(at: object) -> Closure:
    return Closure(closed_at=at, closed_by="cs-1", summary="fixed")  # type: ignore[arg-type]


@pytest.fixture
def data(storage: Storage, tenant: str) -> None:
    """The hand-built data set the tests' known answers are counted from."""
    bookings = [
        _booking(1, NOW + H, BookingStatus.CONFIRMED, technician_id="T-1", channel=Channel.ONLINE),
        _booking(
            2, NOW + 4 * H, BookingStatus.CONFIRMED, technician_id="T-1", channel=Channel.ONLINE
        ),
        _booking(3, NOW + D + H, BookingStatus.CANCELLED, service_type=ServiceType.INSTALLATION),
        _booking(
            4,
            NOW + 6 * D + H,
            BookingStatus.COMPLETED,
            technician_id="T-2",
            channel=Channel.WALK_IN,
        ),
        _booking(
            5,
            NOW + 7 * D + H,
            BookingStatus.REQUESTED,
            technician_id="T-2",
            channel=Channel.WALK_IN,
        ),
        _booking(
            6,
            NOW.replace(month=4, day=1) + H,
            BookingStatus.REQUESTED,
            service_type=ServiceType.MAINTENANCE,
            channel=Channel.ONLINE,
        ),
    ]
    sla = {"response_due": NOW + H, "resolution_due": NOW + 8 * H}
    normal = {
        "priority": Priority.NORMAL,
        "response_due": NOW + 4 * H,
        "resolution_due": NOW + 5 * D,
    }
    urgent = {"priority": Priority.URGENT, **sla}
    requests = [
        _request(
            1,
            **urgent,
            responded_at=NOW + H / 2,
            closure=_closure(NOW + 5 * H),
            fault_cause="relay burnt",
            status=RequestStatus.CLOSED,
        ),
        _request(
            2,
            **urgent,
            responded_at=NOW + 2 * H,
            status=RequestStatus.IN_PROGRESS,
            fault_cause="relay burnt",
        ),
        _request(3, **normal, archive_id="A-2", fault_cause="seal leak"),
        _request(4, **normal, status=RequestStatus.CANCELLED),
        _request(5, priority=Priority.LOW, reported_at=NOW - 10 * D),
        _request(
            7,
            **normal,
            responded_at=NOW + 4 * H,
            closure=_closure(NOW + D),
            status=RequestStatus.CLOSED,
        ),
        _request(
            8,
            **normal,
            responded_at=NOW + 4 * H + timedelta(microseconds=1),
            status=RequestStatus.IN_PROGRESS,
        ),
        _request(9, service_type=ServiceType.CONSULT, archive_id=None, reported_at=AS_OF - H),
        _request(10, reported_at=AS_OF - 7 * D),
        # Reported after AS_OF: in no SLA count, in no monitoring row.
        f.request(
            id="R-6",
            reported_at=AS_OF + H,
            response_due=AS_OF + 2 * H,
            resolution_due=AS_OF + 3 * H,
        ),
    ]
    dispatches = [
        f.dispatch(id="D-1", technician_id="T-1", planned=_at(5, 10)),
        f.dispatch(
            id="D-2", technician_id="T-1", planned=_at(5, 13), status=DispatchStatus.COMPLETED
        ),
        f.dispatch(id="D-3", technician_id="T-1", planned=_at(6, 10)),
        f.dispatch(id="D-4", technician_id="T-2", planned=_at(5, 10)),
        f.dispatch(
            id="D-5", technician_id="T-2", planned=_at(5, 14), status=DispatchStatus.ACCEPTED
        ),
        f.dispatch(
            id="D-6", technician_id="T-2", planned=_at(7, 9), status=DispatchStatus.REJECTED
        ),
    ]
    surveys = [
        f.survey(id="S-1", request_id="R-1", technician_id="T-1", score=5, sla_met=True),
        f.survey(id="S-2", request_id="R-2", technician_id="T-1", score=3, sla_met=False),
        f.survey(id="S-3", request_id="R-3", technician_id="T-2", score=4, sla_met=True),
        f.survey(id="S-4", request_id="R-4", technician_id=None, score=1, sla_met=False),
        f.survey(id="S-5", request_id="R-5", technician_id="T-3", score=2, sla_met=False),
    ]

    def line(part: str, quantity: int, charged: bool) -> RequisitionLine:
        return RequisitionLine(part_code=part, quantity=quantity, charged=charged)

    requisitions = [
        f.parts_requisition(
            id="PR-1",
            lines=(line("P-A", 2, True), line("P-B", 1, False)),
            status=RequisitionStatus.ISSUED,
        ),
        f.parts_requisition(
            id="PR-2",
            lines=(line("P-A", 3, True), line("P-C", 1, False)),
            status=RequisitionStatus.ISSUED,
        ),
        f.parts_requisition(id="PR-3", lines=(line("P-A", 5, False),)),
        f.parts_requisition(
            id="PR-4", lines=(line("P-B", 4, True),), status=RequisitionStatus.CANCELLED
        ),
    ]
    archives = [
        f.archive(id="A-1", product_code="PX-100"),
        f.archive(id="A-2", serial_number="SN-0002", product_code="PX-200"),
    ]
    with storage.unit_of_work(tenant) as uow:
        for archive in archives:
            uow.archives.add(archive)
        for requisition in requisitions:
            uow.requisitions.add(requisition)
        for b in bookings:
            uow.bookings.add(b)
        for r in requests:
            uow.requests.add(r)
        for d in dispatches:
            uow.dispatches.add(d)
        for survey in surveys:
            uow.surveys.add(survey)
        uow.commit()
