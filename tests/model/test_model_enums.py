from __future__ import annotations

import enum
import importlib

import pytest

from servicecore import model
from servicecore.model import (
    CareMethod,
    Channel,
    EvidenceKind,
    Priority,
    ServiceType,
    SolutionType,
)


def test_priorities_rank_from_most_urgent() -> None:
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.EMERGENCY,
        Priority.URGENT,
        Priority.NORMAL,
        Priority.LOW,
    ]
    assert [p.rank for p in Priority] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (ServiceType.CONSULT, False),
        (ServiceType.COMPLAINT, False),
        (ServiceType.REPAIR, True),
        (ServiceType.INSTALLATION, True),
        (ServiceType.MAINTENANCE, True),
        (ServiceType.WARRANTY_CLAIM, True),
    ],
)
def test_only_work_on_a_product_needs_an_archive(kind: ServiceType, expected: bool) -> None:
    assert kind.needs_archive is expected


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (
            ServiceType,
            [
                "consult",
                "repair",
                "installation",
                "maintenance",
                "complaint",
                "warranty_claim",
                "phone_contact",
            ],
        ),
        (Channel, ["online", "call_centre", "walk_in"]),
        (SolutionType, ["return_repair", "repair_with_loaner", "sale", "exchange", "replacement"]),
        (CareMethod, ["sms", "email", "letter", "phone", "visit", "other"]),
        (EvidenceKind, ["photo_before", "photo_after", "signature", "document"]),
    ],
)
def test_enum_values_are_the_documented_lowercase_strings(
    cls: type[enum.Enum], values: list[str]
) -> None:
    assert [m.value for m in cls] == values


def test_every_model_enum_has_lowercase_string_values() -> None:
    enums = [
        obj
        for name in model.__all__
        if isinstance(obj := getattr(model, name), type) and issubclass(obj, enum.Enum)
    ]
    assert len(enums) >= 17
    for cls in enums:
        for member in cls:
            assert isinstance(member.value, str)
            assert member.value == member.name.lower(), f"{cls.__name__}.{member.name}"


def test_the_package_re_exports_every_public_name_of_its_modules_once() -> None:
    modules = [
        "actor",
        "archive",
        "booking",
        "calendar",
        "care",
        "claims",
        "common",
        "contract",
        "dispatch",
        "documents",
        "enums",
        "evidence",
        "knowledge",
        "lines",
        "maintenance",
        "parts",
        "processing",
        "quote",
        "request",
        "survey",
        "technician",
    ]
    expected: set[str] = set()
    for name in modules:
        module = importlib.import_module(f"servicecore.model.{name}")
        for public in module.__all__:
            assert getattr(model, public) is getattr(module, public)
        expected |= set(module.__all__)
    assert len(model.__all__) == len(set(model.__all__))
    assert set(model.__all__) == expected
