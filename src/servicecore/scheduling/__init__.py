"""Technician scheduling: a problem goes in, a plan comes out.

Pure optimisation over OR-Tools routing; nothing here touches storage. Typical use::

    from servicecore.scheduling import Problem, solve

    result = solve(Problem.from_fsm_json("day.json"), time_limit=10, seed=1)
    print(result.summary())
"""

from servicecore.scheduling.builder import ProblemBuilder, hm
from servicecore.scheduling.checker import CheckReport, check
from servicecore.scheduling.decompose import partition, solve_decomposed
from servicecore.scheduling.formats import (
    fsm_to_problem,
    problem_to_fsm,
    read_fsm_json,
    read_solomon,
    solution_to_fsm,
    write_fsm_solution,
)
from servicecore.scheduling.params import SolveParams
from servicecore.scheduling.problem import Break, Job, Problem, Shift, Technician, TimeWindow
from servicecore.scheduling.result import (
    CostBreakdown,
    MissingExtraError,
    Result,
    Route,
    ScheduledBreak,
    UnassignedJob,
    UnassignedReason,
    Utilisation,
    Visit,
)
from servicecore.scheduling.solver import (
    Metaheuristic,
    SchedulingError,
    improve_plan,
    insert_job,
    pin_jobs,
    repair_plan,
    solve,
)
from servicecore.scheduling.travel import Point, Travel

__all__ = [
    "Break",
    "CheckReport",
    "CostBreakdown",
    "Job",
    "Metaheuristic",
    "MissingExtraError",
    "Point",
    "Problem",
    "ProblemBuilder",
    "Result",
    "Route",
    "ScheduledBreak",
    "SchedulingError",
    "Shift",
    "SolveParams",
    "Technician",
    "TimeWindow",
    "Travel",
    "UnassignedJob",
    "UnassignedReason",
    "Utilisation",
    "Visit",
    "check",
    "fsm_to_problem",
    "hm",
    "improve_plan",
    "insert_job",
    "partition",
    "pin_jobs",
    "problem_to_fsm",
    "read_fsm_json",
    "read_solomon",
    "repair_plan",
    "solution_to_fsm",
    "solve",
    "solve_decomposed",
    "write_fsm_solution",
]
