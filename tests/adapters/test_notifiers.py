"""Notifier adapters; SmtpNotifier against a real SMTP server (aiosmtpd) on 127.0.0.1."""

import email
import email.policy
import logging
import pickle
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from servicecore.adapters.notifiers import (
    KEY_HEADER,
    LoggingNotifier,
    NotificationError,
    RecordingNotifier,
    SmtpNotifier,
)
from servicecore.errors import ServicecoreError, ValidationError
from servicecore.ports import Notification, NotificationChannel

SENDER = "Service Desk <service@servicecore.test>"


def note(**overrides: object) -> Notification:
    fields: dict[str, object] = {
        "channel": NotificationChannel.EMAIL,
        "to": "budi@customer.test",
        "subject": "Booking SB-7K2Q confirmed",
        "body": "Dear Budi,\nyour technician arrives on Monday between 09:00 and 11:00.\n",
        "key": "booking:confirmed:SB-7K2Q",
    }
    return Notification(**(fields | overrides))  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Collector:
    """aiosmtpd handler: keeps every message; refuses recipients at refused.test (5xx)
    and busy.test (4xx)."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.endswith("@refused.test"):
            return "550 5.1.1 no such mailbox"
        if address.endswith("@busy.test"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 Message accepted"


def start(controller_factory: type[Controller], **kwargs: object) -> tuple[Controller, int]:
    # A free port can be taken between probing and binding; try a few.
    for _ in range(5):
        port = free_port()
        controller = controller_factory(hostname="127.0.0.1", port=port, **kwargs)
        try:
            controller.start()
        except OSError:
            continue
        return controller, port
    raise RuntimeError("no free port for the SMTP test server")


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def smtp_port(collector: Collector) -> Iterator[int]:
    controller, port = start(Controller, handler=collector)
    yield port
    controller.stop()


def test_sends_an_email_with_headers_body_and_key(collector: Collector, smtp_port: int) -> None:
    SmtpNotifier("127.0.0.1", smtp_port, sender=SENDER).send(note())

    [(envelope, message)] = collector.messages
    assert envelope.mail_from == "service@servicecore.test"
    assert envelope.rcpt_tos == ["budi@customer.test"]
    assert message["From"] == SENDER
    assert message["To"] == "budi@customer.test"
    assert message["Subject"] == "Booking SB-7K2Q confirmed"
    assert message[KEY_HEADER] == "booking:confirmed:SB-7K2Q"
    assert message["Date"]
    assert message["Message-ID"].endswith("@servicecore.test>")
    body = message.get_body()
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == note().body


def test_non_ascii_subject_and_body_arrive_intact(collector: Collector, smtp_port: int) -> None:
    notifier = SmtpNotifier("127.0.0.1", smtp_port, sender=SENDER)
    notifier.send(
        note(subject="维修预约已确认 — reservasi dikonfirmasi", body="您好, 技师周一上门。")
    )

    [(_, message)] = collector.messages
    assert message["Subject"] == "维修预约已确认 — reservasi dikonfirmasi"
    body = message.get_body()
    assert body is not None
    assert body.get_content().strip() == "您好, 技师周一上门。"


def test_message_id_is_stable_per_key_and_recipient(collector: Collector, smtp_port: int) -> None:
    notifier = SmtpNotifier("127.0.0.1", smtp_port, sender=SENDER)
    notifier.send(note())
    notifier.send(note())  # a retry of the same notification
    notifier.send(note(key="booking:reminder:SB-7K2Q"))
    notifier.send(note(to="sari@customer.test"))

    ids = [message["Message-ID"] for _, message in collector.messages]
    assert ids[0] == ids[1]
    assert len(set(ids)) == 3


def test_refused_recipient_is_a_permanent_notification_error(
    collector: Collector, smtp_port: int
) -> None:
    notifier = SmtpNotifier("127.0.0.1", smtp_port, sender=SENDER)

    with pytest.raises(NotificationError, match=r"refused\.test") as caught:
        notifier.send(note(to="nobody@refused.test"))

    assert caught.value.permanent
    assert isinstance(caught.value.__cause__, smtplib.SMTPRecipientsRefused)
    assert collector.messages == []


def test_temporarily_refused_recipient_is_a_transient_error(smtp_port: int) -> None:
    notifier = SmtpNotifier("127.0.0.1", smtp_port, sender=SENDER)

    with pytest.raises(NotificationError) as caught:
        notifier.send(note(to="someone@busy.test"))

    assert not caught.value.permanent


def test_a_dead_server_is_a_transient_notification_error() -> None:
    notifier = SmtpNotifier("127.0.0.1", free_port(), sender=SENDER, timeout=2)

    with pytest.raises(NotificationError, match="unreachable") as caught:
        notifier.send(note())

    assert isinstance(caught.value, ServicecoreError)
    assert isinstance(caught.value.__cause__, OSError)
    assert not caught.value.permanent


def test_other_channels_are_refused_before_connecting() -> None:
    notifier = SmtpNotifier("127.0.0.1", free_port(), sender=SENDER)

    with pytest.raises(ValidationError) as caught:
        notifier.send(note(channel=NotificationChannel.SMS, to="+628123456789"))

    assert caught.value.errors[0].path == "channel"


@pytest.mark.parametrize(
    "to",
    ["not-an-address", "a@x.test, b@y.test", "a@x.test\r\nBcc: evil@z.test"],
)
def test_recipient_must_be_one_address(to: str) -> None:
    notifier = SmtpNotifier("127.0.0.1", free_port(), sender=SENDER)

    with pytest.raises(ValidationError) as caught:
        notifier.send(note(to=to))

    assert caught.value.errors[0].path == "to"


def test_a_line_break_in_the_subject_is_refused() -> None:
    notifier = SmtpNotifier("127.0.0.1", free_port(), sender=SENDER)

    with pytest.raises(ValidationError) as caught:
        notifier.build_message(note(subject="Hello\r\nBcc: evil@z.test"))

    assert caught.value.errors[0].path == "subject"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"host": ""}, "host"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"sender": "service desk"}, "sender"),
        ({"password": "secret"}, "password"),
        ({"ssl": True, "starttls": True}, "starttls"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], field: str) -> None:
    settings: dict[str, object] = {"host": "127.0.0.1", "port": 25, "sender": SENDER} | kwargs
    with pytest.raises(ValidationError) as caught:
        SmtpNotifier(**settings)  # type: ignore[arg-type]

    assert caught.value.errors[0].path == field


def test_the_password_stays_out_of_repr() -> None:
    notifier = SmtpNotifier(
        "smtp.example.test", 587, sender=SENDER, username="svc", password="hunter2", starttls=True
    )
    assert "hunter2" not in repr(notifier)


def test_notification_error_pickles_with_its_flag() -> None:
    error = pickle.loads(pickle.dumps(NotificationError("gone", permanent=True)))
    assert str(error) == "gone"
    assert error.permanent


# --- TLS: a self-signed certificate for 127.0.0.1, made with the openssl command line tool ---


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


class Accounts:
    """aiosmtpd authenticator: one account, svc / s3cret."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"svc", b"s3cret")
        if ok:
            self.logins.append(mechanism)
        # handled=False: aiosmtpd then answers 535 itself; True would leave the client waiting.
        return AuthResult(success=ok, handled=False)


