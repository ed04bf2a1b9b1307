"""Human-friendly reference numbers: short, unambiguous, with a check character.

``SB-7K3Q-9XF`` reads well over the phone: Crockford's base-32 alphabet (no I, L, O or U), six
random characters (about a billion values) and one check character that catches any single
mistyped character and most swaps. Uniqueness within a tenant is checked against storage when a
booking is made.
"""

from __future__ import annotations

import re
import secrets

__all__ = ["is_valid_reference", "new_reference"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_PATTERN = re.compile(r"^([A-Z]{1,4})-([0-9A-Z]{4})-([0-9A-Z]{3})$")


def _luhn_sum(chars: str, double_first: bool) -> int:
    # Luhn mod N (N = 32): catches every single substituted character and most adjacent swaps.
    total = 0
    factor = 2 if double_first else 1
    for c in reversed(chars):
        addend = factor * _VALUE[c]
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return total


def _check(chars: str) -> str:
    return _ALPHABET[(32 - _luhn_sum(chars, double_first=True) % 32) % 32]


def new_reference(prefix: str = "SB") -> str:
    """Return a new reference such as ``SB-7K3Q-9XF`` (random, with a check character)."""
    # 30 random bits, five per character: one draw from the system's generator, not six.
    bits = secrets.randbits(30)
    body = "".join(_ALPHABET[(bits >> shift) & 31] for shift in range(0, 30, 5))
    return f"{prefix}-{body[:4]}-{body[4:]}{_check(body)}"


def is_valid_reference(text: object) -> bool:
    """Whether ``text`` is a well-formed reference whose check character matches.

    Lower case and the look-alikes O, I and L (read as 0, 1, 1) are accepted, as people type them.
    """
    if not isinstance(text, str):
        return False
    normal = text.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
    found = _PATTERN.match(normal)
    if found is None:
        return False
    chars = found.group(2) + found.group(3)
    if any(c not in _VALUE for c in chars):
        return False
    return _luhn_sum(chars, double_first=False) % 32 == 0
