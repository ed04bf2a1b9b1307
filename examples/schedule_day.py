"""Plan one service day for four technicians and print the plan.

Run: python examples/schedule_day.py   (takes about two seconds)
"""

from __future__ import annotations

import random

from servicecore.scheduling import ProblemBuilder, Travel, solve


def build_day(seed: int = 1):
    rng = random.Random(seed)
    b = ProblemBuilder(name="tuesday", travel=Travel.euclidean(30), unserved_cost_per_priority=5000)
    lunch = [("11:30", "13:30", 30)]
    b.technician("ana", skills={"hvac", "electrical"}, start=(5, 5), breaks=lunch)
    b.technician("ben", skills={"electrical"}, start=(20, 8), breaks=lunch)
    b.technician("chen", skills={"plumbing", "hvac"}, start=(12, 18), breaks=lunch)
    b.technician(
        "dewi",
        skills={"plumbing", "electrical"},
        start=(3, 15),
        shift=("07:00", "15:00"),
        breaks=[("11:00", "12:30", 30)],
    )
    slots = [("08:00", "10:00"), ("10:00", "12:00"), ("13:00", "15:00"), ("15:00", "17:00")]
    for i in range(22):
        skill = rng.choice(["hvac", "electrical", "plumbing"])
        where = (round(rng.uniform(0, 25), 1), round(rng.uniform(0, 20), 1))
        if i % 7 == 0:  # an emergency: as soon as possible, late after its SLA
            b.job(
                f"R{i:02d}",
                location=where,
                duration=45,
                skills={skill},
                priority=3,
                sla_due="10:30",
                lateness_cost=20,
            )
        else:
            b.job(
                f"R{i:02d}",
                location=where,
                duration=rng.choice([30, 45, 60, 90]),
                skills={skill},
                window=rng.choice(slots),
                priority=rng.choice([1, 1, 2]),
            )
    return b.build()


def main() -> None:
    problem = build_day()
    result = solve(problem, time_limit=2, seed=1)
    print(result.summary())
    print()
    for u in result.utilisation():
        print(
            f"{u.technician_id:5} {u.jobs:2} jobs, busy {u.ratio:.0%} of {u.available_minutes} min"
        )
    assert result.is_feasible()


if __name__ == "__main__":
    main()
