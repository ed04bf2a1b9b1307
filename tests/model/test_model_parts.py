from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from servicecore.errors import ValidationError
from servicecore.model import (
    PartCode,
    PartsRequisition,
    PlanLine,
    RequisitionLine,
    RequisitionStatus,
    SparePartPlan,
    SparePartPlanStatus,
    TransferLine,
    TransferRequest,
    TransferStatus,
    WarehouseId,
)

T0 = datetime(2025, 4, 1, 8, tzinfo=UTC)


def plan_line(
    code: str, qty: int, warehouse: str = "svc-wh", needed: date = date(2025, 5, 1)
) -> PlanLine:
    return PlanLine(
        part_code=PartCode(code),
        quantity=qty,
        warehouse_id=WarehouseId(warehouse),
        needed_by=needed,
    )


def plan(**over: Any) -> SparePartPlan:
    base: dict[str, Any] = {
        "id": "spp-1",
        "period_start": date(2025, 4, 1),
        "period_end": date(2025, 6, 30),
        "lines": (
            plan_line("CAP", 10),
            plan_line("FAN", 2),
            plan_line("CAP", 5, needed=date(2025, 6, 1)),
        ),
        "archive_ids": ("ar-1", "ar-2"),
    }
    return SparePartPlan(**{**base, **over})


def transfer(**over: Any) -> TransferRequest:
    base: dict[str, Any] = {
        "id": "tr-1",
        "from_warehouse": "central",
        "to_warehouse": "svc-wh",
        "lines": (TransferLine(part_code=PartCode("CAP"), quantity=15),),
        "requested_at": T0,
        "plan_id": "spp-1",
    }
    return TransferRequest(**{**base, **over})


def requisition(**over: Any) -> PartsRequisition:
    base: dict[str, Any] = {
        "id": "rqn-1",
        "request_id": "rq-1",
        "lines": (
            RequisitionLine(part_code=PartCode("CAP"), quantity=1, charged=True),
            RequisitionLine(part_code=PartCode("FUSE"), quantity=2),
        ),
        "requested_at": T0,
        "warehouse_id": "svc-wh",
    }
    return PartsRequisition(**{**base, **over})


def test_valid_parts_records_build_in_their_initial_states() -> None:
    assert plan().status is SparePartPlanStatus.DRAFT
    assert transfer().status is TransferStatus.REQUESTED
    assert requisition().status is RequisitionStatus.REQUESTED


def test_status_values() -> None:
    assert [s.value for s in SparePartPlanStatus] == ["draft", "approved", "closed"]
    assert [s.value for s in TransferStatus] == ["requested", "in_transit", "received", "cancelled"]
    assert [s.value for s in RequisitionStatus] == ["requested", "issued", "returned", "cancelled"]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("period_start", "2025-04-01"),
        ("period_end", None),
        ("lines", ()),
        ("lines", [plan_line("CAP", 1)]),
        ("archive_ids", ("ar-1", "ar-1")),
        ("status", "draft"),
        ("version", -1),
    ],
)
def test_plan_refuses_bad_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        plan(**{field: bad})
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_plan_period_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        plan(period_end=date(2025, 3, 31))
    assert caught.value.errors[0].path == "period_end"


def test_plan_line_needed_outside_the_period_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        plan(lines=(plan_line("CAP", 1), plan_line("FAN", 1, needed=date(2025, 7, 1))))
    assert caught.value.errors[0].path == "lines[1].needed_by"
    assert caught.value.errors[0].value == date(2025, 7, 1)


@pytest.mark.parametrize(
    ("field", "bad"),
    [("part_code", ""), ("quantity", 0), ("warehouse_id", None), ("needed_by", T0)],
)
def test_plan_line_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {
        "part_code": "CAP",
        "quantity": 1,
        "warehouse_id": "w",
        "needed_by": date(2025, 5, 1),
    }
    with pytest.raises(ValidationError) as caught:
        PlanLine(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_plan_pushes_down_summed_transfer_lines_for_one_warehouse() -> None:
    lines = (
        plan_line("CAP", 10),
        plan_line("FAN", 2),
        plan_line("CAP", 5, needed=date(2025, 6, 1)),
        plan_line("CAP", 99, warehouse="other"),
    )
    assert plan(lines=lines).transfer_lines_for("svc-wh") == (
        TransferLine(part_code=PartCode("CAP"), quantity=15),
        TransferLine(part_code=PartCode("FAN"), quantity=2),
    )
    assert plan(lines=lines).transfer_lines_for("nowhere") == ()


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("from_warehouse", "a b"),
        ("to_warehouse", None),
        ("lines", ()),
        ("requested_at", datetime(2025, 4, 1)),
        ("plan_id", ""),
        ("status", "requested"),
    ],
)
def test_transfer_refuses_bad_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        transfer(**{field: bad})
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_transfer_to_the_same_warehouse_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        transfer(to_warehouse="central")
    assert caught.value.errors[0].path == "to_warehouse"
    assert caught.value.errors[0].value == "central"


def test_transfer_with_a_part_twice_is_refused() -> None:
    line = TransferLine(part_code=PartCode("CAP"), quantity=1)
    with pytest.raises(ValidationError) as caught:
        transfer(lines=(line, line))
    assert caught.value.errors[0].path == "lines"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("request_id", None),
        ("lines", ()),
        ("lines", "CAP"),
        ("requested_at", "now"),
        ("warehouse_id", " "),
        ("status", "issued"),
    ],
)
def test_requisition_refuses_bad_field(field: str, bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        requisition(**{field: bad})
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


@pytest.mark.parametrize(("field", "bad"), [("quantity", -1), ("charged", None), ("part_code", 7)])
def test_requisition_line_refuses_bad_field(field: str, bad: object) -> None:
    fields: dict[str, object] = {"part_code": "CAP", "quantity": 1, "charged": False}
    with pytest.raises(ValidationError) as caught:
        RequisitionLine(**{**fields, field: bad})  # type: ignore[arg-type]
    assert caught.value.errors[0].path == field
    assert caught.value.errors[0].value == bad


def test_charged_lines_are_the_ones_the_customer_pays() -> None:
    assert [x.part_code for x in requisition().charged_lines()] == ["CAP"]
