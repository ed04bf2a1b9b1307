"""The validators added for the aggregates: durations, patterns, times of day, timezone names."""

from __future__ import annotations

from datetime import UTC, time, timedelta
from typing import Any

import attrs
import pytest

from servicecore.errors import ValidationError
from servicecore.model import _validate as v


@attrs.define
class _Holder:
    field: object = None


def attribute() -> attrs.Attribute[Any]:
    return attrs.fields(_Holder).field


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (v.duration(), timedelta(0), timedelta(seconds=-1)),
        (v.duration(), timedelta(hours=1), 3600),
        (v.duration(positive=True), timedelta(microseconds=1), timedelta(0)),
        (v.matches(r"[a-z]+", "lower-case letters"), "abc", "abc1"),
        (v.matches(r"[a-z]+", "lower-case letters", max_len=3), "abc", "abcd"),
        (v.matches(r"[a-z]+", "lower-case letters"), "a", None),
        (v.time_of_day, time(8, 30), "08:30"),
        (v.time_of_day, time(0), time(8, tzinfo=UTC)),
        (v.timezone_name, "Asia/Jakarta", "Asia/Nowhere"),
        (v.timezone_name, "UTC", "Asia"),
        (v.timezone_name, "Europe/Paris", ""),
    ],
)
def test_validator_accepts_good_and_refuses_bad_naming_the_field(
    validator: v.Validator, good: object, bad: object
) -> None:
    validator(None, attribute(), good)
    with pytest.raises(ValidationError) as caught:
        validator(None, attribute(), bad)
    assert caught.value.errors[0].path == "field"
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize("bad", ["R-1\n", "R-1\r\n", "\nR-1"])
def test_an_id_with_a_line_break_is_refused(bad):
    from servicecore.errors import ValidationError
    from servicecore.testing import factories as f

    with pytest.raises(ValidationError) as info:
        f.request(id=bad)
    assert info.value.errors[0].path == "id"


@pytest.mark.parametrize(
    ("bad", "why"),
    [("Warm\x00air", "NUL"), ("Warm air \ud800", "surrogate")],
    ids=["nul", "lone-surrogate"],
)
def test_text_no_database_can_store_is_refused_naming_the_field(bad, why):
    from servicecore.testing import factories as f

    with pytest.raises(ValidationError, match=why) as info:
        f.request(symptoms=bad)
    assert info.value.errors[0].path == "symptoms"


def test_a_reason_with_a_lone_surrogate_is_a_validation_error():
    from datetime import datetime

    from servicecore.lifecycle import TransitionContext
    from servicecore.model.actor import SYSTEM

    with pytest.raises(ValidationError) as info:
        TransitionContext(actor=SYSTEM, at=datetime(2026, 3, 2, tzinfo=UTC), reason="late \udc80")
    assert info.value.errors[0].path == "reason"
