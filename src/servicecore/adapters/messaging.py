"""SMS and chat (IM) notifiers over HTTP, and the router that sends each message on its channel.

Seed 004 sends warnings by 短信、邮件、IM 消息 (SMS, e-mail, instant message) and seed 003 confirms
bookings by e-mail or SMS. The services already pick each recipient's channel (a customer's
e-mail or phone, the channels the staff directory gives for the person responsible);
:class:`ChannelRouter` hands each :class:`~servicecore.ports.Notification` to the notifier of its
channel. :class:`SmsGatewayNotifier` and :class:`ChatWebhookNotifier` post JSON to an HTTP
endpoint (an SMS gateway's REST API, a chat webhook or the host's own relay) with a timeout,
retries with exponential back-off on transient failures, and typed errors
(:class:`~servicecore.adapters.notifiers.NotificationError`, ``permanent`` when retrying the same
message cannot help). Both send the notification's ``key`` as an ``Idempotency-Key`` header, so
a gateway that deduplicates keeps one message when a retry follows a lost reply.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from servicecore.adapters.notifiers import NotificationError
from servicecore.errors import ValidationError
from servicecore.ports import Notification, NotificationChannel, Notifier

__all__ = [
    "IDEMPOTENCY_HEADER",
    "ChannelRouter",
    "ChatWebhookNotifier",
    "HttpEndpoint",
    "SmsGatewayNotifier",
]

_log = logging.getLogger("servicecore.adapters.messaging")

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""The HTTP header that carries :attr:`Notification.key`, for endpoints that deduplicate."""

_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth retrying: timeouts, throttling and a server that is down or overloaded."""

_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{4,22}[0-9]")


class ChannelRouter:
    """A :class:`~servicecore.ports.Notifier` that sends each notification on its channel.

    Args:
        routes: The notifier of each channel, e.g. ``{EMAIL: smtp, SMS: sms, IM: chat}``.

    Raises:
        ValidationError: ``routes`` is empty, or names something that is not a channel or not a
            notifier (the error names ``routes[<key>]``).
    """

    def __init__(self, routes: Mapping[NotificationChannel, Notifier]) -> None:
        if not isinstance(routes, Mapping) or not routes:
            raise ValidationError.single("routes", routes, "must map channels to notifiers")
        for channel, notifier in routes.items():
            if not isinstance(channel, NotificationChannel):
                raise ValidationError.single(f"routes[{channel!r}]", channel, "is not a channel")
            if not callable(getattr(notifier, "send", None)):
                raise ValidationError.single(
                    f"routes[{channel.value}]", notifier, "has no send(notification) method"
                )
        self.routes = dict(routes)

    def send(self, notification: Notification) -> None:
        """Send ``notification`` with the notifier of its channel.

        Raises:
            NotificationError: No notifier serves the channel (permanent), or the channel's
                notifier failed (as it raised it).
        """
        notifier = self.routes.get(notification.channel)
        if notifier is None:
            served = ", ".join(sorted(c.value for c in self.routes))
            raise NotificationError(
                f"no notifier for channel {notification.channel.value} "
                f"(key {notification.key}); this router serves {served}",
                permanent=True,
            )
        notifier.send(notification)


class HttpEndpoint:
    """A JSON-over-HTTP endpoint with timeouts, retries and back-off.

    Args:
        url: ``http://`` or ``https://`` URL the JSON is posted to.
        token: Sent as ``Authorization: Bearer <token>`` when given.
        timeout: Seconds to wait for each attempt (connect and reply).
        retries: How many times a transient failure is retried (0: one attempt only).
        backoff: Seconds before the first retry; doubled before each next one.
        sleep: Waits between attempts (``time.sleep``; tests pass a recorder).

    Raises:
        ValidationError: A bad argument (the error names it).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValidationError.single("url", url, "must be an http(s) URL with a host")
        if token is not None and (
            not isinstance(token, str) or not token or any(c in token for c in "\r\n")
        ):
            raise ValidationError.single("token", "***", "must be one line of text")
        for name, value in (("timeout", timeout), ("backoff", backoff)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError.single(name, value, "must be a number of seconds >= 0")
        if timeout <= 0:
            raise ValidationError.single("timeout", timeout, "must be a number of seconds > 0")
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            raise ValidationError.single("retries", retries, "must be an integer from 0 to 10")
        self.url = url
        self._token = token
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"HttpEndpoint({self.url!r}, timeout={self.timeout}, retries={self.retries})"

    def _attempt(self, body: bytes, key: str) -> tuple[int | None, str]:
        """One POST: the status (``None`` when no reply came) and a short description."""
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: key}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return int(reply.status), "ok"
        except urllib.error.HTTPError as exc:
            return int(exc.code), f"HTTP {exc.code} {exc.reason}"
        except TimeoutError:
            return None, f"no reply within {self.timeout:g} s"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return None, f"cannot reach the endpoint: {reason}"

    def post(self, payload: Mapping[str, Any], key: str) -> None:
        """Post ``payload`` as JSON, retrying transient failures.

        Raises:
            NotificationError: The endpoint refused it (a 4xx reply other than 408/425/429:
                permanent), or it still failed after every retry (transient).
        """
        body = json.dumps(payload, ensure_ascii=False).encode()
        attempts = self.retries + 1
        for attempt in range(attempts):
            status, what = self._attempt(body, key)
            if status is not None and 200 <= status < 300:
                return
            if status is not None and status not in _RETRYABLE and 400 <= status < 500:
                raise NotificationError(
                    f"{self.url} refused notification {key}: {what}", permanent=True
                )
            if attempt + 1 < attempts:
                delay = self.backoff * 2**attempt
                _log.info(
                    "notification endpoint failed, retrying",
                    extra={"key": key, "attempt": attempt + 1, "error": what, "delay": delay},
                )
                self._sleep(delay)
        raise NotificationError(
            f"{self.url} did not take notification {key} after {attempts} attempts: {what}"
        )


