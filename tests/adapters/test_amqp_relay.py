import json
import os
import uuid
from datetime import timedelta

import pytest

from servicecore import SYSTEM, Actor, Role, ServiceDesk, ServiceType
from servicecore.adapters import MemoryStorage
from servicecore.adapters.amqp import AmqpDeliveryError, AmqpRelay, idempotency_key
from servicecore.events import RetryPolicy

pika = pytest.importorskip("pika")

URL = os.environ.get("SERVICECORE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
AGENT = Actor(id="cs-siti", roles={Role.CUSTOMER_SERVICE})


@pytest.fixture
def broker():
    try:
        connection = pika.BlockingConnection(pika.URLParameters(URL))
    except pika.exceptions.AMQPError as exc:
        reason = f"no RabbitMQ broker at {URL} ({exc!r}); set SERVICECORE_TEST_AMQP_URL"
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the broker tests: {reason}")
        pytest.skip(reason)
    yield connection.channel()
    connection.close()


@pytest.fixture
def relays():
    made = []

    def make(url=URL, **options):
        made.append(AmqpRelay(url, **options))
        return made[-1]

    yield make
    for relay in made:
        relay.close()


@pytest.fixture
def exchange():
    return f"servicecore.test.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def desk():
    # No in-process publisher: every event waits in the outbox for the relay.
    return ServiceDesk(MemoryStorage(), tenant="acme")


def bind_queue(channel, exchange):
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    channel.queue_bind(queue=queue, exchange=exchange, routing_key="acme.#")
    return queue


def drain(channel, queue):
    messages = []
    while True:
        method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            return messages
        messages.append((method, properties, json.loads(body)))


def open_consult(desk):
    return desk.requests.open_request(
        AGENT, customer_id="C-1", service_type=ServiceType.CONSULT, symptoms="Filter cleaning?"
    )


def test_outbox_events_reach_a_bound_queue_as_persistent_json(broker, exchange, desk, relays):
    queue = bind_queue(broker, exchange)
    request = open_consult(desk)
    run = desk.jobs.deliver_outbox(SYSTEM, relays(exchange=exchange))
    assert run.failed is None
    assert run.delivered
    messages = drain(broker, queue)
    assert [body["id"] for _, _, body in messages] == list(run.delivered)
    method, properties, body = messages[0]
    assert body["entity_id"] == request.id
    assert method.routing_key == f"acme.ServiceRequest.{body['name']}"
    assert properties.delivery_mode == 2
    assert properties.content_type == "application/json"


def test_each_message_carries_the_idempotency_key_tenant_and_event_id(
    broker, exchange, desk, relays
):
    queue = bind_queue(broker, exchange)
    open_consult(desk)
    desk.jobs.deliver_outbox(SYSTEM, relays(exchange=exchange))
    for _, properties, body in drain(broker, queue):
        assert properties.message_id == f"acme:{body['id']}"
        assert properties.headers["idempotency-key"] == properties.message_id


def test_a_redelivered_event_keeps_its_idempotency_key(broker, exchange, desk, relays):
    queue = bind_queue(broker, exchange)
    open_consult(desk)
    event = desk.storage.pending_events("acme", 1)[0]
    relay = relays(exchange=exchange)
    relay("acme", [event])
    relay("acme", [event])
    keys = [p.message_id for _, p, _ in drain(broker, queue)]
    assert keys == [idempotency_key("acme", event)] * 2


def test_unroutable_events_stay_in_the_outbox_until_a_queue_is_bound(
    broker, exchange, desk, relays
):
    open_consult(desk)
    relay = relays(exchange=exchange, attempts=1)
    at_once = RetryPolicy(first_delay=timedelta(microseconds=1))  # due again by the next run
    first = desk.jobs.deliver_outbox(SYSTEM, relay, retry=at_once)
    assert first.failed is not None
    assert first.delivered == ()
    queue = bind_queue(broker, exchange)
    second = desk.jobs.deliver_outbox(SYSTEM, relay, retry=at_once)
    assert second.failed is None
    assert len(drain(broker, queue)) == len(second.delivered) > 0


def test_an_unreachable_broker_is_retried_with_growing_back_off_then_refused(desk, relays):
    open_consult(desk)
    waits: list[float] = []
    relay = relays(
        "amqp://guest:guest@127.0.0.1:1/%2F", attempts=4, backoff=0.1, sleep=waits.append
    )
    with pytest.raises(AmqpDeliveryError) as info:
        relay("acme", desk.storage.pending_events("acme", 10))
    assert info.value.attempts == 4
    assert waits == [0.1, 0.2, 0.4]


def test_the_back_off_is_capped(desk, relays):
    open_consult(desk)
    waits: list[float] = []
    relay = relays(
        "amqp://guest:guest@127.0.0.1:1/%2F",
        attempts=4,
        backoff=1,
        max_backoff=1.5,
        sleep=waits.append,
    )
    with pytest.raises(AmqpDeliveryError):
        relay("acme", desk.storage.pending_events("acme", 10))
    assert waits == [1, 1.5, 1.5]


def test_a_non_positive_attempt_count_is_refused_naming_the_field():
    from servicecore.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        AmqpRelay(URL, attempts=0)
    assert info.value.errors[0].path == "attempts"


def test_under_ci_a_missing_broker_fails_the_broker_tests_instead_of_skipping(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, CI="true", SERVICECORE_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:1/")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "bound"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode != 0
    assert "CI runs the broker tests" in done.stdout
