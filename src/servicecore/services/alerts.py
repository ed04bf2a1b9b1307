"""Alerts (seed 004, 预警): warnings computed from storage and the clock, sent once.

Four kinds:

- ``service-expiry``: a registered product's service expires within N days (主动服务);
- ``response-due``: a request not yet responded to is due for response soon, or is late;
- ``resolution-due``: a request not yet closed is due for resolution soon, or is late;
- ``booking-unconfirmed``: a requested booking whose slot is near is still not confirmed.

Each alert has a key made of its kind, its stage (ahead of time or overdue), its record and the
due moment. It travels as a
notification request in the outbox whose event id is that key, so raising it twice is refused by
storage: running the job again (every few minutes, from several servers) never sends an alert
twice. It is delivered after commit through the Notifier (see
:class:`~servicecore.services.notifications.NotifyingPublisher`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from servicecore.errors import DuplicateId, ValidationError
from servicecore.events import DomainEvent
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.request import ServiceRequest
from servicecore.ports import (
    Notification,
    NotificationChannel,
    Query,
    StaffDirectory,
    UnitOfWork,
)
from servicecore.serialization import unstructure
from servicecore.services.common import NOTIFICATION_EVENT
from servicecore.services.context import JobContext, job

__all__ = ["Alert", "AlertRun", "AlertSettings", "due_alerts", "run_alerts"]

_OPEN_REQUEST = ["open", "assigned", "in_progress", "on_hold", "resolved"]


@attrs.frozen
class Alert:
    """One warning.

    Attributes:
        kind: ``service-expiry``, ``response-due``, ``resolution-due`` or
            ``booking-unconfirmed``.
        entity_kind: The record it is about, e.g. ``"ServiceRequest"``.
        entity_id: Its id.
        due: The moment (or day, at midnight UTC) that is near or past.
        overdue: Whether the moment has passed.
        message: What to tell people.
        responsible: Who is responsible for the record (负责人): the request's responsible
            person and the technicians working on it, a booking's technician, a product's
            account specialists. The alert goes to them, the job's recipients only when none
            of them can be reached.
    """

    kind: str
    entity_kind: str
    entity_id: str
    due: datetime
    overdue: bool
    message: str
    responsible: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What makes the alert unique: kind, stage (ahead or overdue), record and due moment.

        The stage is part of it so that the warning ahead of time and the overdue warning
        (seed 004: 超期预警) are each raised once.
        """
        stage = "overdue" if self.overdue else "ahead"
        due = f"{self.due.astimezone(UTC):%Y%m%dT%H%MZ}"
        return f"alert:{self.kind}:{stage}:{self.entity_id}:{due}"


@attrs.frozen(kw_only=True)
class AlertSettings:
    """How far ahead to warn.

    Attributes:
        service_expiry: Warn this long before a product's service expires.
        warranty_expiry: Warn this long before a product's warranty ends.
        contract_expiry: Warn this long before an active service contract ends.
        response: Warn this long before a response is due.
        resolution: Warn this long before a resolution is due.
        unconfirmed: Warn this long before the slot of an unconfirmed booking.
    """

    service_expiry: timedelta = timedelta(days=30)
    warranty_expiry: timedelta = timedelta(days=30)
    contract_expiry: timedelta = timedelta(days=30)
    response: timedelta = timedelta(hours=1)
    resolution: timedelta = timedelta(hours=4)
    unconfirmed: timedelta = timedelta(hours=24)


@attrs.frozen
class AlertRun:
    """What one run of the alert job did.

    Attributes:
        raised: Alerts raised now (their notifications go out after commit).
        already_raised: Alerts found again that an earlier run had raised.
    """

    raised: tuple[Alert, ...]
    already_raised: tuple[Alert, ...]


