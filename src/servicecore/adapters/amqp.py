"""An outbox relay to RabbitMQ: servicecore's domain events as persistent, confirmed messages.

:class:`AmqpRelay` is a :data:`~servicecore.ports.Publisher`: give it to the outbox job
(``desk.jobs.deliver_outbox(SYSTEM, relay)``) or to a storage as its after-commit publisher. Each
event becomes one message on a durable topic exchange, published with publisher confirms; the
relay returns only when the broker has confirmed every message of the batch, so the outbox marks
events delivered only once RabbitMQ holds them. Anything else raises, the batch stays pending, and
the next run sends it again: delivery is **at least once**.

Message contract (what consumers may rely on):

* exchange ``servicecore.events`` (type ``topic``, durable), routing key
  ``<tenant>.<entity_kind>.<event name>``, e.g. ``acme.ServiceRequest.RequestCompleted``;
* ``message_id`` and the header ``idempotency-key``: ``<tenant>:<event id>``, the same on every
  redelivery of one event; a consumer that has seen the key already drops the message;
* ``type`` the event name, ``timestamp`` when it occurred (Unix seconds), ``app_id``
  ``servicecore``, ``delivery_mode`` 2 (persistent), ``content_type`` ``application/json``;
* body: ``{"id", "tenant", "name", "entity_kind", "entity_id", "occurred_at", "payload"}``.

Needs the ``amqp`` extra (``pip install "servicecore[amqp]"``, pika).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from servicecore.errors import MissingExtraError, ServicecoreError, ValidationError
from servicecore.events import DomainEvent

__all__ = [
    "EXCHANGE",
    "AmqpDeliveryError",
    "AmqpRelay",
    "idempotency_key",
    "message_body",
    "routing_key",
]

log = logging.getLogger("servicecore.adapters.amqp")

EXCHANGE = "servicecore.events"


class AmqpDeliveryError(ServicecoreError):
    """The broker did not confirm a batch after every retry; the events stay in the outbox.

    Attributes:
        attempts: How many times the batch was tried.
    """

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts

    def __reduce__(self) -> tuple[type[AmqpDeliveryError], tuple[str, int]]:
        return (type(self), (str(self), self.attempts))


def idempotency_key(tenant: str, event: DomainEvent) -> str:
    """Return the key a consumer deduplicates on: ``<tenant>:<event id>``."""
    return f"{tenant}:{event.id}"


def routing_key(tenant: str, event: DomainEvent) -> str:
    """Return the routing key of ``event``: ``<tenant>.<entity_kind>.<name>``."""
    return f"{tenant}.{event.entity_kind}.{event.name}"


def message_body(tenant: str, event: DomainEvent) -> bytes:
    """Return the JSON body of the message for ``event`` (UTF-8)."""
    return json.dumps(
        {
            "id": event.id,
            "tenant": tenant,
            "name": event.name,
            "entity_kind": event.entity_kind,
            "entity_id": event.entity_id,
            "occurred_at": event.occurred_at.isoformat(),
            "payload": dict(event.payload),
        },
        sort_keys=True,
    ).encode("utf-8")


def _pika() -> Any:
    try:
        import pika
    except ImportError as exc:
        raise MissingExtraError("the RabbitMQ relay", "amqp", "pika") from exc
    return pika


def _positive(name: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_: Any, __: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValidationError.single(name, value, "must be a positive number")

    return check


@attrs.define
class AmqpRelay:
    """Publishes outbox batches to RabbitMQ with publisher confirms, retrying with back-off.

    One connection is opened on first use and kept; close it with :meth:`close` (or use the
    relay as a context manager).

    Args:
        url: The broker, e.g. ``amqp://guest:guest@127.0.0.1:5672/%2F``.
        exchange: The topic exchange to publish to (declared durable on first use).
        attempts: How many times a batch is tried before :class:`AmqpDeliveryError`.
        backoff: Seconds before the first retry; doubled after each failed attempt.
        max_backoff: The longest wait between two attempts.
        mandatory: Whether a message no queue is bound for counts as a failure (the default:
            the batch stays in the outbox until a consumer's queue is bound).
        sleep: How to wait between attempts (tests pass a recorder).

    Raises:
        ValidationError: ``attempts``, ``backoff`` or ``max_backoff`` is not positive.
    """

    url: str
    exchange: str = EXCHANGE
    attempts: int = attrs.field(default=5, validator=_positive("attempts"))
    backoff: float = attrs.field(default=0.5, validator=_positive("backoff"))
    max_backoff: float = attrs.field(default=30.0, validator=_positive("max_backoff"))
    mandatory: bool = True
    sleep: Callable[[float], None] = time.sleep
    _connection: Any = attrs.field(default=None, init=False, repr=False)
    _channel: Any = attrs.field(default=None, init=False, repr=False)

    def __call__(self, tenant: str, events: Sequence[DomainEvent]) -> None:
        """Publish ``events`` and return once the broker has confirmed every one.

        Raises:
            MissingExtraError: pika is not installed (the ``amqp`` extra).
            AmqpDeliveryError: The batch was not confirmed after ``attempts`` tries (broker down,
                a message nacked or, with ``mandatory``, unroutable); nothing is acknowledged in
                the outbox, so the events are sent again later.
        """
        pika = _pika()
        wait = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                channel = self._open(pika)
                for event in events:
                    channel.basic_publish(
                        exchange=self.exchange,
                        routing_key=routing_key(tenant, event),
                        body=message_body(tenant, event),
                        properties=self._properties(pika, tenant, event),
                        mandatory=self.mandatory,
                    )
            except pika.exceptions.AMQPError as exc:
                self.close()
                log.warning(
                    "event delivery to RabbitMQ failed (attempt %d of %d): %r",
                    attempt,
                    self.attempts,
                    exc,
                    extra={"tenant": tenant, "events": len(events), "attempt": attempt},
                )
                if attempt == self.attempts:
                    raise AmqpDeliveryError(
                        f"{len(events)} events not confirmed after {attempt} attempts: {exc!r}",
                        attempt,
                    ) from exc
                self.sleep(wait)
                wait = min(wait * 2, self.max_backoff)
            else:
                log.info(
                    "published %d events to %s",
                    len(events),
                    self.exchange,
                    extra={"tenant": tenant, "events": len(events)},
                )
                return

    def _open(self, pika: Any) -> Any:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._connection = pika.BlockingConnection(pika.URLParameters(self.url))
        channel = self._connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(exchange=self.exchange, exchange_type="topic", durable=True)
        self._channel = channel
        return channel

    @staticmethod
    def _properties(pika: Any, tenant: str, event: DomainEvent) -> Any:
        key = idempotency_key(tenant, event)
        return pika.BasicProperties(
            message_id=key,
            headers={"idempotency-key": key, "tenant": tenant, "entity-id": event.entity_id},
            type=event.name,
            timestamp=int(event.occurred_at.timestamp()),
            app_id="servicecore",
            content_type="application/json",
            delivery_mode=2,
        )

    def __enter__(self) -> AmqpRelay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection, if open; the next batch opens a new one."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # a broken connection cannot be closed cleanly; it is dropped
                log.debug("closing a broken AMQP connection failed", exc_info=True)
