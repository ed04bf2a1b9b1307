"""Sphinx directives drawn from the command registry at build time, so the docs cannot drift.

- ``.. permission-table::``: every permission of the default policy
  (:data:`servicecore.services.permissions.DEFAULT_RULES`) with what it lets an actor do, the
  roles it allows and the desk methods that ask it.
- ``.. desk-commands::``: every method of :class:`servicecore.services.desk.ServiceDesk`, group by
  group (:attr:`ServiceDesk.GROUPS <servicecore.services.desk.ServiceDesk.GROUPS>`), with its
  permission, its kind and the function it runs.

A page that uses either is read again on every build: the tables follow the code, not the page.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Set
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

KINDS = {
    "command": "command (commits once)",
    "query": "read (never commits)",
    "job": "job (commits record by record)",
}


def _roles(permission: str) -> str:
    """The default roles of ``permission`` in words, e.g. ``customer service, supervisor``."""
    from servicecore.services.permissions import DEFAULT_RULES

    allowed = DEFAULT_RULES.get(permission)
    if not allowed:
        return "administrators only"
    return ", ".join(sorted(role.value.replace("_", " ") for role in allowed))


def _target(function: Any) -> str:
    """The registered function's own dotted name (the wrapper carries the function's)."""
    target = inspect.unwrap(function)
    return f"{target.__module__}.{target.__qualname__}"


def _generated(env: BuildEnvironment) -> set[str]:
    """The pages with generated tables, kept on the environment between builds."""
    if not hasattr(env, "servicecore_generated"):
        env.servicecore_generated = set()  # type: ignore[attr-defined]
    pages: set[str] = env.servicecore_generated  # type: ignore[attr-defined]
    return pages


def _desk_methods() -> Iterable[tuple[str, str, Any]]:
    """Yield ``(group attribute, method name, registry entry)`` for every desk method."""
    from servicecore.services.desk import ServiceDesk

    for attribute, group in ServiceDesk.GROUPS:
        for method, info in group.commands():
            yield attribute, method, info


class _GeneratedDirective(SphinxDirective):
    """Parse generated reStructuredText in place and mark the page as generated."""

    def parse(self, lines: list[str]) -> list[nodes.Node]:
        """Return the nodes of ``lines``, which may contain section titles."""
        _generated(self.env).add(self.env.docname)
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=self.name), container)
        return container.children


class PermissionTableDirective(_GeneratedDirective):
    """Render the default policy's table: permission, what it allows, roles, who asks it."""

    def run(self) -> list[nodes.Node]:
        """Build the nodes."""
        from servicecore.services.permissions import DEFAULT_RULES, DESCRIPTIONS

        asked_by: dict[str, list[str]] = {}
        for attribute, method, info in _desk_methods():
            asked_by.setdefault(info.permission, []).append(
                f":func:`desk.{attribute}.{method} <{_target(info.function)}>`"
            )
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 18 32 22 28",
            "",
            "   * - permission",
            "     - what it lets an actor do",
            "     - roles allowed by default",
            "     - asked by",
        ]
        for permission in DEFAULT_RULES:
            if permission not in DESCRIPTIONS:
                logger.warning(
                    "permission %r has no description", permission, location=self.get_location()
                )
            lines += [
                f"   * - ``{permission}``",
                f"     - {DESCRIPTIONS.get(permission, '')}",
                f"     - {_roles(permission)}",
                f"     - {', '.join(asked_by.get(permission, [])) or 'no desk method'}",
            ]
        return self.parse(lines)


class DeskCommandsDirective(_GeneratedDirective):
    """Render one section per desk group, each a table of its methods."""

    def run(self) -> list[nodes.Node]:
        """Build the nodes."""
        from servicecore.services.desk import ServiceDesk

        lines: list[str] = []
        for attribute, group in ServiceDesk.GROUPS:
            title = f"``desk.{attribute}``"
            summary = (inspect.getdoc(group) or "").splitlines()[0]
            lines += [
                title,
                "-" * len(title),
                "",
                summary,
                "",
                ".. list-table::",
                "   :header-rows: 1",
                "   :widths: 30 20 25 25",
                "",
                "   * - method",
                "     - permission",
                "     - kind",
                "     - roles allowed by default",
            ]
            for method, info in group.commands():
                lines += [
                    f"   * - :func:`{method} <{_target(info.function)}>`",
                    f"     - ``{info.permission}``",
                    f"     - {KINDS[info.kind]}",
                    f"     - {_roles(info.permission)}",
                ]
            lines.append("")
        return self.parse(lines)


def _always_outdated(
    app: Sphinx, env: BuildEnvironment, added: Set[str], changed: Set[str], removed: Set[str]
) -> list[str]:
    # The tables come from the code, which Sphinx does not watch: read their pages again.
    return sorted(_generated(env) - set(removed))


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _generated(env).discard(docname)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: Set[str], other: BuildEnvironment) -> None:
    _generated(env).update(_generated(other))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("permission-table", PermissionTableDirective)
    app.add_directive("desk-commands", DeskCommandsDirective)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
