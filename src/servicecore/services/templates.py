"""Care templates: the Jinja2 content of care plans, checked and rendered in a sandbox.

A template may name the fields it is given only (for care plans :data:`TEMPLATE_FIELDS`), and
only a small part of Jinja2: text, ``{{ field }}`` with the filters in :data:`FILTERS`, string
and number literals, ``~`` (joining), comparisons, ``and``/``or``/``not``, ``{% if %}`` and one
level of ``{% for x in field %}``. Globals (``range``, ``joiner``, ``self``...), attributes,
calls, arithmetic, assignments, macros and includes are refused when the template is checked -
when the plan is made - so a refused template never reaches the send. Rendering keeps a budget:
at most :data:`MAX_LOOP_ITERATIONS` loop iterations and :data:`MAX_OUTPUT_CHARS` characters of
output. Every refusal is a :class:`~servicecore.errors.ValidationError` naming the template.
Rendering uses ``StrictUndefined``, so a missing value is an error rather than an empty string;
in HTML (letters) the values are escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from servicecore.errors import ValidationError
from servicecore.model.care import CarePlan
from servicecore.ports import CustomerContact

__all__ = [
    "FILTERS",
    "MAX_LOOP_ITERATIONS",
    "MAX_OUTPUT_CHARS",
    "TEMPLATE_FIELDS",
    "check_template",
    "render_template",
    "template_fields",
]

TEMPLATE_FIELDS: tuple[str, ...] = (
    "customer_id",
    "name",
    "category",
    "email",
    "phone",
    "postal_address",
    "plan_id",
)
"""The fields a plan's content (and the subject) may name: the customer's, and the plan's id."""

FILTERS: frozenset[str] = frozenset(
    {
        "capitalize",
        "d",
        "default",
        "e",
        "escape",
        "first",
        "last",
        "length",
        "lower",
        "replace",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "upper",
    }
)
"""The filters a template may use (none of them grows its input without bound)."""

_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "eq", "ne"})

MAX_LOOP_ITERATIONS = 1000
"""The most loop iterations one rendering may run."""

MAX_OUTPUT_CHARS = 100_000
"""The longest output one rendering may produce."""

_TEXT_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
_HTML_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)

# What each refused node is called in the error message.
_REFUSED: dict[type[nodes.Node], str] = {
    nodes.Getattr: "attributes ('.')",
    nodes.Getitem: "item access ('[]')",
    nodes.Call: "calls",
    nodes.Add: "arithmetic ('+')",
    nodes.Sub: "arithmetic ('-')",
    nodes.Mul: "multiplication ('*')",
    nodes.Div: "division ('/')",
    nodes.FloorDiv: "division ('//')",
    nodes.Mod: "modulo ('%')",
    nodes.Pow: "powers ('**')",
    nodes.Neg: "arithmetic ('-')",
    nodes.Pos: "arithmetic ('+')",
    nodes.Dict: "dict literals",
}
_PLAIN = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.Concat,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Keyword,
)


def _refuse(label: str, source: str, what: str) -> ValidationError:
    return ValidationError.single(label, source, f"the template uses {what}, which is not allowed")


class _Checker:
    """Walks a parsed template and refuses what is not in the allowed part of Jinja2."""

    def __init__(self, label: str, source: str, known: Sequence[str]) -> None:
        self.label, self.source, self.known = label, source, frozenset(known)
        self.loops: list[nodes.For] = []

    def check(self, node: nodes.Node, names: frozenset[str], depth: int = 0) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in names:
                known = ", ".join(sorted(self.known))
                raise ValidationError.single(
                    self.label,
                    node.name,
                    f"the template names {node.name!r}, which is not a field; known: {known}",
                )
            return
        if isinstance(node, nodes.For):
            self._loop(node, names, depth)
            return
        if isinstance(node, nodes.Filter | nodes.Test):
            allowed = FILTERS if isinstance(node, nodes.Filter) else _TESTS
            if node.name not in allowed:
                kind = "filter" if isinstance(node, nodes.Filter) else "test"
                raise _refuse(self.label, self.source, f"the {kind} {node.name!r}")
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                raise _refuse(self.label, self.source, "'*' or '**' arguments")
        elif isinstance(node, nodes.List | nodes.Tuple):
            if not all(isinstance(item, nodes.Const) for item in node.items):
                raise _refuse(self.label, self.source, "lists of anything but literals")
        elif not isinstance(node, _PLAIN):
            what = _REFUSED.get(type(node), f"{type(node).__name__.lower()} blocks")
            raise _refuse(self.label, self.source, what)
        for child in node.iter_child_nodes():
            self.check(child, names, depth)

    def _loop(self, node: nodes.For, names: frozenset[str], depth: int) -> None:
        if depth > 0:
            raise _refuse(self.label, self.source, "a loop inside a loop")
        if node.recursive or node.test is not None:
            raise _refuse(self.label, self.source, "recursive or filtered loops")
        if not isinstance(node.target, nodes.Name):
            raise _refuse(self.label, self.source, "a loop over pairs")
        self.check(node.iter, names, depth)
        self.loops.append(node)
        inner = names | {node.target.name}
        for child in (*node.body, *node.else_):
            self.check(child, inner, depth + 1)


