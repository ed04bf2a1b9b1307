"""Rebuilding entities from the adapter's own rows, fast.

Rows are written by this adapter from entities that passed every validator, so loading them
again need not re-validate: for each entity class a structuring function is generated (as attrs
and cattrs generate theirs) that converts each field from its JSON form and sets it on a new
instance directly, without running validators or ``__attrs_post_init__`` (which only validate).
When the generated function cannot convert the data (a missing key, a value it cannot parse, as
after a schema change), the whole entity goes through the validating converter of
:mod:`servicecore.serialization` instead, which rebuilds it or says exactly what is wrong.

Data from outside (a host's JSON, an API) never comes through here: it goes through
:func:`servicecore.serialization.structure`, which validates everything.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import attrs

from servicecore.model._validate import storable
from servicecore.serialization import structure

__all__ = ["loader_for"]

Loader = Callable[[Mapping[str, Any]], Any]


class _Unsupported(Exception):
    """A field type the generator leaves to the validating converter."""


class _Generator:
    def __init__(self) -> None:
        self.globals: dict[str, Any] = {
            "_new": object.__new__,
            "_set": object.__setattr__,
            "_datetime": datetime.fromisoformat,
            "_date": date.fromisoformat,
            "_time": time.fromisoformat,
            "_timedelta": timedelta,
            "_Decimal": _decimal,
            "_structure": structure,
        }
        self._names = 0

    def name(self, value: object, prefix: str) -> str:
        self._names += 1
        label = f"_{prefix}{self._names}"
        self.globals[label] = value
        return label

    def expr(self, tp: Any, src: str, depth: int = 0) -> str:
        """Return a Python expression that converts ``src`` (JSON form) into a ``tp``."""
        supertype = getattr(tp, "__supertype__", None)
        if supertype is not None:  # typing.NewType
            return self.expr(supertype, src, depth)
        if tp in (str, int, bool, Any):
            return src
        if tp is float:
            return f"float({src})"
        if tp is Decimal:
            return f"_Decimal({src})"
        if tp is datetime:
            return f"_datetime({src})"
        if tp is date:
            return f"_date({src})"
        if tp is time:
            return f"_time({src})"
        if tp is timedelta:
            return f"_timedelta(seconds={src})"
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return f"{self.name(tp._value2member_map_, 'enum')}[{src}]"
        if isinstance(tp, type) and attrs.has(tp):
            return f"{self.name(_fast(tp), 'load')}({src})"
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1 and len(args) == 2:
                inner = self.expr(rest[0], src, depth)
                return f"(None if {src} is None else {inner})"
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            var = f"i{depth}"
            inner = self.expr(args[0], var, depth + 1)
            if inner == var:
                return f"tuple({src})"
            return f"tuple([{inner} for {var} in {src}])"
        raise _Unsupported(tp)


def _fast(cls: type) -> Loader:
    """Generate the non-validating structuring function of attrs class ``cls``.

    Raises:
        _Unsupported: ``cls`` has a field that needs its ``__init__`` (an ``attrs.Converter``).
    """
    gen = _Generator()
    cls_name = gen.name(cls, "cls")
    lines = ["def load(d):", f"    o = _new({cls_name})"]
    for field in attrs.fields(attrs.resolve_types(cls)):
        src = f"d[{field.name!r}]"
        try:
            value = gen.expr(field.type, src)
        except _Unsupported:
            value = f"_structure({src}, {gen.name(field.type, 'type')})"
        converter = field.converter
        if isinstance(converter, attrs.Converter):
            raise _Unsupported(cls)  # takes self or field: leave it to the class's __init__
        if converter is not None:
            value = f"{gen.name(converter, 'conv')}({value})"
        lines.append(f"    _set(o, {field.name!r}, {value})")
    lines.append("    return o")
    namespace: dict[str, Any] = {}
    exec(
        compile("\n".join(lines), f"<servicecore loader {cls.__qualname__}>", "exec"),
        gen.globals,
        namespace,
    )
    load: Loader = namespace["load"]
    return load


def _decimal(value: object) -> Decimal:
    """The stored text of a decimal, read back; anything else falls back to the converter."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            found = Decimal(value)
        except ArithmeticError:
            pass
        else:
            if found.is_finite() and storable(found):
                return found
    raise ValueError(f"not a stored decimal: {value!r}")


@cache
def loader_for(cls: type) -> Loader:
    """Return the function that rebuilds a ``cls`` from data this adapter stored.

    The function raises :class:`~servicecore.errors.ValidationError` only for data that is
    neither what this adapter writes nor valid for the validating converter.
    """
    try:
        fast = _fast(cls)
    except _Unsupported:
        return lambda data: structure(data, cls)

    def load(data: Mapping[str, Any]) -> Any:
        try:
            return fast(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return structure(data, cls)

    return load