def _check_channel(notification: object, channel: NotificationChannel) -> Notification:
    if not isinstance(notification, Notification):
        raise ValidationError.single("notification", notification, "must be a Notification")
    if notification.channel is not channel:
        raise NotificationError(
            f"notification {notification.key} is for {notification.channel.value}, "
            f"this notifier sends {channel.value}",
            permanent=True,
        )
    return notification


class SmsGatewayNotifier:
    """Sends SMS notifications through an SMS gateway's HTTP API.

    Posts ``{"to", "from", "text", "reference"}`` as JSON (``text`` is the body: SMS has no
    subject; ``reference`` is the notification's key). Gateways whose API differs are reached
    through a small relay, or by subclassing and overriding :meth:`payload`.

    Args:
        endpoint: Where and how to post.
        sender: The sender id or number shown to the recipient.
        max_length: The longest text sent (longer bodies are refused, never cut: a cut
            confirmation can mislead); 1,600 characters is ten concatenated messages.

    Raises:
        ValidationError: A bad argument (the error names it).
    """

    def __init__(self, endpoint: HttpEndpoint, *, sender: str, max_length: int = 1600) -> None:
        if not isinstance(endpoint, HttpEndpoint):
            raise ValidationError.single("endpoint", endpoint, "must be an HttpEndpoint")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > 20:
            raise ValidationError.single("sender", sender, "must be 1 to 20 characters")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ValidationError.single("max_length", max_length, "must be a positive integer")
        self.endpoint = endpoint
        self.sender = sender
        self.max_length = max_length

    def payload(self, notification: Notification) -> dict[str, Any]:
        """The JSON the gateway receives for ``notification``."""
        return {
            "to": notification.to,
            "from": self.sender,
            "text": notification.body,
            "reference": notification.key,
        }

    def send(self, notification: Notification) -> None:
        """Send one SMS.

        Raises:
            ValidationError: ``notification`` is not a Notification.
            NotificationError: Not an SMS notification, the number is not a phone number, or
                the text is too long (permanent); or the gateway failed (see
                :meth:`HttpEndpoint.post`).
        """
        sms = _check_channel(notification, NotificationChannel.SMS)
        if not _PHONE.fullmatch(sms.to):
            raise NotificationError(
                f"notification {sms.key}: to {sms.to!r} is not a phone number", permanent=True
            )
        if len(sms.body) > self.max_length:
            raise NotificationError(
                f"notification {sms.key}: the text has {len(sms.body)} characters, "
                f"more than max_length {self.max_length}",
                permanent=True,
            )
        self.endpoint.post(self.payload(sms), sms.key)


class ChatWebhookNotifier:
    """Sends instant messages (IM) through a chat webhook.

    Posts ``{"to", "text", "key"}`` as JSON: ``to`` is the recipient's chat handle or channel
    as the staff directory gives it, ``text`` the subject line, a blank line and the body.

    Args:
        endpoint: Where and how to post.

    Raises:
        ValidationError: ``endpoint`` is not an :class:`HttpEndpoint`.
    """

    def __init__(self, endpoint: HttpEndpoint) -> None:
        if not isinstance(endpoint, HttpEndpoint):
            raise ValidationError.single("endpoint", endpoint, "must be an HttpEndpoint")
        self.endpoint = endpoint

    def payload(self, notification: Notification) -> dict[str, Any]:
        """The JSON the webhook receives for ``notification``."""
        return {
            "to": notification.to,
            "text": f"{notification.subject}\n\n{notification.body}",
            "key": notification.key,
        }

    def send(self, notification: Notification) -> None:
        """Send one instant message.

        Raises:
            ValidationError: ``notification`` is not a Notification.
            NotificationError: Not an IM notification (permanent), or the webhook failed (see
                :meth:`HttpEndpoint.post`).
        """
        message = _check_channel(notification, NotificationChannel.IM)
        self.endpoint.post(self.payload(message), message.key)
