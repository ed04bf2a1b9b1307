"""Where servicecore's tables live in a database: a table prefix, a PostgreSQL schema.

A host that keeps servicecore inside its own database chooses a prefix (``"sc_"``: the table
``requests`` becomes ``sc_requests``) and/or a schema (``"service"``), so that servicecore's
tables never meet the host's. Migrations are tracked in servicecore's own version table
(``<prefix>servicecore_version``, in the schema), never in the host's ``alembic_version``.
"""

from __future__ import annotations

import re

import attrs

from servicecore.errors import ValidationError

__all__ = ["LEGACY_VERSION_TABLE", "Naming", "current_naming"]

LEGACY_VERSION_TABLE = "alembic_version"
"""Where servicecore before table prefixes tracked its revision (moved out on upgrade)."""

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,19}")
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _check_prefix(_: object, __: object, value: str) -> None:
    if not isinstance(value, str) or (value and not _PREFIX.fullmatch(value)):
        raise ValidationError.single(
            "table_prefix", value, "must be lower-case letters, digits and _ (up to 20)"
        )


def _check_schema(_: object, __: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _SCHEMA.fullmatch(value)):
        raise ValidationError.single(
            "schema", value, "must be a lower-case identifier (letters, digits and _)"
        )


@attrs.frozen
class Naming:
    """The prefix and schema of servicecore's tables in one database.

    Attributes:
        prefix: Put before every table, index, constraint and trigger name (``""``: none).
        schema: The PostgreSQL schema holding them (``None``: the connection's search path).

    Raises:
        ValidationError: The prefix or schema is not a plain lower-case identifier (the field
            is named ``table_prefix`` or ``schema``).
    """

    prefix: str = attrs.field(default="", validator=_check_prefix)
    schema: str | None = attrs.field(default=None, validator=_check_schema)

    def name(self, base: str) -> str:
        """Return the name of servicecore's object ``base`` (``"requests"``) in this database."""
        return f"{self.prefix}{base}"

    def qualified(self, base: str) -> str:
        """Return ``base``'s name for raw SQL: prefixed, and quoted in its schema if any."""
        name = self.name(base)
        return name if self.schema is None else f'"{self.schema}"."{name}"'

    @property
    def version_table(self) -> str:
        """The table that tracks servicecore's schema revision."""
        return self.name("servicecore_version")

    @property
    def is_default(self) -> bool:
        """Whether this is the naming of databases made before prefixes (no prefix, no schema)."""
        return not self.prefix and self.schema is None


def current_naming() -> Naming:
    """Return the naming of the migration Alembic is running (for the migration scripts)."""
    from alembic import context

    found = context.config.attributes.get("naming")
    return found if isinstance(found, Naming) else Naming()
