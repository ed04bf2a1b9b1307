"""Care templates: the Jinja2 content of care plans, checked and rendered in a sandbox.

A template may name the fields in :data:`TEMPLATE_FIELDS` only; naming another, or failing to
parse or to render, raises :class:`~servicecore.errors.ValidationError` naming the template.
Rendering uses ``StrictUndefined``, so a missing value is an error rather than an empty string;
in HTML (letters) the values are escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from servicecore.errors import ValidationError
from servicecore.model.care import CarePlan
from servicecore.ports import CustomerContact

__all__ = ["TEMPLATE_FIELDS", "check_template", "render_template", "template_fields"]

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

_TEXT_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
_HTML_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)


def _template(
    env: SandboxedEnvironment, label: str, source: str, known: Sequence[str]
) -> jinja2.Template:
    try:
        parsed = env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError.single(
            label, source, f"is not a valid template (line {exc.lineno}): {exc.message}"
        ) from exc
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(known))
    if unknown:
        raise ValidationError.single(
            label,
            unknown[0],
            f"the template names {unknown[0]!r}, which is not a field; known: {', '.join(known)}",
        )
    return env.from_string(source)


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
            ``fields`` lacks, or fails while rendering (an undefined attribute, an unsafe
            operation refused by the sandbox, a division by zero).
    """
    env = _HTML_ENV if html else _TEXT_ENV
    template = _template(env, label, source, tuple(fields))
    try:
        return str(template.render(**fields))
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        # Templates are data maintained by staff: any failure inside one is bad input.
        raise ValidationError.single(label, source, f"the template failed: {exc}") from exc


def check_template(source: str, label: str, known: Sequence[str]) -> None:
    """Check that ``source`` parses and names only the fields in ``known``.

    Raises:
        ValidationError: Naming ``label``: the template does not parse, or names a field that
            ``known`` lacks.
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