def _template(
    env: SandboxedEnvironment, label: str, source: str, known: Sequence[str]
) -> tuple[jinja2.Template, list[nodes.For]]:
    if not isinstance(source, str):
        raise ValidationError.single(label, source, "must be template text")
    try:
        parsed = env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError.single(
            label, source, f"is not a valid template (line {exc.lineno}): {exc.message}"
        ) from exc
    checker = _Checker(label, source, known)
    checker.check(parsed, frozenset(known))
    return env.from_string(source), checker.loops


def _loop_iterations(loops: Sequence[nodes.For], fields: Mapping[str, object]) -> int:
    total = 0
    for loop in loops:
        over = loop.iter
        if isinstance(over, nodes.Name):
            value = fields.get(over.name, ())
            total += len(value) if hasattr(value, "__len__") else 0
        elif isinstance(over, nodes.List | nodes.Tuple):
            total += len(over.items)
        elif isinstance(over, nodes.Const) and hasattr(over.value, "__len__"):
            total += len(over.value)
    return total


def render_template(
    source: str,
    fields: Mapping[str, object],
    *,
    label: str = "content",
    html: bool = False,
) -> str:
    """Render the Jinja2 template ``source`` with ``fields`` in a sandbox.

    Args:
        source: The template text.
        fields: The values it may name (every name it uses must be a key).
        label: The template's name in errors (e.g. ``"content"``).
        html: Escape the values for HTML (letters); otherwise plain text (SMS, e-mail).

    Raises:
        ValidationError: Naming ``label``: the template does not parse, names a field that
            ``fields`` lacks, uses a part of Jinja2 that is not allowed, would loop more than
            :data:`MAX_LOOP_ITERATIONS` times or write more than :data:`MAX_OUTPUT_CHARS`
            characters, or fails while rendering.
    """
    env = _HTML_ENV if html else _TEXT_ENV
    template, loops = _template(env, label, source, tuple(fields))
    if _loop_iterations(loops, fields) > MAX_LOOP_ITERATIONS:
        raise ValidationError.single(
            label, source, f"the template would loop more than {MAX_LOOP_ITERATIONS} times"
        )
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(**fields):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise ValidationError.single(
                    label, source, f"the template's output exceeds {MAX_OUTPUT_CHARS} characters"
                )
            out.append(chunk)
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        if isinstance(exc, ValidationError):
            raise
        # Templates are data maintained by staff: any failure inside one is bad input.
        raise ValidationError.single(label, source, f"the template failed: {exc}") from exc
    return "".join(out)


def check_template(source: str, label: str, known: Sequence[str]) -> None:
    """Check that ``source`` parses, names only ``known`` fields and uses only allowed Jinja2.

    What is allowed is listed in the module's description.

    Raises:
        ValidationError: Naming ``label``: the template does not parse, names a field that
            ``known`` lacks (a global such as ``range`` or ``joiner`` included), or uses what
            is not allowed (attributes, calls, arithmetic, a filter not in :data:`FILTERS`...).
    """
    _template(_TEXT_ENV, label, source, known)


def template_fields(plan: CarePlan, customer: CustomerContact) -> dict[str, object]:
    """Return the values of :data:`TEMPLATE_FIELDS` for ``customer`` under ``plan``."""
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "category": customer.category,
        "email": customer.email or "",
        "phone": customer.phone or "",
        "postal_address": customer.postal_address or "",
        "plan_id": plan.id,
    }
