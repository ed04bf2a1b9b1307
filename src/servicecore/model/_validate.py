"""attrs validators that raise :class:`~servicecore.errors.ValidationError` naming the field.

Every validator here ignores the instance, so the serialisation layer can call it on a lone value
to collect every bad field of a record at once (see :mod:`servicecore.serialization`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from servicecore.errors import ValidationError

T = TypeVar("T")
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def fail(attribute: attrs.Attribute[Any], value: object, message: str) -> ValidationError:
    """Build the error for ``attribute`` holding ``value``."""
    return ValidationError.single(attribute.name, value, message)


def identifier(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An id: 1-128 characters, letters, digits and ``. _ : / @ -``, starting alphanumeric."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise fail(attribute, value, "must be an id: 1-128 of A-Z a-z 0-9 . _ : / @ -")


def text(max_len: int = 10_000, *, allow_empty: bool = False) -> Validator:
    """A string of at most ``max_len`` characters; not blank unless ``allow_empty``.

    NUL characters and lone surrogates are refused: no database stores them (PostgreSQL refuses
    both), so a record holding one would be accepted by one storage and refused by another.
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise fail(attribute, value, "must be a string")
        if "\x00" in value:
            raise fail(attribute, value, "must not contain NUL characters")
        if _SURROGATE_RE.search(value):
            raise fail(attribute, value, "must be valid Unicode (it holds a lone surrogate)")
        if not allow_empty and not value.strip():
            raise fail(attribute, value, "must not be blank")
        if len(value) > max_len:
            raise fail(attribute, value, f"must be at most {max_len} characters")

    return check


def storable_text(path: str, value: str) -> None:
    """Refuse text no database stores: NUL characters and lone surrogates.

    For text that reaches a lookup without passing a model field (an id, a query value): SQLite
    cannot encode a lone surrogate (a raw ``UnicodeEncodeError``) and PostgreSQL refuses both.

    Raises:
        ValidationError: Naming ``path`` and the value.
    """
    if _UNSTORABLE_RE.search(value):
        raise ValidationError.single(
            path, value, "must not contain NUL characters or lone surrogates"
        )


