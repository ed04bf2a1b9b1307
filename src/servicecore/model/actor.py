"""Who does things: an :class:`Actor` with :class:`Role` s, named in every audit entry."""

from __future__ import annotations

import enum

import attrs

from servicecore.model import _validate as v
from servicecore.model.common import TechnicianId

__all__ = ["SYSTEM", "Actor", "Role"]


class Role(enum.Enum):
    """What an actor may be responsible for; commands check roles (and relations) before acting."""

    CUSTOMER = "customer"
    CUSTOMER_SERVICE = "customer_service"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    SALES = "sales"
    ADMIN = "admin"
    SYSTEM = "system"


def _roles(value: object) -> frozenset[Role]:
    if isinstance(value, Role):
        return frozenset({value})
    if isinstance(value, set | frozenset | list | tuple):
        return frozenset(value)
    return value  # type: ignore[return-value]  # the validator reports the bad value


def _check_roles(_: object, attribute: attrs.Attribute[frozenset[Role]], value: object) -> None:
    if not isinstance(value, frozenset) or not all(isinstance(r, Role) for r in value):
        raise v.fail(attribute, value, "must be a set of Role members")


@attrs.frozen
class Actor:
    """A person or system acting on servicecore records.

    Attributes:
        id: The host's id for the actor (user id, service account).
        roles: What the actor may do.
        technician_id: Set when the actor is a field technician, to match against dispatch orders.
        name: Display name, for logs and notifications.

    Raises:
        ValidationError: ``id`` is not an id, or ``roles`` holds something that is not a Role.
    """

    id: str = attrs.field(validator=v.identifier)
    roles: frozenset[Role] = attrs.field(
        converter=_roles, validator=_check_roles, factory=frozenset
    )
    technician_id: TechnicianId | None = attrs.field(
        default=None, validator=v.optional(v.identifier)
    )
    name: str = attrs.field(default="", validator=v.text(200, allow_empty=True))

    def has(self, *roles: Role) -> bool:
        """Whether the actor holds any of ``roles`` (``ADMIN`` holds them all)."""
        return Role.ADMIN in self.roles or any(r in self.roles for r in roles)


SYSTEM = Actor(id="system", roles=frozenset({Role.SYSTEM}), name="servicecore")
"""The actor for clock-driven changes (expiry, no-shows, alerts)."""
