"""Hostile input for the fuzz tests: values a careless or malicious caller could pass.

Each strategy mixes wrong types, None, huge numbers, NaN and infinities, NUL characters and lone
surrogates, deep nesting, empty and oversized strings. ``TRIED`` counts the inputs each fuzz test
fed to servicecore; the fuzz conftest prints it at the end of the run.
"""

import collections
import functools
import math
import os
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import hypothesis.strategies as st
from hypothesis import settings

from servicecore.errors import NotFound, ServicecoreError, ValidationError

TRIED: collections.Counter[str] = collections.Counter()
"""Inputs tried, by fuzz target (``desk``, ``models``, ``structure``, ``readers``, ``cli``)."""

DEPTH = 5_000
"""Nesting depth of the deep values: beyond Python's default recursion limit of 1,000."""

BACKEND_EXAMPLES = {"memory": 1.0, "sqlite": 0.5, "postgres": 0.2}
"""Share of a target's examples each storage backend runs (PostgreSQL is the slowest)."""


def examples(base: int, backend: str = "memory") -> settings:
    """Hypothesis settings for one fuzz target: ``base`` examples, scaled per backend.

    ``SERVICECORE_FUZZ_SCALE`` multiplies every count (e.g. 20 for a long fuzzing session by hand),
    so CI stays fast while a developer can search far wider with the same tests.
    """
    scale = float(os.environ.get("SERVICECORE_FUZZ_SCALE", "1"))
    count = max(1, round(base * scale * BACKEND_EXAMPLES[backend]))
    return settings(max_examples=count, deadline=None, database=None)


class DeepList(list[object]):
    """A list nested :data:`DEPTH` times whose repr is short (a full repr would overflow)."""

    def __repr__(self) -> str:
        return f"[[[...{DEPTH} deep...]]]"


class DeepDict(dict[str, object]):
    """A dict nested :data:`DEPTH` times whose repr is short."""

    def __repr__(self) -> str:
        return f"{{'a': {{...{DEPTH} deep...}}}}"


def deep_list(depth: int = DEPTH) -> DeepList:
    """``[[[...]]]`` nested ``depth`` times, built without recursion."""
    value: list[object] = []
    for _ in range(depth - 1):
        value = [value]
    return DeepList([value])


def deep_dict(depth: int = DEPTH) -> DeepDict:
    """``{"a": {"a": ...}}`` nested ``depth`` times."""
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return DeepDict(a=value)


DEEP_LIST = deep_list()
DEEP_DICT = deep_dict()

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "R-1\n",
    "\n",
    "\u202e\u0000",
    "١٢٣",
    "\U0001d518\U0001d52b",
    "'; DROP TABLE requests; --",
    "{{ 7 * 7 }}",
    "x" * 100_000,
]
"""Strings that have broken text handling somewhere: empty, NUL, surrogates, newlines, huge."""

NASTY_NUMBERS: list[object] = [
    0,
    -1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**400,
    -(10**400),
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -0.0,
    5e-324,
    True,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1e999999"),
    Decimal("1E-999999"),
    Decimal("123456789012345678901234567890.123456789"),
]
"""Numbers at and beyond every limit: huge integers, NaN, infinities, signalling NaN, tiny ones."""

NASTY_TIMES: list[object] = [
    datetime(2026, 3, 2, 9, 0),  # naive
    datetime.min,
    datetime.max,
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=23, minutes=59))),
    date.min,
    date.max,
    time(0, 0),
    timedelta.max,
    timedelta.min,
    timedelta(0),
    timedelta(seconds=-1),
]
"""Dates and times at the edges of the calendar, naive datetimes, extreme durations."""


def _odd_values() -> st.SearchStrategy[object]:
    return st.sampled_from(
        [
            None,
            object(),
            b"bytes",
            bytearray(b"x"),
            {1, 2},
            frozenset(),
            (),
            [],
            {},
            {1: 2},
            {None: None},
            ["ok", 5],
            ["ok", None],
            ["x"] * 10_000,
            DEEP_LIST,
            DEEP_DICT,
            type,
            print,
            Ellipsis,
            NotImplemented,
        ]
    )


@functools.cache
def hostile() -> st.SearchStrategy[object]:
    """Any hostile value, of any type."""
    return st.one_of(
        _odd_values(),
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(NASTY_NUMBERS),
        st.sampled_from(NASTY_TIMES),
        st.text(max_size=20),
        st.integers(),
        st.floats(),
        st.decimals(),
    )


