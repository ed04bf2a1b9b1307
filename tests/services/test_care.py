"""Customer care (seed 004, 客户关怀), on every storage backend."""

from datetime import timedelta
from decimal import Decimal

import pytest
from desk_actors import CS, SUP, TECH

from servicecore.adapters.notifiers import RecordingNotifier
from servicecore.basics import FixedClock
from servicecore.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.model.actor import Actor, Role
from servicecore.model.care import (
    CareEffectiveness,
    CareOutcome,
    CareStatus,
    CareTaskStatus,
)
from servicecore.model.common import Money, TimeRange
from servicecore.model.enums import CareMethod
from servicecore.model.lines import MoneyLine
from servicecore.ports import CustomerContact, NotificationChannel
from servicecore.serialization import unstructure
from servicecore.services import care as c
from servicecore.services.notifications import NotifyingPublisher
from servicecore.services.templates import MAX_LOOP_ITERATIONS
from servicecore.testing import factories as f
from servicecore.testing.erp_crm import InMemoryCustomerDirectory
from servicecore.testing.factories import command_context as cx

SALES = Actor(id="sales-1", roles={Role.SALES})
SCHEDULE = TimeRange(f.NOW + timedelta(days=1), f.NOW + timedelta(days=8))
DURING = f.NOW + timedelta(days=2)
ADI = CustomerContact(
    customer_id="C-1",
    name="Adi <& Co>",
    category="gold",
    email="adi@example.id",
    phone="+62 812 555 0001",
    postal_address="Jl. Sudirman 5\nJakarta 10220",
)
BUDI = CustomerContact(customer_id="C-2", name="Budi", category="gold", phone="+62 812 555 0002")
CICI = CustomerContact(
    customer_id="C-3", name="Cici", category="gold", email="cici@example.id", phone="+62 3"
)
DEWI = CustomerContact(customer_id="C-4", name="Dewi", category="silver", email="d@example.id")
DIRECTORY = InMemoryCustomerDirectory([ADI, BUDI, CICI, DEWI])
EMAIL = "Dear {{ name }}, thank you for being a {{ category }} customer."


def idr(amount: int | str) -> Money:
    return Money(amount, "IDR")


def planned(
    storage,
    tenant,
    clock,
    *,
    method=CareMethod.EMAIL,
    content=EMAIL,
    plan_id="CP-1",
    participants=("sales-1", "sales-2"),
):
    with storage.unit_of_work(tenant) as uow:
        plan = c.plan_care(
            cx(uow, SALES, clock),
            currency="IDR",
            customer_category="gold",
            method=method,
            content=content,
            schedule=SCHEDULE,
            participants=participants,
            plan_id=plan_id,
        )
        uow.commit()
    return plan


def active(storage, tenant, clock, **kw):
    plan = planned(storage, tenant, clock, **kw)
    with storage.unit_of_work(tenant) as uow:
        c.activate_care(cx(uow, SUP, clock), plan.id)
        uow.commit()
    return plan


def executed(storage, tenant, **kw):
    plan = active(storage, tenant, FixedClock(f.NOW), **kw)
    with storage.unit_of_work(tenant) as uow:
        result = c.execute_care(cx(uow, SALES, FixedClock(DURING)), plan.id, DIRECTORY)
        uow.commit()
    return result


