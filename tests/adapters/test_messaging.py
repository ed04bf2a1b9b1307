"""SMS and chat notifiers over HTTP, against a local HTTP server, and the channel router."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from servicecore.adapters.messaging import (
    IDEMPOTENCY_HEADER,
    ChannelRouter,
    ChatWebhookNotifier,
    HttpEndpoint,
    SmsGatewayNotifier,
)
from servicecore.adapters.notifiers import NotificationError, RecordingNotifier
from servicecore.errors import ValidationError
from servicecore.ports import Notification, NotificationChannel


class Gateway:
    """A local HTTP endpoint that answers with scripted statuses and records what it got."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.delay = 0.0
        self.received: list[tuple[dict[str, str], dict[str, object]]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                gateway.received.append((dict(self.headers), body))
                if gateway.delay:
                    time.sleep(gateway.delay)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    yield server
    server.close()


@pytest.fixture
def waits() -> list[float]:
    return []


def _endpoint(gateway: Gateway, waits: list[float], **kw: object) -> HttpEndpoint:
    return HttpEndpoint(gateway.url, token="s3cret", sleep=waits.append, **kw)  # type: ignore[arg-type]


def _sms(**kw: object) -> Notification:
    fields = {
        "channel": NotificationChannel.SMS,
        "to": "+62 812 555 0101",
        "subject": "Booking confirmed",
        "body": "Your visit is on Tuesday 09:00.",
        "key": "booking:B-1:confirmed",
    }
    return Notification(**{**fields, **kw})  # type: ignore[arg-type]


def _im(**kw: object) -> Notification:
    return _sms(channel=NotificationChannel.IM, to="@wayan", key="alert:R-7", **kw)


def test_an_sms_is_posted_as_json_with_the_key_and_the_token(gateway, waits) -> None:
    SmsGatewayNotifier(_endpoint(gateway, waits), sender="ACME").send(_sms())
    headers, body = gateway.received[0]
    assert body == {
        "to": "+62 812 555 0101",
        "from": "ACME",
        "text": "Your visit is on Tuesday 09:00.",
        "reference": "booking:B-1:confirmed",
    }
    assert headers[IDEMPOTENCY_HEADER] == "booking:B-1:confirmed"
    assert headers["Authorization"] == "Bearer s3cret"


def test_a_server_error_is_retried_with_growing_waits(gateway, waits) -> None:
    gateway.statuses = [503, 502]
    SmsGatewayNotifier(_endpoint(gateway, waits, retries=2, backoff=0.5), sender="ACME").send(
        _sms()
    )
    assert len(gateway.received) == 3
    assert waits == [0.5, 1.0]


def test_every_retry_carries_the_same_key(gateway, waits) -> None:
    gateway.statuses = [429]
    SmsGatewayNotifier(_endpoint(gateway, waits), sender="ACME").send(_sms())
    keys = {h[IDEMPOTENCY_HEADER] for h, _ in gateway.received}
    assert keys == {"booking:B-1:confirmed"}


def test_still_failing_after_the_retries_is_a_transient_error(gateway, waits) -> None:
    gateway.statuses = [500, 500, 500]
    with pytest.raises(NotificationError) as info:
        SmsGatewayNotifier(_endpoint(gateway, waits, retries=2), sender="ACME").send(_sms())
    assert not info.value.permanent
    assert "after 3 attempts" in str(info.value)


def test_a_refusal_is_permanent_and_not_retried(gateway, waits) -> None:
    gateway.statuses = [400]
    with pytest.raises(NotificationError) as info:
        SmsGatewayNotifier(_endpoint(gateway, waits), sender="ACME").send(_sms())
    assert info.value.permanent
    assert len(gateway.received) == 1


def test_no_reply_within_the_timeout_is_transient(gateway, waits) -> None:
    gateway.delay = 0.5
    endpoint = _endpoint(gateway, waits, timeout=0.1, retries=1)
    with pytest.raises(NotificationError) as info:
        ChatWebhookNotifier(endpoint).send(_im())
    assert not info.value.permanent
    assert "no reply within 0.1 s" in str(info.value)


def test_an_unreachable_endpoint_is_transient(waits) -> None:
    probe = Gateway()
    url = probe.url
    probe.close()
    endpoint = HttpEndpoint(url, retries=1, sleep=waits.append)
    with pytest.raises(NotificationError) as info:
        ChatWebhookNotifier(endpoint).send(_im())
    assert not info.value.permanent
    assert "cannot reach" in str(info.value)


def test_a_chat_message_carries_subject_and_body(gateway, waits) -> None:
    ChatWebhookNotifier(_endpoint(gateway, waits)).send(_im())
    _, body = gateway.received[0]
    assert body == {
        "to": "@wayan",
        "text": "Booking confirmed\n\nYour visit is on Tuesday 09:00.",
        "key": "alert:R-7",
    }


def test_an_sms_to_something_that_is_not_a_number_is_refused(gateway, waits) -> None:
    with pytest.raises(NotificationError) as info:
        SmsGatewayNotifier(_endpoint(gateway, waits), sender="ACME").send(
            _sms(to="budi@example.com")
        )
    assert info.value.permanent
    assert gateway.received == []


def test_an_sms_longer_than_the_limit_is_refused_not_cut(gateway, waits) -> None:
    sms = SmsGatewayNotifier(_endpoint(gateway, waits), sender="ACME", max_length=20)
    with pytest.raises(NotificationError) as info:
        sms.send(_sms())
    assert info.value.permanent
    assert "max_length 20" in str(info.value)


def test_a_notifier_refuses_another_channel(gateway, waits) -> None:
    with pytest.raises(NotificationError) as info:
        SmsGatewayNotifier(_endpoint(gateway, waits), sender="ACME").send(_im())
    assert info.value.permanent


def test_the_router_sends_each_notification_on_its_channel() -> None:
    email, sms = RecordingNotifier(), RecordingNotifier()
    router = ChannelRouter({NotificationChannel.EMAIL: email, NotificationChannel.SMS: sms})
    router.send(_sms())
    router.send(_sms(channel=NotificationChannel.EMAIL, to="budi@example.com", key="k2"))
    assert [n.key for n in sms.sent] == ["booking:B-1:confirmed"]
    assert [n.key for n in email.sent] == ["k2"]


def test_the_router_refuses_a_channel_it_has_no_notifier_for() -> None:
    router = ChannelRouter({NotificationChannel.EMAIL: RecordingNotifier()})
    with pytest.raises(NotificationError) as info:
        router.send(_im())
    assert info.value.permanent
    assert "no notifier for channel im" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "ftp://gateway"}, "url"),
        ({"url": "http://"}, "url"),
        ({"token": "a\nb"}, "token"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"retries": -1}, "retries"),
        ({"retries": 11}, "retries"),
        ({"backoff": -1}, "backoff"),
    ],
)
def test_bad_endpoint_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments = {"url": "http://127.0.0.1/send", **kwargs}
    with pytest.raises(ValidationError) as info:
        HttpEndpoint(**arguments)  # type: ignore[arg-type]
    assert info.value.errors[0].path == field


def test_the_token_is_never_shown_in_errors() -> None:
    with pytest.raises(ValidationError) as info:
        HttpEndpoint("http://127.0.0.1/send", token="top\nsecret")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("routes", "field"),
    [
        ({}, "routes"),
        ({"sms": RecordingNotifier()}, "routes['sms']"),
        ({NotificationChannel.SMS: object()}, "routes[sms]"),
    ],
)
def test_bad_routes_name_the_field(routes: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ChannelRouter(routes)  # type: ignore[arg-type]
    assert info.value.errors[0].path == field


def test_bad_sms_settings_name_the_field() -> None:
    endpoint = HttpEndpoint("http://127.0.0.1/send")
    for kwargs, field in (
        ({"sender": ""}, "sender"),
        ({"sender": "A", "max_length": 0}, "max_length"),
    ):
        with pytest.raises(ValidationError) as info:
            SmsGatewayNotifier(endpoint, **kwargs)  # type: ignore[arg-type]
        assert info.value.errors[0].path == field
