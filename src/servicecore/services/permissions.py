"""Who may do what: the default policy, which hosts can replace.

Every command asks the policy before it changes anything: ``policy.check(actor, command, subject)``
raises :class:`~servicecore.errors.PermissionDenied` naming the actor, the command and the roles
that may run it. The default is a table of roles per command plus relations the roles cannot
express: a technician acts only on their own dispatch orders, a customer only on their own
bookings. :data:`Role.ADMIN` may do everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from servicecore.errors import PermissionDenied
from servicecore.model.actor import Actor, Role
from servicecore.model.booking import Booking
from servicecore.model.dispatch import DispatchOrder

__all__ = ["DEFAULT_POLICY", "DEFAULT_RULES", "Policy", "RolePolicy"]

CS, TECH, SUP, WH, FIN, CUST, SYS, SALES = (
    Role.CUSTOMER_SERVICE,
    Role.TECHNICIAN,
    Role.SUPERVISOR,
    Role.WAREHOUSE,
    Role.FINANCE,
    Role.CUSTOMER,
    Role.SYSTEM,
    Role.SALES,
)

DEFAULT_RULES: Mapping[str, frozenset[Role]] = {
    # bookings (seeds 000, 003)
    "book": frozenset({CS, CUST, SUP}),
    "confirm_booking": frozenset({CS, SUP, SYS}),
    "reschedule_booking": frozenset({CS, CUST, SUP}),
    "cancel_booking": frozenset({CS, CUST, SUP}),
    "record_payment": frozenset({CS, FIN, SYS}),
    "check_in": frozenset({CS, TECH, SUP}),
    "mark_no_show": frozenset({CS, SUP, SYS}),
    "complete_booking": frozenset({CS, TECH, SUP}),
    # requests (seeds 001, 004)
    "open_request": frozenset({CS, SUP, SYS}),
    "hold_request": frozenset({CS, TECH, SUP}),
    "resume_request": frozenset({CS, TECH, SUP}),
    "close_request": frozenset({CS, TECH, SUP}),
    "cancel_request": frozenset({CS, SUP}),
    "reopen_request": frozenset({CS, SUP}),
    # dispatch (seed 004)
    "assign": frozenset({SUP, CS}),
    "accept_dispatch": frozenset({TECH}),
    "reject_dispatch": frozenset({TECH}),
    "start_dispatch": frozenset({TECH}),
    "complete_dispatch": frozenset({TECH}),
    "revoke_dispatch": frozenset({SUP}),
    # processing and evidence
    "record_processing": frozenset({TECH, SUP}),
    "complete_processing": frozenset({TECH, SUP}),
    "add_evidence": frozenset({TECH, SUP, CS}),
    # after the work
    "record_survey": frozenset({CS, CUST, SYS}),
    "publish_knowledge": frozenset({TECH, SUP, CS}),
    "send_alerts": frozenset({SYS, SUP}),
    "deliver_outbox": frozenset({SYS, SUP}),
    # commercial (issue 6 reuses the same policy)
    "quote": frozenset({CS, SALES, SUP}),
    "expire_quotes": frozenset({SYS, SUP}),
    "manage_installed_base": frozenset({CS, SUP, SALES, SYS}),
    "manage_contracts": frozenset({CS, SALES, SUP}),
    "expire_contracts": frozenset({SYS, SUP}),
    "generate_maintenance": frozenset({SYS, SUP}),
    "plan_parts": frozenset({WH, SUP}),
    "requisition_parts": frozenset({TECH, WH, SUP}),
    "care": frozenset({SALES, CS, SUP}),
    # reads
    "view_availability": frozenset({CS, CUST, SUP, TECH}),
    "view_sla": frozenset({CS, SUP, TECH, FIN, SYS}),
    "suggest_solutions": frozenset({TECH, SUP, CS}),
    "view_installed_base": frozenset({CS, SUP, SALES, TECH, SYS}),
    "view_contracts": frozenset({CS, SUP, SALES, FIN}),
    "view_quotes": frozenset({CS, SALES, SUP, FIN}),
}
"""The default roles per command."""

_OWN_DISPATCH = {"accept_dispatch", "reject_dispatch", "start_dispatch", "complete_dispatch"}
_OWN_BOOKING = {"book", "reschedule_booking", "cancel_booking"}


class Policy(Protocol):
    """Decides whether an actor may run a command on a subject."""

    def check(self, actor: Actor, command: str, subject: object | None = None) -> None:
        """Return if allowed.

        Raises:
            PermissionDenied: The actor may not run ``command`` (on ``subject``).
        """
        ...


class RolePolicy:
    """Roles per command, plus ownership.

    Technicians act on their own dispatch orders only, customers on their own bookings only.

    Args:
        rules: Roles per command name (default :data:`DEFAULT_RULES`); a command not listed is
            refused to everyone but admins.
    """

    def __init__(self, rules: Mapping[str, frozenset[Role]] | None = None) -> None:
        self.rules = dict(DEFAULT_RULES if rules is None else rules)

    def check(self, actor: Actor, command: str, subject: object | None = None) -> None:
        """Return if ``actor`` may run ``command`` on ``subject``.

        Raises:
            PermissionDenied: Naming the actor, the command and who may run it.
        """
        if Role.ADMIN in actor.roles:
            return
        allowed = self.rules.get(command, frozenset())
        if not actor.roles & allowed:
            who = ", ".join(sorted(r.value for r in allowed)) or "administrators only"
            raise PermissionDenied(
                f"{actor.id} ({', '.join(sorted(r.value for r in actor.roles)) or 'no roles'}) "
                f"may not {command}; allowed: {who}"
            )
        self._check_relation(actor, command, subject)

    @staticmethod
    def _check_relation(actor: Actor, command: str, subject: Any) -> None:
        if (
            command in _OWN_DISPATCH
            and isinstance(subject, DispatchOrder)
            and actor.technician_id != subject.technician_id
        ):
            raise PermissionDenied(
                f"{actor.id} may not {command}: dispatch {subject.id} is assigned to "
                f"technician {subject.technician_id}"
            )
        if command in _OWN_BOOKING and isinstance(subject, Booking):
            staff = actor.roles & {CS, SUP}
            if not staff and actor.id != subject.customer.customer_id:
                raise PermissionDenied(
                    f"{actor.id} may not {command}: booking {subject.id} belongs to customer "
                    f"{subject.customer.customer_id}"
                )


DEFAULT_POLICY = RolePolicy()
"""The policy commands use unless given another."""