def test_an_email_plan_is_sent_after_commit_and_its_effectiveness_computed(open_storage, tenant):
    notifier = RecordingNotifier()
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    clock = FixedClock(f.NOW)
    plan = active(storage, tenant, clock)
    clock.advance(timedelta(days=2))
    with storage.unit_of_work(tenant) as uow:
        result = c.execute_care(
            cx(uow, SALES, clock), plan.id, DIRECTORY, subject="For you, {{ name }}"
        )
        assert notifier.sent == ()  # nothing leaves before the commit
        uow.commit()
    assert [n.to for n in notifier.sent] == ["adi@example.id", "cici@example.id"]
    first = notifier.sent[0]
    assert first.channel is NotificationChannel.EMAIL
    assert first.subject == "For you, Adi <& Co>"  # plain text: not HTML-escaped
    assert first.body == "Dear Adi <& Co>, thank you for being a gold customer."
    assert notifier.keys() == ("care:CP-1:C-1", "care:CP-1:C-3")
    assert result.unreached == (c.UnreachedCustomer("C-2", "email"),)
    assert result.tasks == ()
    assert result.letters == ()
    assert storage.pending_events(tenant) == ()

    with storage.unit_of_work(tenant) as uow:
        c.record_care_cost(
            cx(uow, SALES, clock), plan.id, MoneyLine(description="mailing", amount=idr(50_000))
        )
        stored = uow.care_plans.get(plan.id)
        evaluation = c.evaluate_care(
            stored,
            replies=2,
            leads=1,
            opportunities=1,
            expected_sales_uplift=idr(1_000_000),
            satisfaction_before=Decimal("4.0"),
            satisfaction_after=Decimal("4.4"),
        )
        c.close_care(cx(uow, SUP, clock), plan.id, evaluation.effectiveness)
        uow.commit()
    assert evaluation.effectiveness.responses == 2
    assert evaluation.cost_per_response == idr("25000.00")
    assert evaluation.net_return == idr(950_000)
    assert evaluation.roi == Decimal("19.0000")
    assert evaluation.effectiveness.satisfaction_uplift_pct == Decimal("10.0")
    assert evaluation.unmeasured == ("loyalty_uplift_pct",)
    with storage.unit_of_work(tenant) as uow:
        closed = uow.care_plans.get(plan.id)
    assert closed.status is CareStatus.CLOSED
    assert closed.effectiveness == evaluation.effectiveness
    assert closed.total_cost() == idr(50_000)


def test_a_phone_plan_makes_tasks_round_robin_and_counts_positive_outcomes(storage, tenant):
    result = executed(storage, tenant, method=CareMethod.PHONE, content="Call {{ name }}")
    assert [t.customer_id for t in result.tasks] == ["C-1", "C-2", "C-3"]
    assert [t.assignee for t in result.tasks] == ["sales-1", "sales-2", "sales-1"]
    assert all(t.due == SCHEDULE.end and t.status is CareTaskStatus.OPEN for t in result.tasks)
    assert result.notifications == ()
    assert result.unreached == ()
    clock = FixedClock(DURING + timedelta(hours=3))
    outcomes = [CareOutcome.POSITIVE, CareOutcome.NEGATIVE, CareOutcome.POSITIVE]
    with storage.unit_of_work(tenant) as uow:
        assert [t.id for t in uow.care_plans.get("CP-1").tasks] == [t.id for t in result.tasks]
        with pytest.raises(ValidationError, match="tasks"):
            c.close_care(
                cx(uow, SUP, clock), "CP-1", CareEffectiveness(expected_sales_uplift=idr(0))
            )
        for task, outcome in zip(result.tasks, outcomes, strict=True):
            c.complete_care_task(cx(uow, SALES, clock), "CP-1", task.id, outcome, note="called")
        c.record_care_cost(
            cx(uow, SALES, clock), "CP-1", MoneyLine(description="calls", amount=idr(30_000))
        )
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        plan = uow.care_plans.get("CP-1")
        assert all(t.done_at == clock.now() and t.note == "called" for t in plan.tasks)
        evaluation = c.evaluate_care(
            plan,
            leads=2,
            loyalty_before=Decimal("0.50"),
            loyalty_after=Decimal("0.55"),
        )
        c.close_care(cx(uow, SUP, clock), "CP-1", evaluation.effectiveness)
        uow.commit()
    assert evaluation.task_responses == 2
    assert evaluation.effectiveness.responses == 2
    assert evaluation.cost_per_response == idr("15000.00")
    assert evaluation.roi == Decimal("-1.0000")  # no sales uplift claimed: the cost is lost
    assert evaluation.effectiveness.loyalty_uplift_pct == Decimal("10.0")
    assert evaluation.open_tasks == 0