def test_starttls_with_login(collector: Collector, certificate: tuple[Path, Path]) -> None:
    accounts = Accounts()
    controller, port = start(
        Controller,
        handler=collector,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=accounts,
        auth_require_tls=True,
    )
    try:
        notifier = SmtpNotifier(
            "127.0.0.1",
            port,
            sender=SENDER,
            username="svc",
            password="s3cret",
            starttls=True,
            ssl_context=client_context(certificate),
        )
        notifier.send(note())
        wrong = SmtpNotifier(
            "127.0.0.1",
            port,
            sender=SENDER,
            username="svc",
            password="wrong",
            starttls=True,
            ssl_context=client_context(certificate),
        )
        with pytest.raises(NotificationError) as caught:
            wrong.send(note(key="second"))
    finally:
        controller.stop()

    assert len(accounts.logins) == 1
    [(_, message)] = collector.messages
    assert message[KEY_HEADER] == "booking:confirmed:SB-7K2Q"
    assert caught.value.permanent  # 535 authentication failed


def test_starttls_refuses_an_untrusted_certificate(
    collector: Collector, certificate: tuple[Path, Path]
) -> None:
    controller, port = start(
        Controller,
        handler=collector,
        tls_context=server_context(certificate),
        require_starttls=True,
    )
    try:
        notifier = SmtpNotifier("127.0.0.1", port, sender=SENDER, starttls=True)
        with pytest.raises(NotificationError) as caught:
            notifier.send(note())
    finally:
        controller.stop()

    assert isinstance(caught.value.__cause__, ssl.SSLError)
    assert collector.messages == []


