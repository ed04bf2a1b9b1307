"""Editing, reviewing and retiring knowledge articles (seed 004: 知识, opened for editing)."""

from decimal import Decimal

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.basics import FixedClock
from servicecore.errors import (
    InvalidTransition,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.model.archive import ArchiveStatus
from servicecore.model.enums import SolutionType
from servicecore.model.knowledge import KnowledgeStatus
from servicecore.model.processing import ProcessingStatus
from servicecore.model.request import Closure, RequestStatus
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f


@pytest.fixture
def desk(storage, tenant) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        uow.archives.add(f.archive(id="A-1", status=ArchiveStatus.REGISTERED))
        closure = Closure(closed_at=f.NOW, closed_by="cs-1", summary="relay replaced")
        uow.requests.add(
            f.request(
                id="R-1",
                status=RequestStatus.CLOSED,
                closure=closure,
                fault_cause="Relay contacts burnt",
                symptoms="Unit blows warm air, compressor clicks",
            )
        )
        uow.processing.add(
            f.processing(
                status=ProcessingStatus.COMPLETED,
                solution_type=SolutionType.REPLACEMENT,
                solution_text="Replaced the start relay",
                labour_hours=Decimal("1"),
            )
        )
        uow.requests.add(f.request(id="R-2", symptoms="warm air and clicking compressor"))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW))


def _suggested(desk: ServiceDesk) -> list[str]:
    return [s.article.id for s in desk.work.suggest_solutions(CS, "R-2")]


def test_an_article_published_at_once_is_suggested(desk) -> None:
    article = desk.work.publish_knowledge(CS, "R-1")
    assert article.status is KnowledgeStatus.PUBLISHED
    assert _suggested(desk) == [article.id]


def test_a_draft_for_review_is_not_suggested_until_approved(desk) -> None:
    draft = desk.work.publish_knowledge(CS, "R-1", review=True)
    assert draft.status is KnowledgeStatus.DRAFT
    assert _suggested(desk) == []
    desk.work.submit_knowledge(TECH, draft.id)
    assert (
        desk.work.review_knowledge(SUP, draft.id, approve=True).status is KnowledgeStatus.PUBLISHED
    )
    assert _suggested(desk) == [draft.id]


def test_a_reviewer_sends_a_draft_back_saying_why(desk, storage, tenant) -> None:
    draft = desk.work.publish_knowledge(CS, "R-1", review=True)
    desk.work.submit_knowledge(TECH, draft.id)
    back = desk.work.review_knowledge(SUP, draft.id, approve=False, reason="name the relay part")
    assert back.status is KnowledgeStatus.DRAFT
    with storage.unit_of_work(tenant) as uow:
        steps = [(e.trigger, e.reason) for e in uow.audit.entries("KnowledgeArticle", draft.id)]
    assert steps == [
        ("create", ""),
        ("submit", ""),
        ("send_back", "name the relay part"),
    ]


def test_sending_back_needs_a_reason(desk) -> None:
    draft = desk.work.publish_knowledge(CS, "R-1", review=True)
    desk.work.submit_knowledge(TECH, draft.id)
    with pytest.raises(TransitionRefused):
        desk.work.review_knowledge(SUP, draft.id, approve=False)


def test_editing_a_published_article_keeps_it_published(desk) -> None:
    article = desk.work.publish_knowledge(CS, "R-1")
    edited = desk.work.edit_knowledge(
        TECH, article.id, solution="Replace start relay RL-7", tags=("relay", "compressor")
    )
    assert (edited.solution, edited.tags, edited.status) == (
        "Replace start relay RL-7",
        ("relay", "compressor"),
        KnowledgeStatus.PUBLISHED,
    )


def test_an_edit_that_changes_nothing_is_refused(desk) -> None:
    article = desk.work.publish_knowledge(CS, "R-1")
    with pytest.raises(ValidationError) as info:
        desk.work.edit_knowledge(TECH, article.id, solution=article.solution)
    assert info.value.errors[0].path == "article_id"


def test_a_bad_edit_names_the_field_and_changes_nothing(desk, storage, tenant) -> None:
    article = desk.work.publish_knowledge(CS, "R-1")
    with pytest.raises(ValidationError) as info:
        desk.work.edit_knowledge(TECH, article.id, cause="fine", solution="")
    assert info.value.errors[0].path == "solution"
    with storage.unit_of_work(tenant) as uow:
        assert uow.knowledge.get(article.id).cause == article.cause


def test_a_retired_article_is_not_suggested_nor_edited(desk) -> None:
    article = desk.work.publish_knowledge(CS, "R-1")
    desk.work.retire_knowledge(SUP, article.id, "the relay model changed")
    assert _suggested(desk) == []
    with pytest.raises(InvalidTransition):
        desk.work.edit_knowledge(TECH, article.id, solution="x")


def test_only_supervisors_review_and_retire(desk) -> None:
    draft = desk.work.publish_knowledge(CS, "R-1", review=True)
    desk.work.submit_knowledge(TECH, draft.id)
    with pytest.raises(PermissionDenied):
        desk.work.review_knowledge(TECH, draft.id, approve=True)
    with pytest.raises(PermissionDenied):
        desk.work.retire_knowledge(CS, draft.id, "old")


def test_only_a_draft_is_submitted(desk) -> None:
    article = desk.work.publish_knowledge(CS, "R-1")
    with pytest.raises(InvalidTransition):
        desk.work.submit_knowledge(TECH, article.id)


def test_an_article_stored_before_reviews_existed_reads_as_published() -> None:
    assert f.knowledge_article().status is KnowledgeStatus.PUBLISHED