def test_completing_a_task_twice_or_an_unknown_task_is_refused(storage, tenant):
    result = executed(storage, tenant, method=CareMethod.VISIT, content="Visit {{ name }}")
    assert [t.customer_id for t in result.tasks] == ["C-1"]  # Budi and Cici have no address
    assert {u.missing for u in result.unreached} == {"postal_address"}
    task = result.tasks[0]
    clock = FixedClock(DURING)
    with storage.unit_of_work(tenant) as uow:
        c.complete_care_task(cx(uow, SALES, clock), "CP-1", task.id, CareOutcome.NEUTRAL)
        with pytest.raises(ValidationError, match="already done"):
            c.complete_care_task(cx(uow, SALES, clock), "CP-1", task.id, CareOutcome.POSITIVE)
        with pytest.raises(NotFound, match="CareTask"):
            c.complete_care_task(cx(uow, SALES, clock), "CP-1", "nope", CareOutcome.POSITIVE)


def test_letters_are_printable_html_with_the_customers_name_escaped(storage, tenant):
    plan = active(
        storage,
        tenant,
        FixedClock(f.NOW),
        method=CareMethod.LETTER,
        content="Dear {{ name }},\nyour <b>gold</b> service is due.",
    )
    layout = c.LetterLayout(sender_name="PT Servis", sender_address="Jl. Asia Afrika 8")
    with storage.unit_of_work(tenant) as uow:
        result = c.execute_care(
            cx(uow, SALES, FixedClock(DURING)), plan.id, DIRECTORY, layout=layout
        )
        uow.commit()
    (letter,) = result.letters  # only Adi has a postal address
    assert letter.customer_id == "C-1"
    assert "Adi &lt;&amp; Co&gt;" in letter.letter_html
    assert "<&" not in letter.letter_html
    assert "<b>gold</b>" in letter.letter_html  # the content's own markup is kept
    assert "@page" in letter.letter_html
    assert "@media print" in letter.letter_html
    assert "Jl. Sudirman 5" in letter.envelope_html
    assert "PT Servis" in letter.envelope_html
    assert "Adi &lt;&amp; Co&gt;" in letter.envelope_html
    assert DURING.date().isoformat() in letter.letter_html
    assert [u.customer_id for u in result.unreached] == ["C-2", "C-3"]
    ready = [e for e in storage.pending_events(tenant) if e.name == "CareLetterReady"]
    assert [e.payload["letter_html"] for e in ready] == [letter.letter_html]


def test_sms_goes_to_the_phone(storage, tenant):
    result = executed(storage, tenant, method=CareMethod.SMS, content="Hi {{ name }}")
    assert [(n.channel, n.to) for n in result.notifications] == [
        (NotificationChannel.SMS, "+62 812 555 0001"),
        (NotificationChannel.SMS, "+62 812 555 0002"),
        (NotificationChannel.SMS, "+62 3"),
    ]
    assert result.notifications[1].body == "Hi Budi"


def test_a_template_naming_an_unknown_field_is_refused_when_planned(storage, tenant):
    with pytest.raises(ValidationError, match="'birthday'") as raised:
        planned(storage, tenant, FixedClock(f.NOW), content="Happy {{ birthday }}, {{ name }}")
    assert raised.value.errors[0].path == "content"
    with pytest.raises(ValidationError, match="not a valid template") as raised:
        planned(storage, tenant, FixedClock(f.NOW), content="Hello {{ name ")
    assert raised.value.errors[0].path == "content"
    with storage.unit_of_work(tenant) as uow:
        assert uow.care_plans.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        "Hi {{ joiner }}",
        "Hi {{ self }}",
        "Hi {{ cycler }}",
        "{{ range(10) }}",
        "{{ {}.update }}",
        "{{ name.nickname }}",
        "{{ name * 4000000000 }}",
        "{{ name | center(4000000000) }}",
        "{% set x = name %}{{ x }}",
        "{% for a in name %}{% for b in name %}{{ b }}{% endfor %}{% endfor %}",
        "{% macro m() %}x{% endmacro %}{{ m() }}",
        "{% include 'other' %}",
    ],
)
def test_a_template_using_globals_attributes_calls_or_unbounded_growth_is_refused_when_planned(
    storage, tenant, content
):
    with pytest.raises(ValidationError) as raised:
        planned(storage, tenant, FixedClock(f.NOW), content=content)
    assert raised.value.errors[0].path == "content"
    with storage.unit_of_work(tenant) as uow:
        assert uow.care_plans.count() == 0


