"""Knowledge articles, evidence and survey results: entities with a version but no lifecycle."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import Evidence, EvidenceKind, KnowledgeArticle, SurveyResult

T0 = datetime(2025, 4, 1, 8, tzinfo=UTC)
DIGEST = hashlib.sha256(b"photo").hexdigest()


def article(**over: Any) -> KnowledgeArticle:
    base: dict[str, Any] = {
        "id": "kb-1",
        "symptom": "compressor hums but does not start",
        "cause": "start capacitor failed",
        "solution": "replace the 45 uF start capacitor",
        "created_at": T0,
        "product_code": "AC-12K",
        "source_request_id": "rq-1",
        "tags": ("compressor", "capacitor"),
    }
    return KnowledgeArticle(**{**base, **over})


def evidence(**over: Any) -> Evidence:
    base: dict[str, Any] = {
        "id": "ev-1",
        "request_id": "rq-1",
        "kind": EvidenceKind.PHOTO_BEFORE,
        "content_hash": DIGEST,
        "uri": "s3://evidence/rq-1/ev-1.jpg",
        "taken_at": T0,
        "taken_by": "tech-1",
    }
    return Evidence(**{**base, **over})


def survey(**over: Any) -> SurveyResult:
    base: dict[str, Any] = {
        "id": "sv-1",
        "request_id": "rq-1",
        "score": 5,
        "answered_at": T0,
        "sla_met": True,
        "technician_id": "tech-1",
        "comment": "",
    }
    return SurveyResult(**{**base, **over})


def test_valid_records_build() -> None:
    assert article().tags == ("compressor", "capacitor")
    assert evidence().kind is EvidenceKind.PHOTO_BEFORE
    assert survey().score == 5


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("symptom", " "),
        ("cause", None),
        ("solution", ""),
        ("created_at", datetime(2025, 4, 1)),
        ("product_code", "AC 12K"),
        ("source_request_id", 1),
        ("tags", ("a", "a")),
        ("tags", ["a"]),
        ("version", -1),
    ],
)
def test_article_refuses_bad_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        article(**{field: bad})
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("request_id", None),
        ("kind", "photo_before"),
        ("content_hash", DIGEST.upper()),
        ("content_hash", DIGEST[:-1]),
        ("content_hash", DIGEST + "0"),
        ("content_hash", "g" * 64),
        ("uri", ""),
        ("taken_at", "2025-04-01"),
        ("taken_by", "tech 1"),
    ],
)
def test_evidence_refuses_bad_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        evidence(**{field: bad})
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("request_id", None),
        ("score", 0),
        ("score", 6),
        ("score", 4.5),
        ("score", True),
        ("answered_at", datetime(2025, 4, 1)),
        ("sla_met", "yes"),
        ("technician_id", ""),
        ("comment", None),
        ("comment", "x" * 5001),
    ],
)
def test_survey_refuses_bad_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        survey(**{field: bad})
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_survey_accepts_every_score_from_one_to_five(score: int) -> None:
    assert survey(score=score).score == score
