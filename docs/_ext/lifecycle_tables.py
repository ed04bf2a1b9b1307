"""Sphinx directive ``.. lifecycle:: NAME``: a lifecycle's state diagram and rule table.

Both are drawn from the lifecycle table in :mod:`servicecore.lifecycle` at build time, so the docs
cannot drift from the code. The diagram is an SVG embedded in the page (see :mod:`state_diagram`):
it shows offline, with no JavaScript.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from state_diagram import lifecycle_svg


class LifecycleDirective(SphinxDirective):
    """Render one lifecycle (by its registry name) as a diagram and a table."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        """Build the nodes."""
        from servicecore.lifecycle import LIFECYCLES

        name = self.arguments[0]
        lifecycle = LIFECYCLES[name]
        svg = lifecycle_svg(name, lifecycle)
        diagram = nodes.raw("", f'<div class="lifecycle-diagram-frame">{svg}</div>', format="html")
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 15 25 15 25 40",
            "",
            "   * - trigger",
            "     - from",
            "     - to",
            "     - guards",
            "     - what it means",
        ]
        for row in lifecycle.describe():
            lines.append(f"   * - ``{row[0]}``")
            # A lone "-" would be read as an empty bullet list.
            lines += [f"     - {cell}" if cell != "-" else "     - \\-" for cell in row[1:]]
        lines.append("")
        container = nodes.container()
        text = StringList(lines, source="lifecycle")
        self.state.nested_parse(text, self.content_offset, container)
        return [diagram, *container.children]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("lifecycle", LifecycleDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