def test_the_allowed_part_of_jinja_renders():
    fields = {"name": "Budi", "email": "", "plan_id": "CP-1"}
    source = (
        "{{ name | upper }}{% if email %} <{{ email }}>{% else %} (no e-mail){% endif %}: "
        "{% for letter in name %}{{ letter }}.{% endfor %} {{ 'plan ' ~ plan_id | lower }}"
    )
    assert c.render_template(source, fields) == "BUDI (no e-mail): B.u.d.i. plan cp-1"


def test_a_rendering_beyond_the_loop_budget_is_refused_naming_the_template():
    name = "x" * (MAX_LOOP_ITERATIONS + 1)
    with pytest.raises(ValidationError, match="loop more than") as raised:
        c.render_template("{% for c in name %}{{ c }}{% endfor %}", {"name": name})
    assert raised.value.errors[0].path == "content"


def test_a_rendering_beyond_the_output_budget_is_refused_naming_the_template():
    name = "x" * 10_000
    with pytest.raises(ValidationError, match="output exceeds") as raised:
        c.render_template(
            '{{ name | replace("x", "yyyyyyyyyyyyyyyyyyyy") }}', {"name": name}, label="subject"
        )
    assert raised.value.errors[0].path == "subject"


def test_a_template_failing_at_render_names_the_template_and_the_field(storage, tenant):
    plan = active(storage, tenant, FixedClock(f.NOW), content="Hi {{ name }}")
    with (
        storage.unit_of_work(tenant) as uow,
        pytest.raises(ValidationError, match="'title'") as raised,
    ):
        c.execute_care(
            cx(uow, SALES, FixedClock(DURING)), plan.id, DIRECTORY, subject="{{ title }}"
        )
    assert raised.value.errors[0].path == "subject"
    with storage.unit_of_work(tenant) as uow:
        assert uow.care_plans.get(plan.id).status is CareStatus.ACTIVE


def test_the_sandbox_refuses_unsafe_templates():
    with pytest.raises(ValidationError, match="content"):
        c.render_template("{{ name.__class__.__mro__ }}", {"name": "x"})
    with pytest.raises(ValidationError, match="division"):
        c.render_template("{{ 1 / 0 }}", {})
    with pytest.raises(ValidationError, match="the template names 'name'"):
        c.render_template("{{ name }}", {})
    with pytest.raises(ValidationError, match="letter_template"):
        c.LetterLayout(letter_template="{{ secret }}")


def test_lifecycle_refusals(storage, tenant):
    clock = FixedClock(f.NOW)
    lonely = planned(storage, tenant, clock, participants=())
    with (
        storage.unit_of_work(tenant) as uow,
        pytest.raises(TransitionRefused, match="participants"),
    ):
        c.activate_care(cx(uow, SUP, clock), lonely.id)
    plan = active(storage, tenant, clock, plan_id="CP-2")
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(TransitionRefused, match="not at"):
            c.execute_care(cx(uow, SALES, clock), plan.id, DIRECTORY)  # before the schedule
        with pytest.raises(InvalidTransition):
            c.close_care(
                cx(uow, SUP, clock), plan.id, CareEffectiveness(expected_sales_uplift=idr(0))
            )
        with pytest.raises(ValidationError, match="executes"):
            c.complete_care_task(cx(uow, SALES, clock), plan.id, "T", CareOutcome.POSITIVE)
        with pytest.raises(TransitionRefused, match="reason"):
            c.invalidate_care(cx(uow, SUP, clock), plan.id, "")
        c.invalidate_care(cx(uow, SUP, clock), plan.id, "budget cut")
        with pytest.raises(ValidationError, match="invalid"):
            c.record_care_cost(
                cx(uow, SALES, clock), plan.id, MoneyLine(description="x", amount=idr(1))
            )
        with pytest.raises(InvalidTransition):
            c.activate_care(cx(uow, SUP, clock), plan.id)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.care_plans.get("CP-2").status is CareStatus.INVALID
        assert uow.care_plans.get("CP-1").status is CareStatus.PLAN


