"""A day plan goes around every dispatched job, whether or not its request has a location."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from servicecore.model.common import TimeRange
from servicecore.model.request import RequestStatus
from servicecore.services.planning import HELD_PREFIX, problem_for_day
from servicecore.testing import factories as f

TUESDAY = date(2026, 3, 3)


def test_a_dispatched_job_without_a_location_still_holds_its_time(storage, tenant) -> None:
    jakarta = ZoneInfo("Asia/Jakarta")
    held = TimeRange(
        datetime.combine(TUESDAY, time(8), jakarta), datetime.combine(TUESDAY, time(10), jakarta)
    )
    with storage.unit_of_work(tenant) as uow:
        uow.technicians.add(f.technician(id="T-7"))
        uow.requests.add(f.request(id="R-1", location=None, status=RequestStatus.ASSIGNED))
        uow.dispatches.add(
            f.dispatch(id="D-1", request_id="R-1", technician_id="T-7", planned=held)
        )
        uow.requests.add(f.request(id="R-2"))
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        day = problem_for_day(uow, TUESDAY, "Asia/Jakarta", now=f.NOW)
    pinned = {j.id: j for j in day.problem.jobs if j.id.startswith(HELD_PREFIX)}
    assert f"{HELD_PREFIX}D-1" in pinned
    assert pinned[f"{HELD_PREFIX}D-1"].pinned_technician == "T-7"
