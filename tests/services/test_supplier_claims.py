"""Supplier claims for faulty parts returned under the supplier's warranty (seed 000)."""

from decimal import Decimal

import pytest
from desk_actors import SUP, TECH

from servicecore.basics import FixedClock
from servicecore.errors import (
    InvalidTransition,
    PermissionDenied,
    TransitionRefused,
    ValidationError,
)
from servicecore.model.actor import Actor, Role
from servicecore.model.claims import ClaimStatus
from servicecore.model.common import Money
from servicecore.model.enums import SolutionType
from servicecore.model.processing import ProcessingStatus, ReturnedPart
from servicecore.services.desk import ServiceDesk
from servicecore.testing import factories as f

WAREHOUSE = Actor(id="wh-1", roles={Role.WAREHOUSE})
BURNT = ReturnedPart(part_code="RELAY-7", quantity=1, serial="R-OLD", condition="burnt")
CRACKED = ReturnedPart(part_code="FAN-2", quantity=2, condition="cracked blades")


@pytest.fixture
def desk(storage, tenant) -> ServiceDesk:
    with storage.unit_of_work(tenant) as uow:
        done = {
            "status": ProcessingStatus.COMPLETED,
            "solution_type": SolutionType.REPLACEMENT,
            "solution_text": "replaced",
            "labour_hours": Decimal("1"),
        }
        uow.processing.add(f.processing(id="P-1", returned_parts=(BURNT, CRACKED), **done))
        uow.processing.add(f.processing(id="P-2", request_id="R-2", dispatch_id="D-2"))
        uow.commit()
    return ServiceDesk(storage, tenant, clock=FixedClock(f.NOW))


def test_a_claim_gathers_the_returned_parts_of_an_order(desk) -> None:
    claim = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"], claim_id="CL-1")
    assert [(x.part_code, x.quantity, x.serial, x.request_id) for x in claim.lines] == [
        ("RELAY-7", 1, "R-OLD", "R-1"),
        ("FAN-2", 2, None, "R-1"),
    ]
    assert claim.status is ClaimStatus.DRAFT


def test_a_claim_may_take_only_some_parts(desk) -> None:
    claim = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"], part_codes=["FAN-2"])
    assert [x.part_code for x in claim.lines] == ["FAN-2"]


def test_a_returned_part_is_claimed_once(desk) -> None:
    first = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"], part_codes=["FAN-2"])
    with pytest.raises(ValidationError) as info:
        desk.parts.claim_returned_parts(WAREHOUSE, "SUP-B", ["P-1"])
    assert first.id in str(info.value)


def test_a_rejected_claims_parts_may_be_claimed_again(desk) -> None:
    first = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"])
    desk.parts.submit_claim(WAREHOUSE, first.id, "RMA-1")
    desk.parts.answer_claim(WAREHOUSE, first.id, accepted=False, answer="not our part")
    again = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-B", ["P-1"])
    assert len(again.lines) == 2


def test_an_open_order_is_not_claimed(desk) -> None:
    with pytest.raises(ValidationError) as info:
        desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-2"])
    assert info.value.errors[0].path == "processing_ids"


def test_no_matching_part_is_refused(desk) -> None:
    with pytest.raises(ValidationError) as info:
        desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"], part_codes=["NONE"])
    assert info.value.errors[0].path == "part_codes"


def test_submit_answer_and_settle(desk, storage, tenant) -> None:
    claim = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"])
    desk.parts.submit_claim(WAREHOUSE, claim.id, "RMA-77")
    desk.parts.answer_claim(WAREHOUSE, claim.id, accepted=True)
    settled = desk.parts.settle_claim(SUP, claim.id, Money("37.00", "EUR"))
    assert (settled.status, settled.reference, settled.credit) == (
        ClaimStatus.SETTLED,
        "RMA-77",
        Money("37.00", "EUR"),
    )
    with storage.unit_of_work(tenant) as uow:
        steps = [e.trigger for e in uow.audit.entries("SupplierClaim", claim.id)]
    assert steps == ["create", "submit", "accept", "settle"]
    assert [c.id for c in desk.parts.claims_of_supplier(SUP, "SUP-A")] == [claim.id]


def test_a_rejection_needs_the_suppliers_reason(desk) -> None:
    claim = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"])
    desk.parts.submit_claim(WAREHOUSE, claim.id, "RMA-1")
    with pytest.raises(TransitionRefused):
        desk.parts.answer_claim(WAREHOUSE, claim.id, accepted=False)


def test_only_an_accepted_claim_is_settled(desk) -> None:
    claim = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"])
    with pytest.raises(InvalidTransition):
        desk.parts.settle_claim(SUP, claim.id, Money("1", "EUR"))


def test_a_blank_reference_is_refused(desk) -> None:
    claim = desk.parts.claim_returned_parts(WAREHOUSE, "SUP-A", ["P-1"])
    with pytest.raises(ValidationError) as info:
        desk.parts.submit_claim(WAREHOUSE, claim.id, " ")
    assert info.value.errors[0].path == "reference"


def test_a_technician_may_not_claim(desk) -> None:
    with pytest.raises(PermissionDenied):
        desk.parts.claim_returned_parts(TECH, "SUP-A", ["P-1"])
