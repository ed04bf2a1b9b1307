"""A host's own permission policy and a command of its own, both run through the desk.

Run: ``python examples/host_policy.py``. The ERP decides who may do what: its policy grants each
role a short list of permissions and refuses everything else, and lets technicians act only on
the dispatch orders assigned to them. Its master-data import is a command of its own, registered
with the permission it needs, so the desk asks the same policy before running it. The
documentation's permissions page shows this file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from servicecore import (
    Actor,
    DispatchOrder,
    PermissionDenied,
    Role,
    ServiceType,
    TechnicianId,
    TimeRange,
    ValidationError,
)
from servicecore.adapters import MemoryStorage
from servicecore.basics import FixedClock
from servicecore.model import GeoPoint, Shift, Technician
from servicecore.services.context import CommandContext, DeskSettings, command
from servicecore.services.desk import ServiceDesk

# -- the policy ---------------------------------------------------------------------------------


GRANTS: Mapping[Role, frozenset[str]] = {
    Role.CUSTOMER_SERVICE: frozenset({"manage_installed_base", "open_request", "assign"}),
    Role.TECHNICIAN: frozenset({"accept_dispatch", "reject_dispatch", "start_dispatch"}),
    Role.SYSTEM: frozenset({"import_master_data", "send_alerts", "deliver_outbox"}),
}


class ErpPolicy:
    """What the ERP grants each role, and nothing else: a permission not granted is refused."""

    def __init__(self, grants: Mapping[Role, frozenset[str]]) -> None:
        self.grants = grants

    def check(self, actor: Actor, command: str, subject: object | None = None) -> None:
        # Asked first with no subject (the actor alone), then with the record acted on.
        if not any(command in self.grants.get(role, ()) for role in actor.roles):
            raise PermissionDenied(f"{actor.id} may not {command}")
        if isinstance(subject, DispatchOrder) and subject.technician_id != actor.technician_id:
            raise PermissionDenied(f"{actor.id} may not {command}: {subject.id} is not theirs")


# -- the desk -----------------------------------------------------------------------------------

clock = FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
desk = ServiceDesk(
    MemoryStorage(), "acme", clock=clock, settings=DeskSettings(policy=ErpPolicy(GRANTS))
)
agent = Actor(id="cs-siti", roles={Role.CUSTOMER_SERVICE})
try:
    desk.quotes.quote_version(agent, "Q-1", 1)
except PermissionDenied as exc:
    print("refused:", exc)  # before quote Q-1 was even looked for

# -- a command of the host's own ----------------------------------------------------------------


@command("import_master_data")
def import_technicians(cx: CommandContext, /, technicians: Sequence[Technician]) -> int:
    """Add the ERP's field staff as technicians."""
    for technician in technicians:
        cx.uow.technicians.add(technician)
    return len(technicians)


erp_import = Actor(id="erp-import", roles={Role.SYSTEM})
week = tuple(Shift(weekday=d, start=time(8), end=time(17)) for d in range(5))
staff = [
    Technician(
        id=TechnicianId(tid),
        name=name,
        home=GeoPoint(lat=-6.2, lon=106.8),
        timezone="Asia/Jakarta",
        skills=("hvac",),
        shifts=week,
    )
    for tid, name in (("T-BUDI", "Budi"), ("T-WAYAN", "Wayan"))
]
print("technicians imported:", desk.run(import_technicians, erp_import, staff))

# -- what the desk will not run -----------------------------------------------------------------

try:
    desk.run(import_technicians, erp_import, staff[0])  # one technician, not a sequence
except ValidationError as exc:
    print("refused:", exc.errors[0].path, exc.errors[0].message)
try:
    desk.run(import_technicians, agent, staff)
except PermissionDenied as exc:
    print("refused:", exc)

# -- ownership: only the assigned technician answers a dispatch order ---------------------------

unit = desk.installed_base.register_archive(
    agent,
    serial_number="SN-AC9-000777",
    product_code="AC-9000",
    customer_id="C-1",
    warranty_start=date(2025, 6, 1),
    warranty_end=date(2027, 5, 31),
)
request = desk.requests.open_request(
    agent,
    customer_id="C-1",
    service_type=ServiceType.REPAIR,
    archive_id=unit.id,
    symptoms="Blows warm air",
    required_skills=("hvac",),
)
visit = TimeRange(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=3))
order = desk.dispatch.assign(agent, request.id, "T-BUDI", visit, dispatch_id="D-1")
wayan = Actor(id="u-wayan", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-WAYAN"))
budi = Actor(id="u-budi", roles={Role.TECHNICIAN}, technician_id=TechnicianId("T-BUDI"))
try:
    desk.dispatch.accept_dispatch(wayan, order.id)
except PermissionDenied as exc:
    print("refused:", exc)
print("accepted by Budi:", desk.dispatch.accept_dispatch(budi, order.id).status.value)