def due_alerts(uow: UnitOfWork, now: datetime, settings: AlertSettings) -> Iterator[Alert]:
    """Yield every alert due at ``now``, whether or not it was raised before."""
    today = now.date()
    horizon = today + settings.service_expiry
    specialists: dict[str, list[str]] = {}
    for tech in uow.technicians.iterate(Query(equals={"active": True})):
        for customer in tech.account_customers:
            specialists.setdefault(customer, []).append(tech.id)
    working: dict[str, list[str]] = {}
    for order in uow.dispatches.iterate(
        Query(equals={"status": [s.value for s in DispatchStatus.live()]})
    ):
        working.setdefault(order.request_id, []).append(order.technician_id)

    def people(request: ServiceRequest) -> tuple[str, ...]:
        named = [request.responsible_id] if request.responsible_id else []
        return tuple(dict.fromkeys([*named, *working.get(request.id, ())]))

    for archive in uow.archives.iterate(
        Query(
            equals={"status": "registered"},
            at_least={"service_expiry": today},
            before={"service_expiry": horizon},
        )
    ):
        assert archive.service_expiry is not None  # the query asks for it
        due = datetime.combine(archive.service_expiry, datetime.min.time(), now.tzinfo)
        yield Alert(
            "service-expiry",
            "ProductArchive",
            archive.id,
            due,
            False,
            f"Service of {archive.product_code} serial {archive.serial_number} (customer "
            f"{archive.customer_id}) expires on {archive.service_expiry.isoformat()}",
            tuple(specialists.get(archive.customer_id, ())),
        )
    for archive in uow.archives.iterate(
        Query(
            equals={"status": "registered"},
            at_least={"warranty_end": today},
            before={"warranty_end": today + settings.warranty_expiry},
        )
    ):
        yield Alert(
            "warranty-expiry",
            "ProductArchive",
            archive.id,
            datetime.combine(archive.warranty_end, datetime.min.time(), now.tzinfo),
            False,
            f"Warranty of {archive.product_code} serial {archive.serial_number} (customer "
            f"{archive.customer_id}) ends on {archive.warranty_end.isoformat()}",
            tuple(specialists.get(archive.customer_id, ())),
        )
    for contract in uow.contracts.iterate(
        Query(
            equals={"status": "active"},
            at_least={"end": today},
            before={"end": today + settings.contract_expiry},
        )
    ):
        yield Alert(
            "contract-expiry",
            "ServiceContract",
            contract.id,
            datetime.combine(contract.end, datetime.min.time(), now.tzinfo),
            False,
            f"Service contract {contract.id} of customer {contract.customer_id} ends on "
            f"{contract.end.isoformat()}",
            tuple(specialists.get(contract.customer_id, ())),
        )
    for request in uow.requests.iterate(
        Query(
            equals={"status": ["open", "assigned"]},
            before={"response_due": now + settings.response},
        )
    ):
        if request.responded_at is None and request.response_due is not None:
            late = request.response_due <= now
            yield Alert(
                "response-due",
                "ServiceRequest",
                request.id,
                request.response_due,
                late,
                f"Request {request.id} ({request.priority.value}) "
                f"{'missed' if late else 'must get a response by'} "
                f"{request.response_due.isoformat()}",
                people(request),
            )
    for request in uow.requests.iterate(
        Query(
            equals={"status": _OPEN_REQUEST}, before={"resolution_due": now + settings.resolution}
        )
    ):
        assert request.resolution_due is not None
        late = request.resolution_due <= now
        yield Alert(
            "resolution-due",
            "ServiceRequest",
            request.id,
            request.resolution_due,
            late,
            f"Request {request.id} ({request.status.value}) "
            f"{'is past' if late else 'must be resolved by'} its resolution time "
            f"{request.resolution_due.isoformat()}",
            people(request),
        )
    for booking in uow.bookings.iterate(
        Query(equals={"status": "requested"}, before={"slot_start": now + settings.unconfirmed})
    ):
        late = booking.slot.start <= now
        yield Alert(
            "booking-unconfirmed",
            "Booking",
            booking.id,
            booking.slot.start,
            late,
            f"Booking {booking.reference} for {booking.slot.start.isoformat()} is not confirmed",
            (booking.technician_id,) if booking.technician_id else (),
        )


@job("send_alerts")
def run_alerts(
    jx: JobContext,
    /,
    recipients: Sequence[tuple[NotificationChannel, str]],
    *,
    settings: AlertSettings | None = None,
    staff: StaffDirectory | None = None,
) -> AlertRun:
    """Raise every due alert of the tenant that was not raised before, and tell its people.

    An alert goes to the people responsible for its record (see :attr:`Alert.responsible`)
    that ``staff`` can reach; to ``recipients`` when there is no directory or none of them can
    be reached. Each alert commits in its own unit of work (its notification requests in the
    outbox, with the alert key as event id), so one alert already raised does not hold back the
    others.

    Raises:
        PermissionDenied: The actor may not send alerts.
        ValidationError: No recipients.
    """
    if not recipients:
        raise ValidationError.single("recipients", recipients, "name at least one recipient")
    settings = settings or AlertSettings()
    now = jx.clock.now()
    with jx.storage.unit_of_work(jx.tenant) as uow:
        found = list(due_alerts(uow, now, settings))
    raised: list[Alert] = []
    again: list[Alert] = []
    for alert in found:
        reached = [
            address
            for person in alert.responsible
            for address in (staff.reach(person) if staff else ())
        ]
        try:
            with jx.storage.unit_of_work(jx.tenant) as uow:
                for n, (channel, to) in enumerate(dict.fromkeys(reached) or recipients):
                    note = Notification(
                        channel=channel,
                        to=to,
                        subject=f"[{alert.kind}] {alert.entity_kind} {alert.entity_id}",
                        body=alert.message,
                        key=alert.key,
                    )
                    uow.collect(
                        DomainEvent(
                            id=f"{alert.key}:{n}",
                            name=NOTIFICATION_EVENT,
                            entity_kind=alert.entity_kind,
                            entity_id=alert.entity_id,
                            occurred_at=now,
                            payload=unstructure(note),
                        )
                    )
                uow.commit()
        except DuplicateId:
            again.append(alert)
        else:
            raised.append(alert)
    return AlertRun(tuple(raised), tuple(again))
