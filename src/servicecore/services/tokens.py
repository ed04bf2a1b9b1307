"""Check-in tokens: signed, expiring, verifiable offline (seed 003: QR check-in and validation).

A token is ``<payload>.<signature>``, both base64url: the payload names the tenant, the booking,
its reference and when the token expires; the signature is HMAC-SHA256 over the payload with the
host's secret. A front desk or a technician's phone holding the secret verifies a token without
reaching the server. The QR payload is the token itself behind a short scheme
(``svc-checkin:``); :func:`qr_png` draws it when the optional ``qrcode`` extra is installed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime

import attrs

from servicecore.errors import MissingExtraError, ServicecoreError, ValidationError

__all__ = ["QR_SCHEME", "CheckInPass", "TokenError", "TokenSigner", "qr_png"]

QR_SCHEME = "svc-checkin:"
"""What a check-in QR code holds before the token."""


class TokenError(ServicecoreError, ValueError):
    """A check-in token is malformed, forged, for another booking, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@attrs.frozen
class CheckInPass:
    """What a verified token says.

    Attributes:
        tenant: The tenant the booking belongs to.
        booking_id: The booking.
        reference: The booking's reference number (what the customer reads out).
        expires_at: When the token stops being valid (UTC).
    """

    tenant: str
    booking_id: str
    reference: str
    expires_at: datetime


class TokenSigner:
    """Signs and verifies check-in tokens with one secret.

    Args:
        secret: At least 32 bytes; keep it out of the database (configuration, a vault).

    Raises:
        ValidationError: The secret is shorter than 32 bytes.
    """

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) < 32:
            raise ValidationError.single("secret", "<hidden>", "must be at least 32 bytes")
        self._secret = secret

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, tenant: str, booking_id: str, reference: str, expires_at: datetime) -> str:
        """Return a token for the booking that is valid until ``expires_at``.

        Raises:
            ValidationError: ``expires_at`` is naive.
        """
        if expires_at.tzinfo is None:
            raise ValidationError.single("expires_at", expires_at, "must be timezone-aware")
        body = {
            "t": tenant,
            "b": booking_id,
            "r": reference,
            "x": int(expires_at.astimezone(UTC).timestamp()),
        }
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: datetime) -> CheckInPass:
        """Check ``token``'s signature and expiry and return what it says.

        Accepts the bare token or the QR payload (with :data:`QR_SCHEME`).

        Raises:
            TokenError: Malformed, signed with another secret, altered, or expired at ``now``.
        """
        if not isinstance(token, str):
            raise TokenError("a check-in token is a string")
        token = token.removeprefix(QR_SCHEME)
        if not token.isascii():  # a token is base64 and hex; compare_digest refuses non-ASCII
            raise TokenError("malformed check-in token")
        payload, sep, signature = token.partition(".")
        if not sep or not payload or not signature:
            raise TokenError("malformed check-in token")
        if not hmac.compare_digest(self._sign(payload), signature):
            raise TokenError("check-in token signature does not match (forged or altered)")
        try:
            body = json.loads(_unb64(payload))
            expires = datetime.fromtimestamp(int(body["x"]), UTC)
            found = CheckInPass(str(body["t"]), str(body["b"]), str(body["r"]), expires)
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("malformed check-in token") from exc
        if now >= found.expires_at:
            raise TokenError(f"check-in token expired at {found.expires_at.isoformat()}")
        return found


def qr_png(token: str) -> bytes:
    """Return a PNG image of the QR code for ``token``.

    Raises:
        MissingExtraError: The optional ``qr`` extra is not installed
            (``pip install "servicecore[qr]"``).
    """
    try:
        import qrcode
    except ImportError as exc:
        raise MissingExtraError("QR images", "qr", "qrcode") from exc
    image = qrcode.make(QR_SCHEME + token)
    out = io.BytesIO()
    image.save(out)
    return bytes(out.getvalue())
