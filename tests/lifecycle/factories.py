"""Actors, contexts and evidence for the lifecycle tests; entity builders come from the library."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from servicecore.lifecycle import TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.enums import EvidenceKind
from servicecore.model.evidence import Evidence
from servicecore.testing.factories import (
    NOW,
    archive,
    booking,
    care_plan,
    completed_processing,
    contract,
    dispatch,
    processing,
    quote,
    request,
)

__all__ = [
    "CS",
    "NOW",
    "OTHER_TECH",
    "SUPERVISOR",
    "TECH",
    "archive",
    "booking",
    "care_plan",
    "completed_processing",
    "contract",
    "ctx",
    "dispatch",
    "photo",
    "processing",
    "quote",
    "request",
]

CS = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
SUPERVISOR = Actor(id="sup-1", roles={Role.SUPERVISOR})
TECH = Actor(id="u-tech-7", roles={Role.TECHNICIAN}, technician_id="T-7")
OTHER_TECH = Actor(id="u-tech-8", roles={Role.TECHNICIAN}, technician_id="T-8")


def ctx(actor: Actor = CS, at: datetime = NOW, **kw: Any) -> TransitionContext:
    return TransitionContext(actor=actor, at=at, **kw)


def photo(n: int, kind: EvidenceKind, request_id: str = "R-1") -> Evidence:
    return Evidence(
        id=f"E-{kind.value}-{n}",
        request_id=request_id,
        kind=kind,
        content_hash=f"{n:064x}",
        uri=f"file:///evidence/{kind.value}-{n}.jpg",
        taken_at=NOW,
        taken_by="u-tech-7",
    )
