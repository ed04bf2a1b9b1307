"""Draw a lifecycle table as an SVG state diagram, in pure Python, at docs build time.

The layout is layered (Sugiyama, from ``grandalf``): states top to bottom in the order work flows,
crossings reduced. Each transition's label is laid out as a node of its own between its two
states, so no label overlaps a state, an arrow or another label. Transitions that keep the state
(``dest`` is ``None`` or the source itself) are listed inside the state's box instead of as loops.
The SVG is embedded in the page: no JavaScript, no CDN and no ``dot`` binary.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from html import escape
from typing import Any

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
MONO = "ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace"
STATE_SIZE = 14
LABEL_SIZE = 12
GUARD_SIZE = 11
GUARD_WRAP = 30
PAD = 12
START_R = 7


def _text_width(text: str, size: float, *, mono: bool) -> float:
    # A generous average glyph width: the box must hold the text in any font the reader has.
    return len(text) * size * (0.62 if mono else 0.6)


@dataclass
class _Box:
    """What a layout vertex draws: a state, a transition label or the start dot."""

    kind: str  # "state", "label" or "start"
    lines: list[tuple[str, str]]  # (text, style) per line
    w: float = 0.0
    h: float = 0.0
    xy: tuple[float, float] = (0.0, 0.0)
    final: bool = False

    def size(self) -> None:
        """Set ``w`` and ``h`` from the lines."""
        if self.kind == "start":
            self.w = self.h = 2 * START_R
            return
        widths, height = [], 0.0
        for text, style in self.lines:
            size = _STYLE_SIZE[style]
            widths.append(_text_width(text, size, mono=style != "state"))
            height += size * 1.3
        self.w = max(widths) + 2 * PAD
        self.h = height + (PAD if self.kind == "state" else 6)


_STYLE_SIZE = {"state": STATE_SIZE, "trigger": LABEL_SIZE, "guard": GUARD_SIZE, "keep": GUARD_SIZE}


@dataclass
class _Arrow:
    """One transition: from a state through its label box to a state."""

    source: str
    label: str
    dest: str
    layout_edges: list[Any] = field(default_factory=list)


class _View:
    """The view object grandalf writes positions and paths into."""

    def __init__(self, box: _Box | None = None) -> None:
        self.box = box
        self.w = box.w if box else 0.0
        self.h = box.h if box else 0.0
        self.xy: tuple[float, float] = (0.0, 0.0)
        self.path: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.path = list(points)


def _hops(arrow: _Arrow) -> list[str]:
    return [arrow.source, arrow.label, arrow.dest] if arrow.label else [arrow.source, arrow.dest]


def _label_lines(trigger: str, guards: Sequence[str]) -> list[tuple[str, str]]:
    lines = [(trigger, "trigger")]
    if guards:
        wrapped = textwrap.wrap("[" + ", ".join(guards) + "]", GUARD_WRAP, break_on_hyphens=False)
        lines += [(part, "guard") for part in wrapped]
    return lines


def layout(
    states: Sequence[str],
    initial: str,
    finals: Sequence[str],
    rules: Sequence[tuple[str, Sequence[str], str | None, Sequence[str]]],
) -> tuple[dict[str, _Box], list[_Arrow]]:
    """Place states and transition labels; return the boxes by id and the arrows.

    ``rules`` are ``(trigger, sources, dest, guards)``; ``dest`` ``None`` keeps the state.
    """
    keeps: dict[str, list[str]] = {s: [] for s in states}
    boxes: dict[str, _Box] = {"__start__": _Box("start", [])}
    arrows: list[_Arrow] = [_Arrow("__start__", "", initial)]
    for trigger, sources, dest, guards in rules:
        for source in sources:
            if dest is None or dest == source:
                keeps[source].append(trigger)
                continue
            label_id = f"__label_{len(arrows)}__"
            boxes[label_id] = _Box("label", _label_lines(trigger, guards))
            arrows.append(_Arrow(source, label_id, dest))
    for state in states:
        lines = [(state, "state")]
        if keeps[state]:
            lines += [
                ("\u21bb " + part, "keep")
                for part in textwrap.wrap(", ".join(keeps[state]), GUARD_WRAP)
            ]
        boxes[state] = _Box("state", lines, final=state in finals)
    for box in boxes.values():
        box.size()

    vertices = {key: Vertex(key) for key in boxes}
    for key, vertex in vertices.items():
        vertex.view = _View(boxes[key])
    edges = []
    for arrow in arrows:
        for a, b in itertools.pairwise(_hops(arrow)):
            edge = Edge(vertices[a], vertices[b])
            edge.view = _View()
            arrow.layout_edges.append(edge)
            edges.append(edge)
    graph = Graph(list(vertices.values()), edges)
    offset = 0.0
    for component in graph.C:
        sug = SugiyamaLayout(component)
        sug.xspace, sug.yspace = 28, 34
        roots = [vertices["__start__"]] if vertices["__start__"] in component.sV else []
        sug.init_all(roots=roots or None, optimize=True)
        sug.draw(8)
        left = min(v.view.xy[0] - v.view.w / 2 for v in component.sV)
        right = max(v.view.xy[0] + v.view.w / 2 for v in component.sV)
        for v in component.sV:
            v.view.xy = (v.view.xy[0] - left + offset, v.view.xy[1])
        for e in component.sE:
            e.view.path = [(x - left + offset, y) for x, y in e.view.path]
        offset += right - left + 40
    for key, vertex in vertices.items():
        boxes[key].xy = vertex.view.xy
    return boxes, arrows


def _ports(
    boxes: dict[str, _Box], segments: list[tuple[str, str, list[tuple[float, float]]]]
) -> list[list[tuple[float, float]]]:
    """Attach each segment to the bottom or top side of its boxes, spread along the side.

    A segment leaves a box through the side facing its next point and enters through the side
    facing its previous one; the ends on one side are spread in the order of where they go, so
    arrows into or out of one state do not start at one point and cross.
    """
    sides: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    for index, (a, b, points) in enumerate(segments):
        first, last = points[1], points[-2]
        side_a = "bottom" if first[1] > boxes[a].xy[1] else "top"
        side_b = "top" if last[1] < boxes[b].xy[1] else "bottom"
        sides.setdefault((a, side_a), []).append((first[0], index, 0))
        sides.setdefault((b, side_b), []).append((last[0], index, -1))
    routed = [list(points) for _, _, points in segments]
    for (key, side), ends in sides.items():
        box = boxes[key]
        ends.sort()
        usable = 0.0 if box.kind == "start" else min(box.w * 0.7, 26.0 * (len(ends) - 1))
        y = box.xy[1] + (box.h / 2 if side == "bottom" else -box.h / 2)
        if box.kind == "start":
            y = box.xy[1] + (START_R if side == "bottom" else -START_R)
        for rank, (_, index, position) in enumerate(ends):
            offset = 0.0 if len(ends) == 1 else -usable / 2 + usable * rank / (len(ends) - 1)
            routed[index][position] = (box.xy[0] + offset, y)
    return routed


def _path(points: list[tuple[float, float]]) -> str:
    """An SVG path through the points: S-curves that leave and reach each point vertically."""
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        middle = (y0 + y1) / 2
        d += f" C{x0:.1f},{middle:.1f} {x1:.1f},{middle:.1f} {x1:.1f},{y1:.1f}"
    return d


def _segment(boxes: dict[str, _Box], a: str, b: str, edge: Any) -> list[tuple[float, float]]:
    """The layout's points for one edge from ``a`` to ``b``, centres included, in that order."""
    points = list(edge.view.path) or [boxes[a].xy, boxes[b].xy]
    if math.dist(points[0], boxes[a].xy) > math.dist(points[-1], boxes[a].xy):
        points.reverse()  # the layout inverted this edge to break a cycle
    points[0], points[-1] = boxes[a].xy, boxes[b].xy
    return points


