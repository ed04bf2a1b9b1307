"""Care tasks on care plans, and the effectiveness arithmetic (seed 004, 客户关怀)."""

from datetime import timedelta
from decimal import Decimal

import hypothesis.strategies as st
import pytest
from hypothesis import given

from servicecore.errors import ValidationError
from servicecore.model import CareMethod, CareOutcome, CareTask, CareTaskStatus, Money
from servicecore.model.care import CarePlan
from servicecore.model.lines import MoneyLine
from servicecore.serialization import structure, unstructure
from servicecore.services.care import evaluate_care
from servicecore.testing import factories as f
from servicecore.testing.strategies import care_plans, care_tasks


def task(**kw):
    fields = {
        "id": "T-1",
        "customer_id": "C-1",
        "method": CareMethod.PHONE,
        "due": f.NOW,
        "assignee": "sales-1",
    }
    return CareTask(**{**fields, **kw})


def test_an_open_task_has_no_outcome_and_a_done_one_needs_it():
    assert task().status is CareTaskStatus.OPEN
    with pytest.raises(ValidationError, match="outcome"):
        task(outcome=CareOutcome.POSITIVE)
    with pytest.raises(ValidationError, match="outcome"):
        task(status=CareTaskStatus.DONE, done_at=f.NOW)
    with pytest.raises(ValidationError, match="done_at"):
        task(status=CareTaskStatus.DONE, outcome=CareOutcome.NEUTRAL)
    done = task(status=CareTaskStatus.DONE, outcome=CareOutcome.NEUTRAL, done_at=f.NOW)
    assert done.outcome is CareOutcome.NEUTRAL


@pytest.mark.parametrize("method", [CareMethod.SMS, CareMethod.EMAIL, CareMethod.LETTER])
def test_sent_methods_are_not_tasks(method):
    with pytest.raises(ValidationError, match="method"):
        task(method=method)


def test_a_naive_due_time_is_refused():
    with pytest.raises(ValidationError, match="due"):
        task(due=f.NOW.replace(tzinfo=None))


def test_a_plan_refuses_a_task_of_a_stranger_and_duplicate_task_ids():
    with pytest.raises(ValidationError, match=r"tasks\[0\].assignee"):
        f.care_plan(tasks=(task(assignee="ghost"),))
    with pytest.raises(ValidationError, match="appears more than once"):
        f.care_plan(tasks=(task(), task(customer_id="C-2")))


@given(care_plans())
def test_care_plans_with_tasks_round_trip(plan):
    back = structure(unstructure(plan), CarePlan)
    assert back.tasks == plan.tasks
    assert all(t.assignee in plan.participants for t in plan.tasks)


@given(care_tasks(("a", "b")))
def test_generated_tasks_are_consistent(generated):
    assert (generated.outcome is None) == (generated.status is CareTaskStatus.OPEN)


AMOUNTS = st.decimals(min_value=-10_000, max_value=10_000, places=2)


@given(
    costs=st.lists(AMOUNTS, max_size=6),
    uplift=AMOUNTS,
    replies=st.integers(0, 50),
    outcomes=st.lists(st.sampled_from(CareOutcome), max_size=4),
)
def test_evaluation_never_loses_a_cent(costs, uplift, replies, outcomes):
    tasks = tuple(
        task(
            id=f"T-{i}",
            status=CareTaskStatus.DONE,
            outcome=o,
            done_at=f.NOW + timedelta(hours=1),
        )
        for i, o in enumerate(outcomes)
    )
    lines = tuple(MoneyLine(description="cost", amount=Money(a, "IDR")) for a in costs)
    plan = f.care_plan(cost_lines=lines, tasks=tasks)
    result = evaluate_care(plan, replies=replies, expected_sales_uplift=Money(uplift, "IDR"))
    assert result.total_cost.amount == sum(costs, Decimal(0))
    assert result.net_return.amount == uplift - sum(costs, Decimal(0))
    positives = sum(1 for o in outcomes if o is CareOutcome.POSITIVE)
    assert result.effectiveness.responses == positives + replies
    if result.cost_per_response is not None:
        exact = result.total_cost.amount / result.effectiveness.responses
        assert abs(result.cost_per_response.amount - exact) <= Decimal("0.005")
