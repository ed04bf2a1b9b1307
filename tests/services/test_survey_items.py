"""Surveys with the seed's follow-up elements (回访要素, seed 004), not only one score."""

import pytest
from desk_actors import CS

from servicecore.basics import FixedClock
from servicecore.errors import ValidationError
from servicecore.model.request import Closure, RequestStatus
from servicecore.model.survey import SurveyItem
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f


@pytest.fixture
def desk(storage, tenant) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        closure = Closure(closed_at=f.NOW, closed_by="cs-1", summary="fixed")
        uow.requests.add(f.request(id="R-1", status=RequestStatus.CLOSED, closure=closure))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW))


ITEMS = (
    SurveyItem(element="response_speed", score=4),
    SurveyItem(element="attitude", score=5, answer="very polite"),
    SurveyItem(element="suggestion", answer="call before coming"),
)


def test_the_follow_up_elements_are_kept_with_the_survey(desk, storage, tenant) -> None:
    desk.work.record_survey(CS, "R-1", 4, "good", items=ITEMS)
    with storage.unit_of_work(tenant) as uow:
        (survey,) = uow.surveys.iterate()
    assert survey.items == ITEMS


def test_the_survey_event_carries_the_scored_elements(desk, storage, tenant) -> None:
    desk.work.record_survey(CS, "R-1", 4, items=ITEMS)
    (told,) = [e for e in storage.pending_events(tenant) if e.name == "SurveyRecorded"]
    assert told.payload["items"] == {"response_speed": 4, "attitude": 5}


def test_an_element_asked_twice_is_refused(desk, storage, tenant) -> None:
    twice = (SurveyItem(element="attitude", score=5), SurveyItem(element="attitude", score=1))
    with pytest.raises(ValidationError) as info:
        desk.work.record_survey(CS, "R-1", 4, items=twice)
    assert info.value.errors[0].path == "items[1].element"
    with storage.unit_of_work(tenant) as uow:
        assert list(uow.surveys.iterate()) == []


def test_an_element_needs_a_score_or_an_answer() -> None:
    with pytest.raises(ValidationError) as info:
        SurveyItem(element="attitude")
    assert info.value.errors[0].path == "score"


def test_an_element_score_is_one_to_five() -> None:
    with pytest.raises(ValidationError) as info:
        SurveyItem(element="attitude", score=6)
    assert info.value.errors[0].path == "score"
