from datetime import UTC, datetime, timedelta

import pytest

from servicecore.errors import ValidationError
from servicecore.services.tokens import QR_SCHEME, TokenError, TokenSigner, qr_png

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SECRET = b"k" * 32


def issue(secret: bytes = SECRET) -> str:
    return TokenSigner(secret).issue("acme", "B-1", "SB-7K3Q-9XF", T0 + timedelta(hours=4))


def test_a_token_verifies_offline_and_says_what_it_was_issued_for():
    found = TokenSigner(SECRET).verify(issue(), now=T0)
    assert (found.tenant, found.booking_id, found.reference) == ("acme", "B-1", "SB-7K3Q-9XF")
    assert found.expires_at == T0 + timedelta(hours=4)


def test_the_qr_payload_verifies_too():
    assert TokenSigner(SECRET).verify(QR_SCHEME + issue(), now=T0).booking_id == "B-1"


def test_an_expired_token_is_refused():
    with pytest.raises(TokenError, match="expired"):
        TokenSigner(SECRET).verify(issue(), now=T0 + timedelta(hours=4))


def test_a_token_signed_with_another_secret_is_refused():
    other = issue(b"x" * 32)
    with pytest.raises(TokenError, match="signature"):
        TokenSigner(SECRET).verify(other, now=T0)


def test_an_altered_payload_is_refused():
    payload, signature = issue().split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(TokenError):
        TokenSigner(SECRET).verify(f"{tampered}.{signature}", now=T0)


@pytest.mark.parametrize("token", ["", "nodot", ".sig", "payload.", 42])
def test_a_malformed_token_is_refused(token):
    with pytest.raises(TokenError):
        TokenSigner(SECRET).verify(token, now=T0)


def test_a_short_secret_is_refused_without_showing_it():
    with pytest.raises(ValidationError) as info:
        TokenSigner(b"short")
    assert info.value.errors[0].value == "<hidden>"


def test_a_naive_expiry_is_refused():
    with pytest.raises(ValidationError, match="expires_at"):
        TokenSigner(SECRET).issue("acme", "B-1", "R", datetime(2026, 1, 1))


def test_the_qr_image_is_a_png():
    assert qr_png(issue()).startswith(b"\x89PNG\r\n\x1a\n")


def test_a_token_with_characters_outside_ascii_is_malformed_not_a_crash():
    signer = TokenSigner(b"k" * 32)
    token = signer.issue("acme", "B-1", "SB-1", datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(TokenError, match="malformed"):
        signer.verify(token + "é", datetime(2029, 1, 1, tzinfo=UTC))
