"""Care letters: printable HTML letters and envelopes, laid out by a :class:`LetterLayout`.

Executing a letter plan renders, for each customer, the plan's content into the letter page and
an envelope (each a complete HTML page with print CSS) and hands them to the host's printing.
"""

from __future__ import annotations

import attrs
from markupsafe import Markup

from servicecore.model import _validate as v
from servicecore.model.care import CarePlan
from servicecore.ports import CustomerContact
from servicecore.services.templates import (
    TEMPLATE_FIELDS,
    check_template,
    render_template,
    template_fields,
)

__all__ = [
    "DEFAULT_ENVELOPE_TEMPLATE",
    "DEFAULT_LETTER_TEMPLATE",
    "CareLetter",
    "LetterLayout",
    "render_letter",
]

_LAYOUT_FIELDS = (*TEMPLATE_FIELDS, "body", "sender_name", "sender_address", "date", "paper")

DEFAULT_LETTER_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ name }}</title>
<style>
@page { size: {{ paper }}; margin: 25mm 20mm; }
body { font-family: serif; font-size: 11pt; line-height: 1.4; }
.sender { font-size: 9pt; }
.recipient { margin: 15mm 0 10mm; white-space: pre-line; }
.date { text-align: right; }
.body { white-space: pre-line; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<div class="sender">{{ sender_name }}<br>{{ sender_address }}</div>
<div class="recipient">{{ name }}
{{ postal_address }}</div>
<p class="date">{{ date }}</p>
<div class="body">{{ body }}</div>
</body>
</html>
"""
"""The default letter: sender, recipient block, date and the rendered content, on ``paper``."""

DEFAULT_ENVELOPE_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ name }}</title>
<style>
@page { size: 220mm 110mm; margin: 0; }
body { font-family: sans-serif; font-size: 11pt; margin: 0; }
.sender { position: absolute; top: 10mm; left: 10mm; font-size: 8pt; white-space: pre-line; }
.recipient { position: absolute; top: 50mm; left: 110mm; white-space: pre-line; }
</style>
</head>
<body>
<div class="sender">{{ sender_name }}
{{ sender_address }}</div>
<div class="recipient">{{ name }}
{{ postal_address }}</div>
</body>
</html>
"""
"""The default DL envelope (220 x 110 mm): return address top left, recipient window right."""


@attrs.frozen(kw_only=True)
class LetterLayout:
    """How letters are laid out and who sends them.

    Both templates are Jinja2 HTML templates that may name the customer's fields
    (:data:`~servicecore.services.templates.TEMPLATE_FIELDS`) and ``body`` (the rendered
    content), ``sender_name``, ``sender_address``, ``date`` (ISO date of execution) and
    ``paper`` (a CSS page size).

    Attributes:
        sender_name: The sender printed on the letter and the envelope.
        sender_address: The return address.
        paper: CSS ``@page`` size of the letter, e.g. ``"A4"`` or ``"letter"``.
        letter_template: The letter page.
        envelope_template: The envelope.

    Raises:
        ValidationError: A bad field, or a template that does not parse or names an unknown
            field.
    """

    sender_name: str = attrs.field(default="", validator=v.text(200, allow_empty=True))
    sender_address: str = attrs.field(default="", validator=v.text(500, allow_empty=True))
    paper: str = attrs.field(default="A4", validator=v.text(40))
    letter_template: str = attrs.field(default=DEFAULT_LETTER_TEMPLATE, validator=v.text(50_000))
    envelope_template: str = attrs.field(
        default=DEFAULT_ENVELOPE_TEMPLATE, validator=v.text(50_000)
    )

    def __attrs_post_init__(self) -> None:
        check_template(self.letter_template, "letter_template", _LAYOUT_FIELDS)
        check_template(self.envelope_template, "envelope_template", _LAYOUT_FIELDS)


@attrs.frozen
class CareLetter:
    """A letter ready to print.

    Attributes:
        customer_id: To whom.
        letter_html: The letter, a complete HTML page with print CSS.
        envelope_html: Its envelope, a complete HTML page with print CSS.
    """

    customer_id: str
    letter_html: str
    envelope_html: str


def render_letter(
    plan: CarePlan, customer: CustomerContact, layout: LetterLayout, today: str
) -> CareLetter:
    """Render ``plan``'s letter and envelope for ``customer``, dated ``today`` (an ISO date).

    Raises:
        ValidationError: The plan's content or a layout template fails for the customer,
            naming the template.
    """
    fields = template_fields(plan, customer)
    # The content was escaped as it was rendered; Markup keeps the page from escaping it again.
    body = Markup(render_template(plan.content, fields, html=True))
    page = {
        **fields,
        "body": body,
        "sender_name": layout.sender_name,
        "sender_address": layout.sender_address,
        "date": today,
        "paper": layout.paper,
    }
    return CareLetter(
        customer_id=customer.customer_id,
        letter_html=render_template(
            layout.letter_template, page, label="letter_template", html=True
        ),
        envelope_html=render_template(
            layout.envelope_template, page, label="envelope_template", html=True
        ),
    )
