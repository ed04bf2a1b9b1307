"""Knowledge: suggestions by symptoms and product, their hit rate, articles from requests."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.knowledge import (
    DEFAULT_MIN_SCORE,
    PRODUCT_MATCH_BONUS,
    Suggestion,
    article_from_request,
    normalise,
    suggest,
)
from servicecore.model.knowledge import KnowledgeArticle
from servicecore.model.processing import ProcessingStatus
from servicecore.model.request import Closure, RequestStatus
from servicecore.testing import factories as f

CORPUS = Path(__file__).parent / "data" / "knowledge_corpus.json"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def article(id: str, symptom: str, product: str | None = None, **kw: Any) -> KnowledgeArticle:
    fields = {"cause": "c", "solution": "s", "created_at": T0} | kw
    return KnowledgeArticle(id=id, symptom=symptom, product_code=product, **fields)


SMALL = [
    article("K-1", "Air conditioner blows warm air, compressor clicks", "AC-9000"),
    article("K-2", "Indoor unit leaks water down the wall", "AC-9000"),
    article("K-3", "Elevator doors keep reopening and will not close", "ELV-300"),
    article("K-4", "Fridge is not cold but the freezer works", "REF-200"),
    article("K-5", "Engine cranks but will not start", "VH-PU2"),
]


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.article.id for s in suggestions]


# --- normalisation and ranking ---


def test_normalise_folds_case_punctuation_contractions_and_stop_words() -> None:
    assert normalise("The AC doesn't COOL!!  It won't start.") == "ac not cool not start"
    assert normalise("Kulkas saya tidak dingin, padahal baru") == "kulkas tidak dingin baru"
    # Full-width input, as some phone keyboards type it.
    assert normalise("\uff21\uff23\u3000\uff25\uff11") == "ac e1"


@pytest.mark.parametrize(
    ("symptoms", "product", "expected"),
    [
        ("aircon is blowing warm air", "AC-9000", "K-1"),
        ("water dripping from indoor unit", "AC-9000", "K-2"),
        ("lift door wont close", "ELV-300", "K-3"),
        ("fridge not cold, freezer ok", None, "K-4"),
        ("truck cranks, will not start", "VH-PU2", "K-5"),
        ("warm air blows from the conditioner", None, "K-1"),  # word order changed
        ("elevater dors keep reopning", None, "K-3"),  # typos
    ],
)
def test_known_answers_rank_first(symptoms: str, product: str | None, expected: str) -> None:
    result = suggest(symptoms, product, SMALL)
    assert result
    assert result[0].article.id == expected
    assert all(0 <= s.score <= 100 for s in result)
    assert [s.score for s in result] == sorted((s.score for s in result), reverse=True)


def test_product_match_lifts_and_a_different_product_lowers() -> None:
    ac = article("K-AC", "Unit blows hot air, not cooling", "AC-9000")
    car = article("K-CAR", "Unit blows hot air, not cooling", "VH-PU2")
    generic = article("K-ANY", "Unit blows hot air, not cooling")

    for_car = suggest("blows hot air", "VH-PU2", [ac, car, generic])
    for_ac = suggest("blows hot air", "AC-9000", [ac, car, generic])
    unknown = suggest("blows hot air", None, [ac, car, generic], limit=5)

    assert ids(for_car) == ["K-CAR", "K-ANY", "K-AC"]
    assert ids(for_ac) == ["K-AC", "K-ANY", "K-CAR"]
    assert len({s.score for s in unknown}) == 1  # no product given: no bonus, no penalty
    assert for_car[0].score == min(100, for_car[1].score + PRODUCT_MATCH_BONUS)
    assert any("same product VH-PU2" in r for r in for_car[0].reasons)
    assert any("written for AC-9000" in r for r in for_car[2].reasons)


def test_the_product_bonus_decides_between_equally_similar_articles() -> None:
    car = article("K-CAR", "Air conditioning blows hot air", "VH-PU2")
    home = article("K-HOME", "Air conditioning blows hot air", "AC-9000")

    assert ids(suggest("AC blows hot air", "VH-PU2", [home, car]))[0] == "K-CAR"
    assert ids(suggest("AC blows hot air", "AC-9000", [car, home]))[0] == "K-HOME"


def test_ties_go_to_the_newest_article_then_by_id() -> None:
    old = article("K-OLD", "Pilot light keeps going out", created_at=T0)
    new = article("K-NEW", "Pilot light keeps going out", created_at=T0 + timedelta(days=9))
    twin = article("K-A", "Pilot light keeps going out", created_at=T0)

    assert ids(suggest("pilot light goes out", None, [old, new, twin])) == [
        "K-NEW",
        "K-A",
        "K-OLD",
    ]


def test_tags_are_matched_too() -> None:
    tagged = article("K-T", "Fridge compartment warm", "REF-200", tags=("kulkas tidak dingin",))
    other = article("K-O", "Freezer full of frost", "REF-200")

    assert ids(suggest("kulkas tidak dingin", "REF-200", [other, tagged]))[0] == "K-T"


def test_symptoms_of_only_stop_words_match_nothing() -> None:
    assert suggest("it is the, and?!", None, SMALL) == []


def test_empty_corpus_gives_no_suggestions() -> None:
    assert suggest("anything at all", "AC-9000", []) == []


def test_limit_caps_the_list() -> None:
    many = [article(f"K-{i}", "Air conditioner blows warm air") for i in range(10)]
    assert len(suggest("warm air from aircon", None, many, limit=3)) == 3
    assert len(suggest("warm air from aircon", None, many, limit=1)) == 1


def test_min_score_filters_unrelated_articles() -> None:
    result = suggest("invoice question about my payment", None, SMALL)
    assert result == []
    everything = suggest("invoice question about my payment", None, SMALL, min_score=0)
    assert len(everything) == len(SMALL)
    assert all(s.score < DEFAULT_MIN_SCORE for s in everything)


def test_reasons_explain_the_score() -> None:
    [best, *_] = suggest("compressor clicks, warm air", "AC-9000", SMALL)
    assert best.reasons[0].startswith("symptoms ")
    assert any(r.startswith("shared words: ") and "compressor" in r for r in best.reasons)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"symptoms": "   "}, "symptoms"),
        ({"limit": 0}, "limit"),
        ({"limit": True}, "limit"),
        ({"min_score": 101}, "min_score"),
        ({"min_score": -1}, "min_score"),
        ({"min_score": "high"}, "min_score"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], field: str) -> None:
    call: dict[str, Any] = {"symptoms": "warm air", "product_code": None, "articles": SMALL}
    with pytest.raises(ValidationError) as caught:
        suggest(**(call | kwargs))
    assert caught.value.errors[0].path == field


# --- hit rate on the test corpus ---


def load_corpus() -> tuple[list[KnowledgeArticle], list[dict[str, Any]]]:
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    articles = [
        KnowledgeArticle(
            id=a["id"],
            symptom=a["symptom"],
            cause=a["cause"],
            solution=a["solution"],
            product_code=a["product_code"],
            tags=tuple(a["tags"]),
            created_at=datetime.fromisoformat(a["created_at"]),
        )
        for a in data["articles"]
    ]
    return articles, data["queries"]


def hit_rates(*, use_product: bool, holdout: bool) -> tuple[float, float, list[str]]:
    articles, queries = load_corpus()
    chosen = [q for q in queries if q.get("holdout", False) is holdout]
    top1 = top3 = 0
    misses = []
    for query in chosen:
        product = query["product_code"] if use_product else None
        found = ids(suggest(query["symptoms"], product, articles, limit=3))
        top1 += found[:1] == [query["expected"]]
        top3 += query["expected"] in found
        if query["expected"] not in found:
            misses.append(f"{query['symptoms']!r}: wanted {query['expected']}, got {found}")
    name = "held-out" if holdout else "tuning"
    basis = "symptoms and product" if use_product else "symptoms alone"
    print(
        f"\nknowledge hit rate, {name} queries ({len(chosen)}), {basis}: "
        f"top-1 {top1 / len(chosen):.3f}, top-3 {top3 / len(chosen):.3f}"
    )
    print("".join(f"  top-3 miss: {m}\n" for m in misses), end="")
    return top1 / len(chosen), top3 / len(chosen), misses


def test_the_corpus_is_realistic_in_size_and_labels() -> None:
    articles, queries = load_corpus()
    assert len(articles) >= 40
    assert len([q for q in queries if not q.get("holdout")]) >= 80
    assert len([q for q in queries if q.get("holdout")]) >= 20
    known = {a.id for a in articles}
    assert {q["expected"] for q in queries} <= known
    assert len({a.product_code for a in articles}) >= 5


# The scoring was tuned on the 80 tuning queries. The 20 held-out queries were written before the
# final formula was fixed and used only to choose among three candidates (they rejected an IDF
# weighting that looked better on the tuning set), so their figures are the fairer estimate.
# Floors sit under the measured figures (in the comments), so that a scoring change
# that costs more than a query or two fails here.
@pytest.mark.parametrize(
    ("use_product", "holdout", "floor1", "floor3"),
    [
        (True, False, 0.92, 0.95),  # measured 0.963 / 0.988
        (False, False, 0.82, 0.92),  # measured 0.875 / 0.963
        (True, True, 0.75, 0.90),  # measured 0.850 / 0.950
        (False, True, 0.60, 0.80),  # measured 0.700 / 0.900
    ],
)
def test_hit_rate(use_product: bool, holdout: bool, floor1: float, floor3: float) -> None:
    top1, top3, _ = hit_rates(use_product=use_product, holdout=holdout)
    assert top1 >= floor1
    assert top3 >= floor3


# --- articles from closed requests ---


def closed_request(**overrides: Any) -> Any:
    closed_at = f.NOW + timedelta(hours=5)
    defaults = {
        "symptoms": "AC blows warm air, clicking from the outdoor unit",
        "fault_cause": "Start relay contacts burnt",
        "status": RequestStatus.CLOSED,
        "closure": Closure(closed_at=closed_at, closed_by="T-7", summary="Relay replaced"),
    }
    return f.request(**(defaults | overrides))


def test_article_from_a_closed_request() -> None:
    orders = [
        f.completed_processing(id="P-1", status=ProcessingStatus.COMPLETED),
        f.completed_processing(
            id="P-2",
            dispatch_id="D-2",
            solution_text="Cleaned the condenser",
            status=ProcessingStatus.COMPLETED,
        ),
        f.completed_processing(
            id="P-3", dispatch_id="D-3", solution_text="Never done", status=ProcessingStatus.OPEN
        ),
        f.completed_processing(id="P-4", dispatch_id="D-4", status=ProcessingStatus.COMPLETED),
    ]
    written = f.NOW + timedelta(days=1)

    made = article_from_request(
        closed_request(),
        orders,
        article_id="KA-9",
        created_at=written,
        product_code="AC-9000",
        tags=("relay",),
    )

    assert made.id == "KA-9"
    assert made.symptom == "AC blows warm air, clicking from the outdoor unit"
    assert made.cause == "Start relay contacts burnt"
    assert made.solution == "Replaced the compressor relay\nCleaned the condenser"
    assert (made.product_code, made.source_request_id, made.created_at) == (
        "AC-9000",
        "R-1",
        written,
    )
    assert made.tags == ("relay",)
    # The article it makes is found again for the same complaint.
    assert ids(suggest("ac blowing warm air and clicking", "AC-9000", [*SMALL, made]))[0] == "KA-9"


def test_cause_falls_back_to_the_orders_fault_causes() -> None:
    orders = [
        f.completed_processing(fault_cause="Relay burnt", status=ProcessingStatus.COMPLETED),
        f.completed_processing(
            id="P-2", dispatch_id="D-2", fault_cause="Loose wire", status=ProcessingStatus.COMPLETED
        ),
    ]
    made = article_from_request(
        closed_request(fault_cause=None), orders, article_id="KA-9", created_at=f.NOW
    )
    assert made.cause == "Relay burnt; Loose wire"
    assert made.product_code is None


@pytest.mark.parametrize("status", [s for s in RequestStatus if s is not RequestStatus.CLOSED])
def test_only_closed_requests_make_articles(status: RequestStatus) -> None:
    request = closed_request(status=status, closure=None)
    orders = [f.completed_processing(status=ProcessingStatus.COMPLETED)]
    with pytest.raises(ValidationError) as caught:
        article_from_request(request, orders, article_id="KA-9", created_at=f.NOW)
    assert caught.value.errors[0].path == "request.status"


def test_a_request_without_a_solution_text_makes_no_article() -> None:
    orders = [
        f.completed_processing(status=ProcessingStatus.OPEN),
        f.completed_processing(
            id="P-2", dispatch_id="D-2", status=ProcessingStatus.CANCELLED, solution_text="x"
        ),
    ]
    for given in (orders, []):
        with pytest.raises(ValidationError) as caught:
            article_from_request(closed_request(), given, article_id="KA-9", created_at=f.NOW)
        assert caught.value.errors[0].path == "processing_orders"


def test_a_request_without_any_cause_makes_no_article() -> None:
    orders = [f.completed_processing(fault_cause=None, status=ProcessingStatus.COMPLETED)]
    with pytest.raises(ValidationError) as caught:
        article_from_request(
            closed_request(fault_cause=None), orders, article_id="KA-9", created_at=f.NOW
        )
    assert caught.value.errors[0].path == "request.fault_cause"


def test_orders_of_another_request_are_refused() -> None:
    orders = [f.completed_processing(request_id="R-2", status=ProcessingStatus.COMPLETED)]
    with pytest.raises(ValidationError) as caught:
        article_from_request(closed_request(), orders, article_id="KA-9", created_at=f.NOW)
    assert caught.value.errors[0].path == "processing_orders[0].request_id"
