"""Sphinx directive ``.. lifecycle:: NAME``: a lifecycle's Mermaid diagram and rule table.

Both are drawn from the lifecycle table in :mod:`servicecore.lifecycle` at build time, so the docs
cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class LifecycleDirective(SphinxDirective):
    """Render one lifecycle (by its registry name) as a diagram and a table."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        """Build the nodes."""
        from servicecore.lifecycle import LIFECYCLES

        name = self.arguments[0]
        lifecycle = LIFECYCLES[name]
        lines = [".. mermaid::", ""]
        lines += ["   " + line for line in lifecycle.to_mermaid().splitlines()]
        lines += [
            "",
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
            lines += [f"     - {cell}" for cell in row[1:]]
        lines.append("")
        container = nodes.container()
        text = StringList(lines, source="lifecycle")
        self.state.nested_parse(text, self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("lifecycle", LifecycleDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