def test_an_executing_plan_cannot_be_invalidated_and_a_closed_plan_takes_no_cost(storage, tenant):
    executed(storage, tenant)
    clock = FixedClock(DURING)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(InvalidTransition):
            c.invalidate_care(cx(uow, SUP, clock), "CP-1", "too late")
        with pytest.raises(ValidationError, match="USD"):
            c.close_care(
                cx(uow, SUP, clock),
                "CP-1",
                CareEffectiveness(expected_sales_uplift=Money(1, "USD")),
            )
        c.close_care(cx(uow, SUP, clock), "CP-1", CareEffectiveness(expected_sales_uplift=idr(0)))
        with pytest.raises(ValidationError, match="closed"):
            c.record_care_cost(
                cx(uow, SALES, clock), "CP-1", MoneyLine(description="x", amount=idr(1))
            )


def test_costs_in_another_currency_and_strangers_are_refused(storage, tenant):
    clock = FixedClock(f.NOW)
    planned(storage, tenant, clock)
    with storage.unit_of_work(tenant) as uow:
        with pytest.raises(ValidationError, match="IDR") as raised:
            c.record_care_cost(
                cx(uow, SALES, clock), "CP-1", MoneyLine(description="x", amount=Money(1, "USD"))
            )
        assert raised.value.errors[0].path == "line.amount"
        with pytest.raises(PermissionDenied, match="care"):
            c.activate_care(cx(uow, TECH, clock), "CP-1")
        with pytest.raises(PermissionDenied):
            c.record_care_cost(
                cx(uow, TECH, clock), "CP-1", MoneyLine(description="x", amount=idr(1))
            )
        c.record_care_cost(
            cx(uow, CS, clock), "CP-1", MoneyLine(description="print", amount=idr(7))
        )
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        assert uow.care_plans.get("CP-1").total_cost() == idr(7)


def test_executed_twice_is_refused_and_redelivery_keeps_the_key(open_storage, tenant):
    notifier = RecordingNotifier()
    notifier.fail_next(1)
    storage = open_storage(publisher=NotifyingPublisher(notifier))
    executed(storage, tenant)
    assert notifier.sent == ()
    with storage.unit_of_work(tenant) as uow, pytest.raises(InvalidTransition):
        c.execute_care(cx(uow, SALES, FixedClock(DURING)), "CP-1", DIRECTORY)
    pending = storage.pending_events(tenant)
    NotifyingPublisher(notifier)(tenant, pending)
    storage.acknowledge(tenant, [e.id for e in pending])
    assert notifier.keys() == ("care:CP-1:C-1", "care:CP-1:C-3")


def test_evaluation_refuses_what_it_cannot_measure():
    plan = f.care_plan()
    with pytest.raises(ValidationError, match="satisfaction_after"):
        c.evaluate_care(plan, satisfaction_before=Decimal(4))
    with pytest.raises(ValidationError, match="loyalty_before"):
        c.evaluate_care(plan, loyalty_before=Decimal(0), loyalty_after=Decimal(1))
    with pytest.raises(ValidationError, match="replies"):
        c.evaluate_care(plan, replies=-1)
    with pytest.raises(ValidationError, match="expected_sales_uplift"):
        c.evaluate_care(plan, expected_sales_uplift=Money(5, "EUR"))
    nothing = c.evaluate_care(plan)
    assert nothing.cost_per_response is None
    assert nothing.roi is None
    assert nothing.unmeasured == ("satisfaction_uplift_pct", "loyalty_uplift_pct")
    assert unstructure(nothing.effectiveness)["responses"] == 0
