"""Gantt and map plots of a plan (matplotlib, the ``plot`` extra).

New plots are drawn on their own ``matplotlib.figure.Figure`` (``ax.figure``), never through
pyplot: the global backend and pyplot's list of open figures are left alone, so a notebook shows
the figure (put ``ax.figure`` last in a cell) and a script can save it with ``savefig``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from servicecore.scheduling.result import MissingExtraError

if TYPE_CHECKING:
    from servicecore.scheduling.result import Result

__all__ = ["plot_gantt", "plot_map"]


def _new_axes(width: float, height: float) -> Any:
    """Return the axes of a new figure that no backend or pyplot state knows about."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingExtraError("plots need matplotlib: pip install 'servicecore[plot]'") from exc
    return Figure(figsize=(width, height), layout="constrained").add_subplot()


def plot_gantt(result: Result, ax: Any = None) -> Any:
    """Draw one Gantt row per technician shift.

    Travel is grey, service coloured (outlined in red when late), breaks hatched.

    Args:
        result: The plan.
        ax: A matplotlib ``Axes`` to draw on; when ``None``, a new ``Figure`` is made
            (outside pyplot; see the module docstring).

    Returns:
        The ``Axes`` drawn on.

    Raises:
        MissingExtraError: If matplotlib is not installed.
    """
    if ax is None:
        ax = _new_axes(10, 0.4 * max(3, len(result.routes)) + 1)
    labels = []
    for row, r in enumerate(result.routes):
        labels.append(f"{r.technician_id}#{r.shift_index}")
        for v in r.visits:
            if v.travel_minutes:
                ax.broken_barh(
                    [(v.arrival - v.travel_minutes, v.travel_minutes)],
                    (row - 0.3, 0.6),
                    facecolors="lightgrey",
                )
            ax.broken_barh(
                [(v.start, max(v.end - v.start, 1))],
                (row - 0.3, 0.6),
                facecolors=f"C{row % 10}",
                edgecolors="red" if v.late_minutes else "black",
                linewidth=1.5 if v.late_minutes else 0.5,
            )
            ax.text(v.start, row, v.job_id, va="center", fontsize=6)
        for b in r.breaks:
            ax.broken_barh(
                [(b.start, b.end - b.start)],
                (row - 0.3, 0.6),
                facecolors="white",
                edgecolors="grey",
                hatch="//",
            )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.set_xlabel("minute")
    ax.set_title(f"{result.problem.name}: cost {result.cost.total}")
    ax.invert_yaxis()
    return ax


def plot_map(result: Result, ax: Any = None) -> Any:
    """Draw each route on the plane, from the technician's start through its jobs to its end.

    Unserved jobs are red crosses.

    Args:
        result: The plan.
        ax: A matplotlib ``Axes`` to draw on; when ``None``, a new ``Figure`` is made
            (outside pyplot; see the module docstring).

    Returns:
        The ``Axes`` drawn on.

    Raises:
        MissingExtraError: If matplotlib is not installed.
    """
    if ax is None:
        ax = _new_axes(7, 7)
    problem = result.problem
    jobs = {j.id: j for j in problem.jobs}
    for k, r in enumerate(result.routes):
        tech = problem.technician(r.technician_id)
        pts = [tech.start] + [jobs[v.job_id].location for v in r.visits] + [tech.end_point]
        xs, ys = zip(*pts, strict=True)
        ax.plot(xs, ys, "-o", color=f"C{k % 10}", markersize=3, linewidth=1, label=tech.id)
        ax.plot([tech.start[0]], [tech.start[1]], "s", color=f"C{k % 10}", markersize=7)
    left = [jobs[u.job_id].location for u in result.unassigned]
    if left:
        xs, ys = zip(*left, strict=True)
        ax.plot(xs, ys, "x", color="red", markersize=8, label="unserved")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"{problem.name}: {len(result.served_job_ids)} served")
    if len(result.routes) <= 12:
        ax.legend(fontsize=6, loc="best")
    return ax