@functools.cache
def hostile_json() -> st.SearchStrategy[object]:
    """Hostile values that JSON can carry (what a corrupted or forged stored record could hold)."""
    return st.one_of(
        st.sampled_from([None, True, False, [], {}, ["ok", 5], {"": None}, DEEP_LIST, DEEP_DICT]),
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(
            [0, -1, 2**63, 10**400, math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]
        ),
        st.sampled_from(
            [
                "NaN",
                "sNaN",
                "Infinity",
                "1e999999",
                "-0",
                "0001-01-01T00:00:00",
                "9999-12-31T23:59:59+00:00",
                "2026-02-30",
                "24:00",
                "P1D",
            ]
        ),
        st.text(max_size=20),
        st.integers(),
        st.floats(),
    )


def first_segment(path: str) -> str:
    """``parts[2].quantity`` -> ``parts``; ``[0].x`` -> ``[0]``."""
    head = path.split(".", 1)[0]
    return head.split("[", 1)[0] or head


def check_error(
    exc: BaseException, names: set[str] | None = None, *, allow_root: bool = False
) -> None:
    """Fail unless ``exc`` is a servicecore error that names what was wrong.

    A ``ValidationError`` must name a field for every error (and, when ``names`` is given, a
    field of ``names``, the parameters or fields that held a hostile value); a ``NotFound`` must
    name the kind and id it looked for (``allow_root``: the whole value was hostile, so an error
    about the value itself has the empty path). Other servicecore errors (refused transitions,
    denied permissions, double bookings) name their subject in their own attributes.
    """
    if not isinstance(exc, ServicecoreError):
        raise AssertionError(f"raw {type(exc).__name__} escaped: {exc!r}") from exc
    if isinstance(exc, ValidationError):
        paths = [e.path for e in exc.errors]
        assert allow_root or all(paths), f"a ValidationError without a field: {exc}"
        if names is not None:
            assert {first_segment(p) for p in paths} & names, (
                f"the error names {paths}, not one of the hostile fields {sorted(names)}: {exc}"
            )
    if isinstance(exc, NotFound):
        assert exc.kind
        assert exc.id is not None


def _model_strategies() -> dict[type, st.SearchStrategy[object]]:
    """The strategies of :mod:`servicecore.testing.strategies` by the class they draw."""
    import inspect
    import re

    from servicecore.testing import strategies as sst

    found: dict[type, st.SearchStrategy[object]] = {}
    for name, builder in vars(sst).items():
        if name.startswith("_") or not inspect.isfunction(builder):
            continue
        returned = str(inspect.signature(builder).return_annotation)
        match = re.search(r"(\w+)'?\)?\]?$", returned)
        cls = getattr(sst, match.group(1), None) if match else None
        if not isinstance(cls, type) or cls in found:
            continue
        try:
            found[cls] = builder()
        except TypeError:
            continue
    return found


MODEL_STRATEGIES = _model_strategies()
"""Valid model objects by class, drawn from servicecore's own strategies."""


def paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path in a JSON tree, the root (``()``) first."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(paths(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(paths(value, (*path, index)))
    return found


def replace(node: object, path: tuple[object, ...], value: object) -> object:
    """A copy of ``node`` with the node at ``path`` replaced by ``value``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: replace(node[head], rest, value)}
    assert isinstance(node, list)
    return [replace(v, rest, value) if i == head else v for i, v in enumerate(node)]


def delete(node: object, path: tuple[object, ...]) -> object:
    """A copy of ``node`` without the node at ``path`` (not the root)."""
    parent, key = path[:-1], path[-1]
    holder = node
    for step in parent:
        holder = holder[step]  # type: ignore[index]
    if isinstance(holder, dict):
        return replace(node, parent, {k: v for k, v in holder.items() if k != key})
    assert isinstance(holder, list)
    return replace(node, parent, [v for i, v in enumerate(holder) if i != key])


def corrupt(data: st.DataObject, stored: object) -> tuple[object, tuple[object, ...]]:
    """Corrupt one node of a JSON tree: replace it with a hostile value, delete it, or add a key.

    Returns the corrupted tree and the path of the node (empty: the whole tree).
    """
    path = data.draw(st.sampled_from(paths(stored)), label="path")
    how = data.draw(st.sampled_from(["replace", "delete", "add"]), label="how")
    if how == "delete" and path:
        return delete(stored, path), path
    if how == "add" and isinstance(stored, dict):
        key = data.draw(st.text(min_size=1, max_size=8), label="key")
        return {**stored, key: data.draw(hostile_json(), label="value")}, (key,)
    return replace(stored, path, data.draw(hostile_json(), label="value")), path