def to_svg(
    title: str,
    states: Sequence[str],
    initial: str,
    finals: Sequence[str],
    rules: Sequence[tuple[str, Sequence[str], str | None, Sequence[str]]],
) -> str:
    """Return the lifecycle as a standalone ``<svg>`` element (see :func:`layout`)."""
    boxes, arrows = layout(states, initial, finals, rules)
    marker = "arrowhead-" + "".join(c if c.isalnum() else "-" for c in title)
    margin = 10
    min_x = min(b.xy[0] - b.w / 2 for b in boxes.values()) - margin
    min_y = min(b.xy[1] - b.h / 2 for b in boxes.values()) - margin
    max_x = max(b.xy[0] + b.w / 2 for b in boxes.values()) + margin
    max_y = max(b.xy[1] + b.h / 2 for b in boxes.values()) + margin
    width, height = max_x - min_x, max_y - min_y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle-diagram" role="img" '
        f'viewBox="{min_x:.0f} {min_y:.0f} {width:.0f} {height:.0f}" '
        # Shrinks with the page down to 75 % (text stays legible on a phone), then scrolls.
        f'style="width:100%;max-width:{width:.0f}px;min-width:{0.75 * width:.0f}px;height:auto">',
        f"<title>{escape(title)}</title>",
        f"<defs><marker id='{marker}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='8' "
        "markerHeight='8' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        "fill='#445'/></marker></defs>",
    ]
    segments, heads = [], []
    for arrow in arrows:
        hops = _hops(arrow)
        for (a, b), edge in zip(itertools.pairwise(hops), arrow.layout_edges, strict=True):
            segments.append((a, b, _segment(boxes, a, b, edge)))
            heads.append(b == arrow.dest)
    for points, head in zip(_ports(boxes, segments), heads, strict=True):
        head_ref = f" marker-end='url(#{marker})'" if head else ""
        out.append(
            f"<path d='{_path(points)}' fill='none' stroke='#445' stroke-width='1.4'{head_ref}/>"
        )
    for key, box in boxes.items():
        x, y = box.xy
        if box.kind == "start":
            out.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{START_R}' fill='#223'/>")
            continue
        left, top = x - box.w / 2, y - box.h / 2
        if box.kind == "state":
            out.append(
                f"<rect x='{left:.1f}' y='{top:.1f}' width='{box.w:.1f}' height='{box.h:.1f}' "
                "rx='9' fill='#eef3fb' stroke='#2f5597' stroke-width='1.5'/>"
            )
            if box.final:
                out.append(
                    f"<rect x='{left + 3:.1f}' y='{top + 3:.1f}' width='{box.w - 6:.1f}' "
                    f"height='{box.h - 6:.1f}' rx='7' fill='none' stroke='#2f5597'/>"
                )
        else:
            out.append(
                f"<rect x='{left:.1f}' y='{top:.1f}' width='{box.w:.1f}' height='{box.h:.1f}' "
                "rx='4' fill='#ffffff' stroke='#c9ccd6' stroke-dasharray='3 2'/>"
            )
        total = sum(_STYLE_SIZE[style] * 1.3 for _, style in box.lines)
        baseline = y - total / 2
        for text, style in box.lines:
            size = _STYLE_SIZE[style]
            baseline += size * 1.3
            family = FONT if style == "state" else MONO
            weight = "600" if style in {"state", "trigger"} else "400"
            colour = {"state": "#14284b", "trigger": "#222", "guard": "#666", "keep": "#2f5597"}
            out.append(
                f"<text x='{x:.1f}' y='{baseline - size * 0.3:.1f}' text-anchor='middle' "
                f'font-family="{FONT if family == FONT else MONO}" font-size="{size}" '
                f"font-weight='{weight}' fill='{colour[style]}'>{escape(text)}</text>"
            )
        del key
    out.append("</svg>")
    return "\n".join(out)


def lifecycle_svg(name: str, lifecycle: Any) -> str:
    """Draw a :class:`servicecore.lifecycle.engine.Lifecycle` as SVG, from its rule table."""
    rows = list(lifecycle.describe())
    rules = []
    for rule, row in zip(lifecycle.rules, rows, strict=True):
        guards = [] if row[3] == "-" else row[3].split(", ")
        dest = None if rule.dest is None else _value(rule.dest)
        rules.append((rule.trigger, [_value(s) for s in rule.sources], dest, guards))
    states = [_value(s) for s in type(lifecycle.initial)]
    finals = [_value(s) for s in lifecycle.final_states()]
    return to_svg(f"{name} lifecycle", states, _value(lifecycle.initial), finals, rules)


def _value(state: Enum) -> str:
    return str(state.value)