def currency(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An ISO 4217 currency code: three upper-case letters."""
    if not isinstance(value, str) or not _CURRENCY_RE.fullmatch(value):
        raise fail(attribute, value, "must be an ISO 4217 code such as 'EUR'")


def aware_datetime(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A timezone-aware :class:`~datetime.datetime`."""
    if not isinstance(value, datetime):
        raise fail(attribute, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise fail(attribute, value, "must be timezone-aware")


def a_date(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A :class:`~datetime.date` that is not a datetime."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise fail(attribute, value, "must be a date")


DECIMAL_DIGITS = 28
"""The most significant digits, and decimal places, a stored decimal may have."""


def storable(value: Decimal) -> bool:
    """Whether finite ``value`` fits what every storage and report holds exactly.

    At most :data:`DECIMAL_DIGITS` significant digits, at most that many decimal places, and
    less than ``10 ** DECIMAL_DIGITS`` in size.
    """
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    return (
        len(digits) <= DECIMAL_DIGITS
        and exponent >= -DECIMAL_DIGITS
        and value.adjusted() < DECIMAL_DIGITS
    )


def decimal(
    *, min_value: Decimal | None = None, max_value: Decimal | None = None, positive: bool = False
) -> Validator:
    """A finite, storable :class:`~decimal.Decimal` within the given bounds (``positive``: > 0).

    Storable: see :func:`storable`.
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise fail(attribute, value, "must be a finite Decimal")
        if not storable(value):
            raise fail(
                attribute,
                value,
                f"must have at most {DECIMAL_DIGITS} significant digits and decimal places, "
                f"and be less than 10**{DECIMAL_DIGITS}",
            )
        if positive and value <= 0:
            raise fail(attribute, value, "must be greater than 0")
        if min_value is not None and value < min_value:
            raise fail(attribute, value, f"must be at least {min_value}")
        if max_value is not None and value > max_value:
            raise fail(attribute, value, f"must be at most {max_value}")

    return check


def integer(*, min_value: int | None = None, max_value: int | None = None) -> Validator:
    """An ``int`` (not a ``bool``) within the given bounds."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(attribute, value, "must be an integer")
        if min_value is not None and value < min_value:
            raise fail(attribute, value, f"must be at least {min_value}")
        if max_value is not None and value > max_value:
            raise fail(attribute, value, f"must be at most {max_value}")

    return check


def boolean(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A ``bool``."""
    if not isinstance(value, bool):
        raise fail(attribute, value, "must be true or false")


def member(enum: type[Enum]) -> Validator:
    """A member of ``enum``."""
    names = ", ".join(m.value if isinstance(m.value, str) else m.name for m in enum)

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, enum):
            raise fail(attribute, value, f"must be one of {enum.__name__}: {names}")

    return check


def instance(cls: type[Any] | tuple[type[Any], ...]) -> Validator:
    """An instance of ``cls`` (typically a value object)."""
    label = cls.__name__ if isinstance(cls, type) else " or ".join(c.__name__ for c in cls)

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise fail(attribute, value, f"must be a {label}")

    return check


def optional(inner: Validator) -> Validator:
    """``None``, or a value ``inner`` accepts."""

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(inst, attribute, value)

    return check


def items(inner: Validator, *, container: type[Any] = tuple, min_len: int = 0) -> Validator:
    """A ``container`` (default tuple) whose every item ``inner`` accepts; errors name ``[i]``."""

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, container):
            raise fail(attribute, value, f"must be a {container.__name__}")
        if len(value) < min_len:
            raise fail(attribute, value, f"must hold at least {min_len} item(s)")
        bad: list[ValidationError] = []
        for i, item in enumerate(value):
            try:
                inner(inst, attribute, item)
            except ValidationError as exc:
                bad.append(ValidationError([e.prefixed(f"[{i}]") for e in _strip(exc, attribute)]))
        if bad:
            raise ValidationError.merge(bad, attribute.name)

    return check


def _strip(exc: ValidationError, attribute: attrs.Attribute[Any]) -> Iterable[Any]:
    # Item validators report the field's own name as the path; the item index replaces it.
    for e in exc.errors:
        yield attrs.evolve(e, path="") if e.path == attribute.name else e


def unique(key: Callable[[Any], object], what: str) -> Validator:
    """A sequence whose items have distinct ``key`` values (``what`` names the key)."""

    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        seen: set[object] = set()
        for item in value:
            k = key(item)
            if k in seen:
                raise fail(attribute, value, f"{what} {k!r} appears more than once")
            seen.add(k)

    return check


def duration(*, positive: bool = False) -> Validator:
    """A :class:`~datetime.timedelta` that is >= 0 (> 0 when ``positive``)."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, timedelta):
            raise fail(attribute, value, "must be a timedelta")
        if positive and value <= timedelta(0):
            raise fail(attribute, value, "must be longer than zero")
        if value < timedelta(0):
            raise fail(attribute, value, "must not be negative")

    return check


def matches(pattern: str, description: str, *, max_len: int = 256) -> Validator:
    """A string of at most ``max_len`` characters matching ``pattern`` (described in the error)."""
    regex = re.compile(pattern)

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or len(value) > max_len or not regex.fullmatch(value):
            raise fail(attribute, value, f"must be {description}")

    return check


def time_of_day(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A naive :class:`~datetime.time` (wall-clock time, read in a separately named timezone)."""
    if not isinstance(value, time):
        raise fail(attribute, value, "must be a time of day")
    if value.tzinfo is not None:
        raise fail(attribute, value, "must be naive: the timezone is named separately")


def timezone_name(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An IANA timezone name that :mod:`zoneinfo` knows, e.g. ``"Asia/Jakarta"``."""
    if not isinstance(value, str) or not value or len(value) > 64:
        raise fail(attribute, value, "must be an IANA timezone name such as 'Europe/Paris'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory such as "America"
        raise fail(attribute, value, "is not a timezone zoneinfo knows") from None