def test_implicit_tls(collector: Collector, certificate: tuple[Path, Path]) -> None:
    controller, port = start(Controller, handler=collector, ssl_context=server_context(certificate))
    try:
        notifier = SmtpNotifier(
            "127.0.0.1", port, sender=SENDER, ssl=True, ssl_context=client_context(certificate)
        )
        notifier.send(note())
    finally:
        controller.stop()

    [(_, message)] = collector.messages
    assert message["Subject"] == "Booking SB-7K2Q confirmed"


# --- LoggingNotifier and RecordingNotifier ---


def test_logging_notifier_logs_structured_fields_without_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.notifications")
    with caplog.at_level(logging.INFO, logger="test.notifications"):
        LoggingNotifier(logger).send(note())

    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert (record.channel, record.to, record.key) == (  # type: ignore[attr-defined]
        "email",
        "budi@customer.test",
        "booking:confirmed:SB-7K2Q",
    )
    assert record.subject == "Booking SB-7K2Q confirmed"  # type: ignore[attr-defined]
    assert "booking:confirmed:SB-7K2Q" in record.getMessage()
    assert "technician arrives" not in record.getMessage()


def test_logging_notifier_uses_the_servicecore_logger_by_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="servicecore.notifications"):
        LoggingNotifier().send(note())

    assert [r.name for r in caplog.records] == ["servicecore.notifications"]


def test_recording_notifier_keeps_what_was_sent_in_order() -> None:
    notifier = RecordingNotifier()
    notifier.send(note(key="a"))
    notifier.send(note(key="b"))

    assert notifier.keys() == ("a", "b")
    assert notifier.sent[0].to == "budi@customer.test"
    notifier.clear()
    assert notifier.sent == ()
    assert notifier.attempts == 0


def test_recording_notifier_fails_the_next_n_sends_then_recovers() -> None:
    notifier = RecordingNotifier()
    notifier.fail_next(2)

    for _ in range(2):
        with pytest.raises(NotificationError):
            notifier.send(note())
    notifier.send(note())

    assert notifier.attempts == 3
    assert notifier.keys() == ("booking:confirmed:SB-7K2Q",)


@pytest.mark.parametrize("count", [-1, 1.5, True])
def test_recording_notifier_refuses_a_bad_failure_count(count: object) -> None:
    with pytest.raises(ValidationError):
        RecordingNotifier().fail_next(count)  # type: ignore[arg-type]


def test_recording_notifier_is_thread_safe() -> None:
    notifier = RecordingNotifier()
    notifier.fail_next(50)
    failures: list[NotificationError] = []
    failures_lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(100):
            try:
                notifier.send(note(key=f"{n}:{i}"))
            except NotificationError as exc:
                with failures_lock:
                    failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert notifier.attempts == 800
    assert len(failures) == 50
    assert len(notifier.sent) == 750
    assert len(set(notifier.keys())) == 750
