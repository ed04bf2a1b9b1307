"""A consumer of servicecore's domain events on RabbitMQ, deduplicating by idempotency key.

The relay (:class:`servicecore.adapters.amqp.AmqpRelay`) delivers at least once: after a broker
outage or a crash between publish and acknowledgement, an event can arrive twice. A consumer
therefore remembers the ``idempotency-key`` (``<tenant>:<event id>``) of every event it has
handled, in the same transaction as its own effect, and drops a message whose key it has seen.

This script plays both sides: a desk opens a request and closes it, the outbox job relays the
events (twice, to show a duplicate), and the consumer handles each event once. It needs a broker
at ``SERVICECORE_AMQP_URL`` (default ``amqp://guest:guest@127.0.0.1:5672/%2F``) and the ``amqp``
extra; without a broker it says so and exits (CI has one and fails instead).

Run: ``python examples/amqp_consumer.py``
"""

from __future__ import annotations

import json
import os
import sys

import pika

from servicecore import SYSTEM, Actor, Role, ServiceDesk, ServiceType
from servicecore.adapters import MemoryStorage
from servicecore.adapters.amqp import AmqpRelay

URL = os.environ.get("SERVICECORE_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
EXCHANGE = "servicecore.example"


class Consumer:
    """The host's side: handles each event once, whatever the broker redelivers."""

    def __init__(self) -> None:
        self.seen: set[str] = set()  # in production: a table, written with the handler's effect
        self.handled: list[str] = []

    def on_message(self, channel, method, properties, body) -> None:
        key = properties.headers["idempotency-key"]
        if key not in self.seen:
            event = json.loads(body)
            self.handled.append(f"{event['name']} on {event['entity_kind']}")
            self.seen.add(key)
        channel.basic_ack(method.delivery_tag)  # ack duplicates too: they are done


def main() -> int:
    try:
        connection = pika.BlockingConnection(pika.URLParameters(URL))
    except pika.exceptions.AMQPError as exc:
        print(f"no RabbitMQ broker at {URL}: {exc!r}")
        return 1 if os.environ.get("CI") else 0
    channel = connection.channel()
    channel.exchange_declare(exchange=EXCHANGE, exchange_type="topic", durable=True)
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    channel.queue_bind(queue=queue, exchange=EXCHANGE, routing_key="acme.ServiceRequest.*")

    # No in-process publisher: the events wait in the outbox and the relay delivers them.
    desk = ServiceDesk(MemoryStorage(), tenant="acme")
    agent = Actor(id="cs-siti", roles={Role.CUSTOMER_SERVICE})
    ask = desk.requests.open_request(
        agent, customer_id="C-1", service_type=ServiceType.CONSULT, symptoms="Filter cleaning?"
    )
    desk.requests.close_consult(agent, ask.id, "Every two weeks")
    with AmqpRelay(URL, exchange=EXCHANGE) as relay:
        events = desk.storage.pending_events("acme", 100)
        relay("acme", events)  # a crash before the outbox acknowledged: sent again below
        run = desk.jobs.deliver_outbox(SYSTEM, relay)
    print(f"relayed {len(run.delivered)} events, each twice")

    consumer = Consumer()
    for method, properties, body in channel.consume(queue, inactivity_timeout=1):
        if method is None:
            break
        consumer.on_message(channel, method, properties, body)
    channel.cancel()
    connection.close()
    for line in consumer.handled:
        print("handled:", line)
    assert len(consumer.handled) == len(run.delivered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
