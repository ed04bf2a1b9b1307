"""Every model constructor and ``structure()`` of stored data, fed hostile values.

The classes are enumerated from ``servicecore.__all__``, so a new exported model class is fuzzed
as soon as it is exported (and fails :func:`test_every_exported_model_class_is_fuzzed` until it
has a valid example here). A constructor given hostile fields raises a ``ValidationError``
naming a field of the class, or nothing; ``structure()`` of a stored record with one node
corrupted raises a ``ValidationError`` naming a field, or nothing; never a raw exception.
"""

import json

import attrs
import hypothesis.strategies as st
import pytest
from hostile import (
    MODEL_STRATEGIES,
    TRIED,
    check_error,
    corrupt,
    examples,
    hostile,
)
from hypothesis import given

import servicecore
from servicecore.catalog import AGGREGATES
from servicecore.model.audit import AuditEntry, verify_chain
from servicecore.model.closure import ClosurePolicy
from servicecore.scheduling import SolveParams
from servicecore.serialization import structure, unstructure
from servicecore.services.context import DeskSettings
from servicecore.testing import factories as f

MODELS = sorted(
    (
        cls
        for cls in (getattr(servicecore, name) for name in servicecore.__all__)
        if isinstance(cls, type) and attrs.has(cls)
    ),
    key=lambda cls: cls.__name__,
)

EXTRA_EXAMPLES: dict[type, st.SearchStrategy[object]] = {
    servicecore.Actor: st.just(f.ADMIN),
    ClosurePolicy: st.just(ClosurePolicy()),
    DeskSettings: st.just(DeskSettings()),
    AuditEntry: st.just(
        AuditEntry.create(
            entity_kind="ServiceRequest",
            entity_id="R-1",
            trigger="open",
            from_state="new",
            to_state="open",
            actor_id="cs-1",
            at=f.NOW,
        )
    ),
    servicecore.ChainVerdict: st.just(verify_chain([])),
    SolveParams: st.just(SolveParams()),
}
"""Valid examples of the exported classes servicecore's strategies do not draw."""

NOT_MODELS = {
    "CommandContext": "built by the desk for each command from its own checked parts",
    "JobContext": "built by the desk for each job from its own checked parts",
    "Facts": "what a lifecycle's guards read, assembled by the commands",
    "FieldError": "part of a ValidationError: holds whatever value was wrong, by design",
    "Guard": "a lifecycle definition written in code, not input",
    "Rule": "a lifecycle definition written in code, not input",
    "TransitionContext": "built by the commands from the actor and the clock",
}
"""Exported attrs classes that are not data a host hands in, and why they are not fuzzed."""

FUZZED = [cls for cls in MODELS if cls.__name__ not in NOT_MODELS]


def valid(cls: type) -> st.SearchStrategy[object]:
    return EXTRA_EXAMPLES[cls] if cls in EXTRA_EXAMPLES else MODEL_STRATEGIES[cls]


def test_every_exported_model_class_is_fuzzed():
    missing = [
        cls.__name__ for cls in FUZZED if cls not in EXTRA_EXAMPLES and cls not in MODEL_STRATEGIES
    ]
    assert missing == []
    assert len(FUZZED) > 35


def _init_fields(cls: type) -> list[attrs.Attribute]:
    return [field for field in attrs.fields(cls) if field.init]


@pytest.mark.parametrize("cls", FUZZED, ids=lambda cls: cls.__name__)
def test_a_constructor_given_hostile_fields_names_a_field(cls):
    @examples(15)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["models"] += 1
        example = data.draw(valid(cls), label="valid")
        fields = _init_fields(cls)
        kwargs = {field.alias: getattr(example, field.name) for field in fields}
        chosen = data.draw(
            st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique_by=lambda a: a.name),
            label="fields",
        )
        for field in chosen:
            kwargs[field.alias] = data.draw(hostile(), label=field.alias)
        try:
            cls(**kwargs)
        except Exception as exc:
            # a cross-field rule may name the field the hostile one conflicts with
            check_error(exc, {f.name for f in fields} | {f.alias for f in fields})

    fuzz()


STORED = [spec.cls for spec in AGGREGATES]


@pytest.mark.parametrize("cls", STORED, ids=lambda cls: cls.__name__)
def test_structure_of_a_corrupted_stored_record_names_a_field(cls):
    @examples(30)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["structure"] += 1
        stored = json.loads(json.dumps(unstructure(data.draw(valid(cls), label="valid"))))
        corrupted, path = corrupt(data, stored)
        try:
            structure(corrupted, cls)
        except Exception as exc:
            check_error(exc, allow_root=not path)

    fuzz()
