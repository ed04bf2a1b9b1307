"""Hypothesis drives every lifecycle with random triggers, actors, times, reasons and facts.

Invariants: the state is always one of the table's; a refused or illegal trigger raises and
changes nothing (entity fields and trail); an accepted one appends exactly one entry that names
the move; the audit chain always verifies against the entity's head; a tampered chain never does.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import hypothesis.strategies as st
from factories import (
    CS,
    NOW,
    OTHER_TECH,
    SUPERVISOR,
    TECH,
    archive,
    booking,
    care_plan,
    completed_processing,
    contract,
    ctx,
    dispatch,
    photo,
    processing,
    quote,
    request,
)
from hypothesis import event, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from servicecore.errors import InvalidTransition, TransitionRefused, ValidationError
from servicecore.lifecycle import LIFECYCLES, Lifecycle
from servicecore.lifecycle.facts import Facts
from servicecore.model.archive import ArchiveStatus
from servicecore.model.audit import AuditLog, verify_chain
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchStatus
from servicecore.model.enums import EvidenceKind
from servicecore.model.knowledge import KnowledgeStatus
from servicecore.model.parts import TransferStatus
from servicecore.model.processing import ProcessingStatus, ReturnedPart
from servicecore.testing.factories import (
    knowledge_article,
    parts_requisition,
    spare_part_plan,
    transfer,
)

ACTORS = st.sampled_from([CS, SUPERVISOR, TECH, OTHER_TECH])
WHEN = st.integers(min_value=-3 * 24, max_value=500 * 24).map(lambda h: NOW + timedelta(hours=h))
REASONS = st.sampled_from(["", "  ", "customer asked", "technician ill"])


def _slot(hours: int) -> TimeRange:
    start = NOW + timedelta(hours=hours)
    return TimeRange(start, start + timedelta(hours=2))


FACT_VALUES: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "archive": st.sampled_from(list(ArchiveStatus)).map(lambda s: archive(status=s)),
        "dispatches": st.lists(
            st.sampled_from(list(DispatchStatus)).map(lambda s: dispatch(status=s)), max_size=2
        ),
        "processing_orders": st.lists(
            st.sampled_from(
                [
                    processing(),
                    completed_processing(status=ProcessingStatus.COMPLETED),
                    processing(id="P-2", status=ProcessingStatus.CANCELLED),
                ]
            ),
            max_size=2,
        ),
        "evidence": st.lists(
            st.builds(photo, st.integers(0, 5), st.sampled_from(list(EvidenceKind))), max_size=8
        ),
        "closure_policy": st.builds(
            ClosurePolicy,
            min_photos_before=st.integers(0, 3),
            min_photos_after=st.integers(0, 3),
            require_signature=st.booleans(),
            require_fault_cause=st.booleans(),
        ),
        "request": st.sampled_from([request(), request(id="R-2")]),
        "new_slot": st.integers(-24, 24 * 10).map(_slot),
        "new_end": st.dates(date(2026, 1, 1), date(2028, 12, 31)),
        "on_hand": st.fixed_dictionaries(
            {"RELAY-7": st.integers(0, 6)}, optional={"FUSE-2": st.integers(0, 6)}
        ),
        "returned": st.lists(
            st.builds(
                ReturnedPart,
                part_code=st.sampled_from(["RELAY-7", "FUSE-2"]),
                quantity=st.integers(1, 2),
                condition=st.just("faulty"),
            ),
            max_size=2,
        ),
        "transfers": st.lists(
            st.builds(
                transfer,
                status=st.sampled_from(list(TransferStatus)),
                plan_id=st.sampled_from([None, "SP-1", "SP-2"]),
            ),
            max_size=2,
        ),
    },
)
FACTS: st.SearchStrategy[Facts] = FACT_VALUES.map(lambda values: Facts(**values))

FACTORIES = {
    "request": request,
    "dispatch": dispatch,
    "processing": completed_processing,
    "quote": quote,
    "care": care_plan,
    "booking": booking,
    "archive": archive,
    "contract": contract,
    "requisition": parts_requisition,
    "transfer": transfer,
    "spare_part_plan": spare_part_plan,
    "knowledge": lambda: knowledge_article(status=KnowledgeStatus.DRAFT),
}


def snapshot(entity: Any) -> dict[str, Any]:
    return {f.name: getattr(entity, f.name) for f in attrs.fields(type(entity))}


def machine_for(name: str) -> type[RuleBasedStateMachine]:
    lifecycle: Lifecycle[Any, Any] = LIFECYCLES[name]
    triggers = sorted({r.trigger for r in lifecycle.rules} | {"bogus"})

    class Driver(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.trail = AuditLog()
            self.entity = FACTORIES[name]()
            facts = Facts(archive=archive(status=ArchiveStatus.REGISTERED), request=request())
            lifecycle.create(self.entity, ctx(facts=facts), self.trail)

        @rule(data=st.data(), actor=ACTORS, at=WHEN, reason=REASONS, facts=FACTS)
        def fire(self, data: st.DataObject, actor: Any, at: Any, reason: str, facts: Any) -> None:
            # Half the time a trigger the table allows now, so that runs go deep, not only wide.
            allowed = lifecycle.allowed(self.entity.status)
            pick = st.sampled_from(triggers)
            if allowed:
                pick = st.one_of(st.sampled_from(allowed), pick)
            trigger = data.draw(pick, label="trigger")
            before = snapshot(self.entity)
            count = len(self.trail)
            context = ctx(actor=actor, at=at, reason=reason, facts=facts)
            try:
                entry = lifecycle.fire(self.entity, trigger, context, self.trail)
            except (InvalidTransition, TransitionRefused, ValidationError) as exc:
                assert snapshot(self.entity) == before
                assert len(self.trail) == count
                if isinstance(exc, InvalidTransition):
                    assert lifecycle.rule_for(trigger, before["status"]) is None
                    assert exc.allowed == lifecycle.allowed(before["status"])  # noqa: PT017 - a state-machine step; pytest.raises cannot express "may raise"
                return
            rule_ = lifecycle.rule_for(trigger, before["status"])
            assert rule_ is not None
            expected = before["status"] if rule_.dest is None else rule_.dest
            assert self.entity.status is expected
            assert len(self.trail) == count + 1
            assert (entry.trigger, entry.from_state, entry.to_state) == (
                trigger,
                before["status"].value,
                expected.value,
            )
            assert entry.actor_id == actor.id
            event(f"{before['status'].value} --{trigger}--> {expected.value}")

        @invariant()
        def state_is_in_the_table(self) -> None:
            assert self.entity.status in set(lifecycle.states)

        @invariant()
        def chain_verifies(self) -> None:
            entries = self.trail.entries(lifecycle.kind, self.entity.id)
            assert verify_chain(entries, head=self.entity.audit_head).ok

        @rule(data=st.data())
        def tampering_is_detected(self, data: st.DataObject) -> None:
            entries = list(self.trail.entries(lifecycle.kind, self.entity.id))
            i = data.draw(st.integers(0, len(entries) - 1))
            how = data.draw(st.sampled_from(["edit", "drop", "swap", "truncate"]))
            if how == "edit":
                entries[i] = attrs.evolve(entries[i], reason=entries[i].reason + "!")
            elif how == "drop":
                del entries[i]
            elif how == "swap":
                if len(entries) < 2:
                    return
                j = (i + 1) % len(entries)
                entries[i], entries[j] = entries[j], entries[i]
            else:
                entries = entries[:i]
            assert not verify_chain(entries, head=self.entity.audit_head).ok

    Driver.__name__ = f"{name.title()}Driver"
    return Driver


_SETTINGS = settings(max_examples=40, stateful_step_count=25, deadline=None)

TestRequestLifecycle = machine_for("request").TestCase
TestDispatchLifecycle = machine_for("dispatch").TestCase
TestProcessingLifecycle = machine_for("processing").TestCase
TestQuoteLifecycle = machine_for("quote").TestCase
TestCareLifecycle = machine_for("care").TestCase
TestBookingLifecycle = machine_for("booking").TestCase
TestArchiveLifecycle = machine_for("archive").TestCase
TestContractLifecycle = machine_for("contract").TestCase
TestRequisitionLifecycle = machine_for("requisition").TestCase
TestKnowledgeLifecycle = machine_for("knowledge").TestCase
TestTransferLifecycle = machine_for("transfer").TestCase
TestSparePartPlanLifecycle = machine_for("spare_part_plan").TestCase
for _case in (
    TestRequestLifecycle,
    TestDispatchLifecycle,
    TestProcessingLifecycle,
    TestQuoteLifecycle,
    TestCareLifecycle,
    TestBookingLifecycle,
    TestArchiveLifecycle,
    TestContractLifecycle,
    TestRequisitionLifecycle,
    TestTransferLifecycle,
    TestSparePartPlanLifecycle,
):
    _case.settings = _SETTINGS
del _case
