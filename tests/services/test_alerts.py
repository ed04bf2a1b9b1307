"""Alerts (seed 004 预警): computed from storage and the clock, never sent twice."""

from datetime import date, time, timedelta

import pytest
from desk_actors import CS, HOUR

from servicecore.adapters.notifiers import LoggingNotifier, RecordingNotifier
from servicecore.errors import PermissionDenied, ValidationError
from servicecore.lifecycle import ARCHIVE, TransitionContext
from servicecore.model.calendar import WorkingCalendar
from servicecore.model.common import TimeRange
from servicecore.model.contract import SlaTerm
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.sla import SlaPolicy
from servicecore.model.technician import Shift
from servicecore.ports import NotificationChannel
from servicecore.services import alerts as a
from servicecore.services import bookings as b
from servicecore.services import requests as r
from servicecore.services.notifications import NotifyingPublisher
from servicecore.testing import factories as f
from servicecore.testing.factories import command_context as cx
from servicecore.testing.factories import job_context as jx

TEAM = [
    (NotificationChannel.EMAIL, "service-desk@example.id"),
    (NotificationChannel.SMS, "+62 811 000"),
]
DEFAULT_SLA = SlaPolicy(
    calendar=WorkingCalendar.always("Asia/Jakarta"),
    term=SlaTerm(priority=Priority.NORMAL, response=2 * HOUR, resolution=8 * HOUR),
    currency="IDR",
)


def seed(storage, tenant, clock):
    with storage.unit_of_work(tenant) as uow:
        evenings = tuple(Shift(weekday=d, start=time(8), end=time(23)) for d in range(7))
        uow.technicians.add(f.technician(id="T-LATE", shifts=evenings))
        expiring = f.archive(id="A-1", service_expiry=date(2026, 3, 20))
        later = f.archive(id="A-2", serial_number="SN-2", service_expiry=date(2026, 9, 1))
        for archive in (expiring, later):
            ARCHIVE.create(archive, TransitionContext(actor=CS, at=clock.now()), uow.audit)
            ARCHIVE.fire(
                archive, "register", TransitionContext(actor=CS, at=clock.now()), uow.audit
            )
            uow.archives.add(archive)
        r.open_request(
            cx(uow, CS, clock, default_sla=DEFAULT_SLA),
            customer_id="C-1",
            service_type=ServiceType.REPAIR,
            symptoms="Warm air",
            archive_id="A-1",
            request_id="R-1",
        )
        start = clock.now() + 3 * HOUR
        b.book(
            cx(uow, CS, clock),
            customer=f.booking().customer,
            service_type=ServiceType.REPAIR,
            channel=f.booking().channel,
            slot=TimeRange(start, start + HOUR),
            location=f.HERE,
            booking_policy=f.booking().policy,
            booking_id="B-1",
        )
        uow.commit()


def kinds(run):
    return sorted((x.kind, x.entity_id, x.overdue) for x in run.raised)


def test_due_alerts_are_raised_and_notified_to_every_recipient(open_storage, tenant, clock):
    notifier = RecordingNotifier()
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    seed(storage, tenant, clock)
    before = len(notifier.sent)  # the customer's acknowledgement of the booking
    clock.advance(90 * timedelta(minutes=1))  # response due at +2h: within the hour
    run = a.run_alerts(jx(storage, tenant, clock), TEAM)
    assert kinds(run) == [
        ("booking-unconfirmed", "B-1", False),
        ("response-due", "R-1", False),
        ("service-expiry", "A-1", False),
    ]
    alerts = notifier.sent[before:]
    assert len(alerts) == 3 * len(TEAM)
    assert {n.to for n in alerts} == {to for _, to in TEAM}


def test_running_again_sends_nothing_twice(open_storage, tenant, clock):
    notifier = RecordingNotifier()
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    seed(storage, tenant, clock)
    first = a.run_alerts(jx(storage, tenant, clock), TEAM)
    sent = len(notifier.sent)
    again = a.run_alerts(jx(storage, tenant, clock), TEAM)
    assert again.raised == ()
    assert sorted(x.key for x in again.already_raised) == sorted(x.key for x in first.raised)
    assert len(notifier.sent) == sent


def test_an_alert_raised_ahead_is_raised_once_more_when_overdue(storage, tenant, clock):
    seed(storage, tenant, clock)
    clock.advance(1.5 * HOUR)
    ahead = a.run_alerts(jx(storage, tenant, clock), TEAM)
    assert ("response-due", "R-1", False) in kinds(ahead)
    clock.advance(7.5 * HOUR)  # past response (+2h) and resolution (+8h)
    run = a.run_alerts(jx(storage, tenant, clock), TEAM)
    assert ("resolution-due", "R-1", True) in kinds(run)
    assert ("response-due", "R-1", True) in kinds(run)  # the overdue warning (超期预警)
    again = a.run_alerts(jx(storage, tenant, clock), TEAM)
    assert again.raised == ()


def test_alerts_stop_when_the_cause_goes_away(storage, tenant, clock):
    seed(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        b.confirm_booking(cx(uow, CS, clock), "B-1")
        archive = uow.archives.get("A-1")
        ARCHIVE.fire(
            archive,
            "invalidate",
            TransitionContext(actor=CS, at=clock.now(), reason="scrapped"),
            uow.audit,
        )
        uow.archives.update(archive)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        found = {x.kind for x in a.due_alerts(uow, clock.now() + 1.5 * HOUR, a.AlertSettings())}
    assert found == {"response-due"}


def test_only_the_system_or_a_supervisor_runs_alerts(storage, tenant, clock):
    with pytest.raises(PermissionDenied):
        a.run_alerts(jx(storage, tenant, clock, actor=CS), TEAM)


def test_alerts_need_recipients(storage, tenant, clock):
    with pytest.raises(ValidationError, match="recipient"):
        a.run_alerts(jx(storage, tenant, clock), [])


def test_the_logging_notifier_delivers_alerts_to_the_log(open_storage, tenant, clock, caplog):
    storage = open_storage(publisher=NotifyingPublisher(LoggingNotifier()))
    seed(storage, tenant, clock)
    with caplog.at_level("INFO"):
        a.run_alerts(jx(storage, tenant, clock), TEAM[:1])
    assert "service-desk@example.id" in caplog.text
    assert storage.pending_events(tenant) == ()


def test_alerts_reach_a_real_smtp_server_once(open_storage, tenant, clock):
    import socket

    from aiosmtpd.controller import Controller

    from servicecore.adapters.notifiers import KEY_HEADER, SmtpNotifier

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
            import email
            import email.policy

            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
            return "250 Message accepted"

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        smtp = SmtpNotifier("127.0.0.1", port, sender="alerts@sejuk-abadi.id")
        storage = open_storage(publisher=NotifyingPublisher(smtp))
        seed(storage, tenant, clock)
        a.run_alerts(jx(storage, tenant, clock), TEAM[:1])
        a.run_alerts(jx(storage, tenant, clock), TEAM[:1])
    finally:
        server.stop()
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == [
        "[booking-unconfirmed] Booking B-1",
        "[service-expiry] ProductArchive A-1",
    ]
    assert all(m[KEY_HEADER].startswith("alert:") for m in inbox.messages)
