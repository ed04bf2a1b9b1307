"""JSON-safe (un)structuring of every servicecore entity and value object, with cattrs.

:func:`make_converter` builds a fresh converter (no global state, in the spirit of
``cattrs.preconf``). Unstructured data holds only JSON types: ``Decimal`` becomes a string (money
never passes through a float), datetimes ISO 8601 in UTC, durations seconds, enums their values,
sets sorted lists. Structuring is strict and reports *every* bad field at once as a
:class:`~servicecore.errors.ValidationError` whose :class:`~servicecore.errors.FieldError` s carry
the path (``parts[2].quantity``) and the value found there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from servicecore.errors import FieldError, ValidationError

__all__ = ["make_converter", "structure", "unstructure"]

T = TypeVar("T")


def _bad(message: str) -> Callable[[object], ValidationError]:
    return lambda value: ValidationError.single("", value, message)


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _bad("must be a string")(value)
    return value


def _structure_int(value: object, _: type) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad("must be an integer")(value)
    return value


def _structure_float(value: object, _: type) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _bad("must be a number")(value)
    return float(value)


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _bad("must be true or false")(value)
    return value


def _structure_decimal(value: object, _: type) -> Decimal:
    # Floats are refused: a JSON float has already lost the exact decimal the sender meant.
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        try:
            result = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if result.is_finite():
                return result
    raise _bad("must be a decimal number written as a string, e.g. '12.50'")(value)


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                raise _bad("must carry a timezone offset, e.g. '2026-01-31T09:00:00+00:00'")(value)
            return parsed
    raise _bad("must be an ISO 8601 date-time string")(value)


def _unstructure_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad("must be an ISO 8601 date string, e.g. '2026-01-31'")(value)


def _structure_time(value: object, _: type) -> time:
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise _bad("must be an ISO 8601 time string, e.g. '08:30'")(value)


def _structure_timedelta(value: object, _: type) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return timedelta(seconds=value)
        except OverflowError:
            pass
    raise _bad("must be a duration in seconds")(value)


def _translate(exc: BaseException, data: object, path: str) -> list[FieldError]:
    """Turn a (possibly nested) cattrs error into FieldErrors, reading values from ``data``."""
    if isinstance(exc, ValidationError):
        return [e.prefixed(path) for e in exc.errors]
    if isinstance(exc, ClassValidationError):
        found: list[FieldError] = []
        for sub, note in exc.group_exceptions()[0]:
            assert isinstance(note, AttributeValidationNote)
            value = data.get(note.name) if isinstance(data, Mapping) else None
            found += _translate(sub, value, _join(path, note.name))
        for sub in exc.group_exceptions()[1]:
            found += _translate(sub, data, path)
        return found
    if isinstance(exc, IterableValidationError):
        found = []
        for sub, inote in exc.group_exceptions()[0]:
            assert isinstance(inote, IterableValidationNote)
            try:
                value = data[inote.index]  # type: ignore[index]
            except (LookupError, TypeError):
                value = None
            found += _translate(sub, value, f"{path}[{inote.index!r}]")
        for sub in exc.group_exceptions()[1]:
            found += _translate(sub, data, path)
        return found
    if isinstance(exc, ForbiddenExtraKeysError):
        extra = sorted(exc.extra_fields)
        return [
            FieldError(
                _join(path, k), data.get(k) if isinstance(data, Mapping) else None, "unknown field"
            )
            for k in extra
        ]
    if isinstance(exc, KeyError):
        return [FieldError(path, None, "is required")]
    return [FieldError(path, data, str(exc) or type(exc).__name__)]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def make_converter() -> cattrs.Converter:
    """Build a converter for servicecore's attrs classes.

    Returns:
        A ``cattrs.Converter`` whose ``unstructure`` gives JSON-safe data and whose ``structure``
        raises :class:`~servicecore.errors.ValidationError` listing every bad field (path and
        value), unknown keys included.
    """
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(time, _structure_time)
    conv.register_unstructure_hook(time, time.isoformat)
    conv.register_structure_hook(timedelta, _structure_timedelta)
    conv.register_unstructure_hook(timedelta, timedelta.total_seconds)
    conv.register_unstructure_hook_func(
        lambda t: t in (frozenset, set) or getattr(t, "__origin__", None) in (frozenset, set),
        lambda value: sorted((conv.unstructure(v) for v in value), key=repr),
    )
    conv.register_structure_hook_factory(attrs.has, lambda cls: _attrs_hook(conv, cls))
    return conv


def _attrs_hook(conv: cattrs.Converter, cls: type[Any]) -> Callable[[Any, Any], Any]:
    base = make_dict_structure_fn(
        cls, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
    )
    fields = attrs.fields(attrs.resolve_types(cls))

    def hook(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValidationError.single("", data, f"must be an object ({cls.__name__})")
        try:
            return base(data, cls)
        except ValidationError as exc:
            raise _every_bad_field(data, exc) from None
        except ClassValidationError as exc:
            with_notes, without = exc.group_exceptions()
            if with_notes or not all(isinstance(e, ValidationError) for e in without):
                raise
            # Every field structured; the constructor's validators refused.
            first = ValidationError([fe for e in without for fe in e.errors])  # type: ignore[attr-defined]
            raise _every_bad_field(data, first) from None

    def _every_bad_field(data: Mapping[str, Any], first: ValidationError) -> ValidationError:
        # attrs stops at the first failing validator; look at every field so that the caller
        # learns about all of them at once.
        errors: list[FieldError] = []
        for f in fields:
            if f.validator is None or f.name not in data:
                continue
            try:
                value = conv.structure(data[f.name], f.type)
                f.validator(None, f, value)
            except ValidationError as exc:
                errors += [e if e.path else attrs.evolve(e, path=f.name) for e in exc.errors]
            except Exception:
                continue  # base already reported this field's structuring error
        return ValidationError(errors or first.errors)

    return hook


_DEFAULT = make_converter()


def unstructure(obj: object) -> Any:
    """Return JSON-safe data for ``obj`` with the default converter."""
    return _DEFAULT.unstructure(obj)


def structure(data: object, cls: type[T]) -> T:
    """Build a ``cls`` from JSON-safe ``data``.

    Raises:
        ValidationError: Listing every bad field with its path and the value found there.
    """
    try:
        return _DEFAULT.structure(data, cls)
    except ValidationError:
        raise
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        raise ValidationError(
            _translate(exc, data, "") or [FieldError("", data, str(exc))]
        ) from exc
