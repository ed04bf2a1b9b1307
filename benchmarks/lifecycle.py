"""Lifecycle benchmark: transitions per second (with audit entries) and memory overhead per entity.

Usage: ``python benchmarks/lifecycle.py [--entities N] [--json]``

- Throughput: N dispatch orders each go create -> accept -> start -> complete, and one quote goes
  issue -> change -> issue ... N times; every move builds its TransitionContext, runs the guards
  and effects through the shared ``transitions`` machine and appends a hash-chained audit entry.
  Measured on one core (this process is single-threaded).
- Memory: tracemalloc of N dispatch orders driven through their lifecycle, against N bare attrs
  objects with the same fields and values whose status was assigned directly. The difference per
  entity is the lifecycle's overhead (the audit head it keeps). For contrast, the memory of one
  ``transitions.Machine`` per entity (``add_model`` style, what DESIGN.md rules out) on 1,000
  plain objects.

With ``--json`` the last line is ``{"transitions_per_s": ..., "overhead_bytes_per_entity": ...}``
plus the detail figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
from transitions import Machine

from servicecore.lifecycle import DISPATCH, QUOTE, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.audit import AuditLog
from servicecore.model.common import Money, TimeRange
from servicecore.model.dispatch import DispatchOrder, DispatchStatus
from servicecore.model.enums import ServiceType
from servicecore.model.quote import Quote, ServiceLine
from servicecore.model.request import ServiceRequest

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TECH = Actor(id="u-7", roles={Role.TECHNICIAN}, technician_id="T-7")
SUP = Actor(id="sup-1", roles={Role.SUPERVISOR})
SLOT = TimeRange(T0 + timedelta(hours=1), T0 + timedelta(hours=3))
REQUEST = ServiceRequest(
    id="R-1",
    customer_id="C-1",
    service_type=ServiceType.CONSULT,
    symptoms="x",
    reported_at=T0,
)


def _orders(n: int) -> list[DispatchOrder]:
    return [
        DispatchOrder(id=f"D-{i}", request_id="R-1", technician_id="T-7", planned=SLOT)
        for i in range(n)
    ]


def throughput(n: int) -> dict[str, float]:
    orders = _orders(n)
    trail = AuditLog()
    facts = {"request": REQUEST}
    start = time.perf_counter()
    for order in orders:
        DISPATCH.create(order, TransitionContext(actor=SUP, at=T0, facts=facts), trail)
        for trigger in ("accept", "start", "complete"):
            DISPATCH.fire(order, trigger, TransitionContext(actor=TECH, at=T0), trail)
    dispatch_s = time.perf_counter() - start
    line = ServiceLine(
        description="repair",
        quantity=Decimal(1),
        unit_price=Money("100", "EUR"),
        unit_cost=Money("60", "EUR"),
    )
    quotes = [
        Quote(
            id=f"Q-{i}",
            customer_id="C-1",
            currency="EUR",
            valid_until=T0 + timedelta(days=30),
            service_lines=(line,),
        )
        for i in range(n // 2)
    ]
    start = time.perf_counter()
    for quote in quotes:
        QUOTE.create(quote, TransitionContext(actor=SUP, at=T0), trail)
        QUOTE.fire(quote, "issue", TransitionContext(actor=SUP, at=T0), trail)
        QUOTE.fire(quote, "change", TransitionContext(actor=SUP, at=T0, reason="price"), trail)
        QUOTE.fire(quote, "issue", TransitionContext(actor=SUP, at=T0), trail)
        QUOTE.fire(quote, "accept", TransitionContext(actor=SUP, at=T0), trail)
    quote_s = time.perf_counter() - start
    moves = 4 * n + 5 * (n // 2)
    return {
        "transitions": moves,
        "seconds": dispatch_s + quote_s,
        "transitions_per_s": moves / (dispatch_s + quote_s),
        "dispatch_transitions_per_s": 4 * n / dispatch_s,
        "quote_transitions_per_s": 5 * (n // 2) / quote_s,
        "audit_entries": len(trail),
    }


def memory(n: int) -> dict[str, float]:
    names = [f.name for f in attrs.fields(DispatchOrder)]
    bare_cls = attrs.make_class("BareDispatchOrder", names, slots=True, eq=False)
    template = _orders(1)[0]
    values = {name: getattr(template, name) for name in names}
    # Same domain values as the lifecycle effects stamp: only the lifecycle's own cost differs.
    values |= {"accepted_at": T0, "started_at": T0, "completed_at": T0}
    ctx_sup = TransitionContext(actor=SUP, at=T0, facts={"request": REQUEST})
    ctx_tech = TransitionContext(actor=TECH, at=T0)

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    bare = []
    for i in range(n):
        obj = bare_cls(**(values | {"id": f"D-{i}"}))
        obj.status = DispatchStatus.COMPLETED
        bare.append(obj)
    gc.collect()
    bare_bytes = tracemalloc.get_traced_memory()[0] - base
    del bare
    gc.collect()

    base = tracemalloc.get_traced_memory()[0]
    trail = AuditLog()
    driven = _orders(n)
    for order in driven:
        DISPATCH.create(order, ctx_sup, trail)
        for trigger in ("accept", "start", "complete"):
            DISPATCH.fire(order, trigger, ctx_tech, trail)
    gc.collect()
    with_trail = tracemalloc.get_traced_memory()[0] - base
    entries = len(trail)
    # The trail is storage (it goes to the database), not the entity's own cost: drop it and see
    # what the entities still hold.
    del trail
    gc.collect()
    driven_bytes = tracemalloc.get_traced_memory()[0] - base
    del driven
    gc.collect()

    class Plain:
        pass

    states = [s.value for s in DispatchStatus]
    base = tracemalloc.get_traced_memory()[0]
    models = []
    for _ in range(1000):
        m = Plain()
        Machine(
            model=m,
            states=states,
            initial="assigned",
            auto_transitions=False,
            transitions=[
                ["accept", "assigned", "accepted"],
                ["start", "accepted", "in_progress"],
                ["complete", "in_progress", "completed"],
            ],
        )
        models.append(m)
    gc.collect()
    machine_bytes = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {
        "bare_bytes_per_entity": bare_bytes / n,
        "lifecycle_bytes_per_entity": driven_bytes / n,
        "overhead_bytes_per_entity": (driven_bytes - bare_bytes) / n,
        "audit_bytes_per_transition": (with_trail - driven_bytes) / entries,
        "machine_per_entity_bytes": machine_bytes / len(models),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    speed = throughput(args.entities)
    mem = memory(args.entities)
    print(f"transitions with audit entries: {speed['transitions']:,} in {speed['seconds']:.2f} s")
    print(f"  overall   {speed['transitions_per_s']:>10,.0f} /s   (target >= 30,000)")
    print(f"  dispatch  {speed['dispatch_transitions_per_s']:>10,.0f} /s   (create, accept, ...)")
    print(f"  quote     {speed['quote_transitions_per_s']:>10,.0f} /s   (issue, change+revision)")
    print(f"memory per entity ({args.entities:,} dispatch orders):")
    print(f"  bare attrs object         {mem['bare_bytes_per_entity']:>8.0f} B")
    print(f"  driven by its lifecycle   {mem['lifecycle_bytes_per_entity']:>8.0f} B")
    print(
        f"  lifecycle overhead        {mem['overhead_bytes_per_entity']:>8.0f} B   (target <= 200)"
    )
    print(f"  audit entry (storage)     {mem['audit_bytes_per_transition']:>8.0f} B per transition")
    print(f"  one Machine per entity    {mem['machine_per_entity_bytes']:>8.0f} B   (ruled out)")
    if args.json:
        print(json.dumps({**speed, **mem}))


if __name__ == "__main__":
    main()
