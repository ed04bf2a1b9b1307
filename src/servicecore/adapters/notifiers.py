"""Notifier adapters: a logging one, a recording one for tests and demos, and SMTP e-mail.

Every adapter implements :class:`servicecore.ports.Notifier`; delivery failures are raised as
:class:`NotificationError`, which the caller may retry unless it is ``permanent``.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl as ssl_module
import threading
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from servicecore.errors import ServicecoreError, ValidationError
from servicecore.ports import Notification, NotificationChannel

__all__ = [
    "KEY_HEADER",
    "LoggingNotifier",
    "NotificationError",
    "RecordingNotifier",
    "SmtpNotifier",
]

KEY_HEADER = "X-Servicecore-Key"
"""The e-mail header that carries :attr:`Notification.key`, for receivers that deduplicate."""


class NotificationError(ServicecoreError):
    """A notification could not be delivered.

    Attributes:
        permanent: Whether retrying the same notification cannot help (e.g. the server refused
            the recipient with a 5xx reply); transient failures (timeouts, a server that is down,
            4xx replies) are not permanent.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_notification_error, (str(self), self.permanent))


def _rebuild_notification_error(message: str, permanent: bool) -> NotificationError:
    return NotificationError(message, permanent=permanent)


class LoggingNotifier:
    """Writes each notification to a logger at INFO and delivers nothing.

    The record's message names channel, recipient, subject and key; the same four are attached as
    structured fields (``record.channel``, ``record.to``, ``record.subject``, ``record.key``) for
    log formatters and handlers that index them. The body is not logged: it may hold personal data.

    Args:
        logger: Where to log; ``logging.getLogger("servicecore.notifications")`` by default.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("servicecore.notifications")

    def send(self, notification: Notification) -> None:
        """Log ``notification``; never fails."""
        fields = {
            "channel": notification.channel.value,
            "to": notification.to,
            "subject": notification.subject,
            "key": notification.key,
        }
        self.logger.info(
            "notification channel=%s to=%s subject=%r key=%s",
            fields["channel"],
            fields["to"],
            fields["subject"],
            fields["key"],
            extra=fields,
        )


class RecordingNotifier:
    """Keeps every notification it is given, for tests and demos; can be told to fail.

    Thread-safe: services running in several threads may share one instance.

    Example:
        >>> notifier = RecordingNotifier()
        >>> notifier.fail_next(1)
        >>> # the next send raises NotificationError, the one after it is recorded
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[Notification] = []
        self._failures_left = 0
        self._attempts = 0

    @property
    def sent(self) -> tuple[Notification, ...]:
        """The notifications delivered so far, oldest first (failed attempts excluded)."""
        with self._lock:
            return tuple(self._sent)

    @property
    def attempts(self) -> int:
        """How many times :meth:`send` was called, failed attempts included."""
        with self._lock:
            return self._attempts

    def keys(self) -> tuple[str, ...]:
        """The keys of the delivered notifications, oldest first."""
        return tuple(n.key for n in self.sent)

    def fail_next(self, count: int = 1) -> None:
        """Make the next ``count`` calls to :meth:`send` raise :class:`NotificationError`.

        Args:
            count: How many sends fail (replaces any count still pending).

        Raises:
            ValidationError: ``count`` is negative.
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError.single("count", count, "must be an integer >= 0")
        with self._lock:
            self._failures_left = count

    def clear(self) -> None:
        """Forget every notification and attempt, and any pending failures."""
        with self._lock:
            self._sent.clear()
            self._failures_left = 0
            self._attempts = 0

    def send(self, notification: Notification) -> None:
        """Record ``notification``, unless a failure was asked for.

        Raises:
            NotificationError: :meth:`fail_next` asked for this send to fail (transient).
        """
        with self._lock:
            self._attempts += 1
            if self._failures_left > 0:
                self._failures_left -= 1
                raise NotificationError(f"simulated failure sending {notification.key!r}")
            self._sent.append(notification)


class SmtpNotifier:
    """Sends e-mail notifications through an SMTP server, with the standard library.

    Each :meth:`send` opens one connection (optionally TLS from the start, or upgraded with
    STARTTLS), logs in when a user name is given, sends one message and closes. The message has
    ``From``, ``To``, ``Subject``, ``Date``, a ``Message-ID`` and the notification's key in the
    :data:`KEY_HEADER` header. The ``Message-ID`` is derived from the key and the recipient, so a
    retry after a lost reply carries the same id and mail systems that drop duplicate ids keep one.

    Args:
        host: The SMTP server's host name or address.
        port: Its port (25 for plain SMTP, 587 for submission with STARTTLS, 465 for TLS).
        sender: The ``From`` address, e.g. ``"Service <service@example.com>"``.
        username: User name to log in with; no login when ``None``.
        password: Password for ``username``.
        starttls: Upgrade the connection with STARTTLS before logging in.
        ssl: Use TLS from the start (SMTPS); excludes ``starttls``.
        timeout: Seconds to wait for the server on each network operation.
        ssl_context: TLS settings; the system's trusted CAs with host-name checks by default.

    Raises:
        ValidationError: A bad setting (empty host, port out of range, a sender without an
            ``@``, a password without a user name, both ``ssl`` and ``starttls``, a timeout <= 0).
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 10,
        ssl_context: ssl_module.SSLContext | None = None,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise ValidationError.single("host", host, "must be a host name or address")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValidationError.single("port", port, "must be an integer from 1 to 65535")
        if not isinstance(sender, str) or "@" not in parseaddr(sender)[1]:
            raise ValidationError.single("sender", sender, "must be an e-mail address")
        if password is not None and username is None:
            raise ValidationError.single("password", "***", "needs a username")
        if ssl and starttls:
            raise ValidationError.single("starttls", starttls, "cannot be combined with ssl=True")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValidationError.single("timeout", timeout, "must be a number of seconds > 0")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.starttls = starttls
        self.ssl = ssl
        self.timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        # The password stays out of reprs, tracebacks and logs.
        return (
            f"SmtpNotifier(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"username={self.username!r}, starttls={self.starttls}, ssl={self.ssl})"
        )

    def build_message(self, notification: Notification) -> EmailMessage:
        """Return the e-mail that :meth:`send` would send for ``notification``.

        Raises:
            ValidationError: The channel is not e-mail, ``to`` is not one e-mail address, or a
                header value holds a line break.
        """
        if notification.channel is not NotificationChannel.EMAIL:
            raise ValidationError.single(
                "channel", notification.channel, "SmtpNotifier sends e-mail only"
            )
        _, address = parseaddr(notification.to)
        if "@" not in address or any(c in notification.to for c in "\r\n,;"):
            raise ValidationError.single("to", notification.to, "must be one e-mail address")
        domain = parseaddr(self.sender)[1].rpartition("@")[2]
        digest = hashlib.sha256(f"{notification.key}\0{address}".encode()).hexdigest()[:40]
        message = EmailMessage()
        headers = {
            "From": ("sender", self.sender),
            "To": ("to", notification.to),
            "Subject": ("subject", notification.subject),
            "Date": ("date", formatdate(usegmt=True)),
            "Message-ID": ("key", f"<{digest}@{domain}>"),
            KEY_HEADER: ("key", notification.key),
        }
        for header, (field, value) in headers.items():
            try:
                message[header] = value
            except ValueError as exc:  # the email package refuses line breaks in headers
                raise ValidationError.single(field, value, str(exc)) from exc
        message.set_content(notification.body)
        return message

    def send(self, notification: Notification) -> None:
        """Send ``notification`` as an e-mail.

        Raises:
            ValidationError: As :meth:`build_message` does; nothing is sent.
            NotificationError: The server could not be reached, refused the login, the sender
                or the recipient, or failed mid-way (``permanent`` for 5xx refusals).
        """
        message = self.build_message(notification)
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=self._context())
                if self.username is not None:
                    smtp.login(self.username, self._password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPException as exc:
            raise NotificationError(
                f"SMTP {self.host}:{self.port} did not take {notification.key!r} "
                f"for {notification.to}: {exc}",
                permanent=_is_permanent(exc),
            ) from exc
        except OSError as exc:
            raise NotificationError(
                f"SMTP {self.host}:{self.port} unreachable sending {notification.key!r}: {exc}"
            ) from exc
        if refused:  # only partial refusals come back here; one recipient refused raises above
            raise NotificationError(
                f"SMTP {self.host}:{self.port} refused {sorted(refused)} for {notification.key!r}",
                permanent=True,
            )

    def _context(self) -> ssl_module.SSLContext:
        return self._ssl_context or ssl_module.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def _is_permanent(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False
