"""The solver's tuning and stopping rules: :class:`SolveParams` and :class:`Metaheuristic`.

Pure data (attrs and the standard library), so importing it loads no solver.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import attrs

from servicecore.errors import ValidationError

__all__ = ["Metaheuristic", "SolveParams"]


class Metaheuristic(enum.Enum):
    """The improvement method run after the first plan is built."""

    GUIDED_LOCAL_SEARCH = "guided_local_search"
    """Guided local search: penalises long arcs to escape local minima (OR-Tools' standard)."""
    ITERATED_LOCAL_SEARCH = "iterated_local_search"
    """Iterated local search with ruin-and-recreate (SISR ruin), simulated-annealing acceptance."""
    GREEDY_DESCENT = "greedy_descent"
    """Plain descent to the first local minimum: fast, used for urgent insertions."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not _is_number(value) or not 0 < value < math.inf:  # type: ignore[operator]
        raise ValidationError.single(attribute.name, value, "must be a number of seconds > 0")


def _optional_seconds(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _seconds(_, attribute, value)


def _seconds_or_zero(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not _is_number(value) or not 0 <= value < math.inf:  # type: ignore[operator]
        raise ValidationError.single(attribute.name, value, "must be a number of seconds >= 0")


def _count(minimum: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
        if not _is_int(value) or value < minimum:  # type: ignore[operator]
            raise ValidationError.single(attribute.name, value, f"must be an integer >= {minimum}")

    return check


def _optional_count(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _count(1)(_, attribute, value)


def _share(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not _is_number(value) or not 0 < value < 1:  # type: ignore[operator]
        raise ValidationError.single(attribute.name, value, "must be a number between 0 and 1")


def _factor(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not _is_number(value) or not 1 <= value < math.inf:  # type: ignore[operator]
        raise ValidationError.single(attribute.name, value, "must be a number >= 1")


def _metaheuristic(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Metaheuristic):
        raise ValidationError.single(attribute.name, value, "must be a Metaheuristic")


@attrs.frozen(kw_only=True)
class SolveParams:
    """How :func:`~servicecore.scheduling.solve` plans: its stopping rules and its tuning.

    The stopping rules say when the search ends; the tuning (the shares of the time limit each
    stage gets, the sizes of the searches around jobs left out) was measured on the FSM days
    and Solomon's instances, and its defaults are what :func:`solve` has always used. Build a
    variant with :func:`attrs.evolve` (it validates too).

    Attributes:
        time_limit: Seconds the whole call may take, building the model included.
        seed: Shuffles the order jobs enter the model and seeds ruin and recreate; 0 keeps the
            problem's order.
        solution_limit: Stop OR-Tools' search after this many solutions (a repeatable work
            limit); ruin and recreate then makes ``steps_per_solution`` steps per solution.
            ``None``: no such limit.
        iteration_limit: Most ruin-and-recreate steps; ``None``: until the time runs out.
        no_improvement_seconds: Stop ruin and recreate once its best plan has not improved
            for this many seconds (checked about four times a second); ``None``: never.
        metaheuristic: OR-Tools' improvement method where OR-Tools searches;
            ``GREEDY_DESCENT`` also turns ruin and recreate off.
        repair_share: Share of the limit kept, after an OR-Tools search, for serving the jobs
            it left out and polishing the result (0.1).
        descent_share: Share of the time left a plain descent gets (0.5): under a short limit
            OR-Tools can run twice its own limit.
        search_share: Share of the time left OR-Tools' search gets when ruin and recreate
            follows a warm start or runs under a solution limit (0.25).
        repair_insert_share: Share of the time after the search that insertions with
            ejections get when ruin and recreate follows (0.2).
        steps_per_solution: Ruin-and-recreate steps per solution of ``solution_limit`` (10).
        polish_floor: Shortest time (seconds) the final descent on the full model gets (0.05).
        polish_share: The final descent's most, as a share of a short limit (0.05).
        finalize_seconds: Limit for reading a plan back into the model where no descent runs
            (60 s; ends long before in practice).
        focus_able_routes: Searching around a job left out takes the routes of the nearest
            technicians able to serve it (2) ...
        focus_routes: ... and the nearest routes of any kind (4), with all their shifts.
        focus_seconds: Longest time one such search takes (1 s).
        focus_min_seconds: Shortest time worth starting one (0.2 s).
        large_model_jobs: Above this many jobs OR-Tools searches without its heavy insertion
            operators, which ignore its time limit for seconds (500).
        late_factor: A call running past ``max(late_factor x time_limit, time_limit +
            late_seconds)`` logs a warning (1.05) ...
        late_seconds: ... (0.3 s).

    Raises:
        ValidationError: Naming the field and its value, when a field has the wrong type or
            range (seconds and factors positive and finite, shares between 0 and 1, counts
            integers), or ``focus_min_seconds`` exceeds ``focus_seconds``.
    """

    time_limit: float = attrs.field(default=10.0, validator=_seconds)
    seed: int = attrs.field(default=0, validator=_count(0))
    solution_limit: int | None = attrs.field(default=None, validator=_optional_count)
    iteration_limit: int | None = attrs.field(default=None, validator=_optional_count)
    no_improvement_seconds: float | None = attrs.field(default=None, validator=_optional_seconds)
    metaheuristic: Metaheuristic = attrs.field(
        default=Metaheuristic.ITERATED_LOCAL_SEARCH, validator=_metaheuristic
    )
    repair_share: float = attrs.field(default=0.1, validator=_share)
    descent_share: float = attrs.field(default=0.5, validator=_share)
    search_share: float = attrs.field(default=0.25, validator=_share)
    repair_insert_share: float = attrs.field(default=0.2, validator=_share)
    steps_per_solution: int = attrs.field(default=10, validator=_count(1))
    polish_floor: float = attrs.field(default=0.05, validator=_seconds)
    polish_share: float = attrs.field(default=0.05, validator=_share)
    finalize_seconds: float = attrs.field(default=60.0, validator=_seconds)
    focus_able_routes: int = attrs.field(default=2, validator=_count(0))
    focus_routes: int = attrs.field(default=4, validator=_count(0))
    focus_seconds: float = attrs.field(default=1.0, validator=_seconds)
    focus_min_seconds: float = attrs.field(default=0.2, validator=_seconds_or_zero)
    large_model_jobs: int = attrs.field(default=500, validator=_count(0))
    late_factor: float = attrs.field(default=1.05, validator=_factor)
    late_seconds: float = attrs.field(default=0.3, validator=_seconds_or_zero)

    def __attrs_post_init__(self) -> None:
        if self.focus_min_seconds > self.focus_seconds:
            raise ValidationError.single(
                "focus_min_seconds",
                self.focus_min_seconds,
                f"must not exceed focus_seconds ({self.focus_seconds})",
            )

    @property
    def ruin_steps(self) -> int:
        """Most ruin-and-recreate steps under the time limit (``iteration_limit`` or no cap)."""
        return self.iteration_limit if self.iteration_limit is not None else _NO_STEP_CAP

    @property
    def polish_seconds(self) -> float:
        """Time the final descent on the full model gets: ``polish_floor``, less on short limits."""
        return min(self.polish_floor, self.time_limit * self.polish_share)

    def late(self, wall: float) -> bool:
        """Whether a call that took ``wall`` seconds ran past the promised margin."""
        return wall > max(self.late_factor * self.time_limit, self.time_limit + self.late_seconds)


# Ruin-and-recreate steps when only the clock ends the search (it ends first in practice).
_NO_STEP_CAP = 10**9
