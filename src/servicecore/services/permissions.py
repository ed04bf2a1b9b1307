"""Who may do what: the default policy, which hosts can replace.

Every command asks the policy before it changes anything: ``policy.check(actor, command, subject)``
raises :class:`~servicecore.errors.PermissionDenied` naming the actor, the command and the roles
that may run it. The default is a table of roles per command plus ownership the roles cannot
express: a technician acts only on their own assignments, a customer only on their own bookings,
requests and surveys. :data:`Role.ADMIN` may do everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from servicecore.errors import PermissionDenied
from servicecore.model.actor import Actor, Role
from servicecore.model.booking import Booking
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.request import ServiceRequest
from servicecore.model.technician import Technician

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_RULES",
    "DESCRIPTIONS",
    "Policy",
    "RequestScope",
    "RolePolicy",
]

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
    "record_refund": frozenset({FIN, SUP}),
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
    "regrade_request": frozenset({CS, SUP}),
    # dispatch (seed 004)
    "assign": frozenset({SUP, CS}),
    "accept_dispatch": frozenset({TECH}),
    "reject_dispatch": frozenset({TECH}),
    "start_dispatch": frozenset({TECH}),
    "complete_dispatch": frozenset({TECH}),
    "revoke_dispatch": frozenset({SUP}),
    "adjust_dispatch": frozenset({SUP, CS}),
    # processing and evidence
    "record_processing": frozenset({TECH, SUP}),
    "complete_processing": frozenset({TECH, SUP}),
    "correct_processing": frozenset({TECH, SUP}),
    "return_loaner": frozenset({TECH, SUP, CS}),
    "add_evidence": frozenset({TECH, SUP, CS}),
    # after the work
    "record_survey": frozenset({CS, CUST, SYS}),
    "publish_knowledge": frozenset({TECH, SUP, CS}),
    "edit_knowledge": frozenset({TECH, SUP, CS}),
    "review_knowledge": frozenset({SUP}),
    "retire_knowledge": frozenset({SUP}),
    "send_alerts": frozenset({SYS, SUP}),
    "deliver_outbox": frozenset({SYS, SUP}),
    "view_outbox": frozenset({SYS, SUP}),
    "retry_outbox": frozenset({SYS, SUP}),
    # commercial (issue 6 reuses the same policy)
    "quote": frozenset({CS, SALES, SUP}),
    "expire_quotes": frozenset({SYS, SUP}),
    "manage_installed_base": frozenset({CS, SUP, SALES, SYS}),
    "manage_contracts": frozenset({CS, SALES, SUP}),
    "manage_claims": frozenset({WH, SUP, FIN}),
    "manage_documents": frozenset({CS, SUP}),
    "expire_contracts": frozenset({SYS, SUP}),
    "generate_maintenance": frozenset({SYS, SUP}),
    "plan_parts": frozenset({WH, SUP}),
    "requisition_parts": frozenset({TECH, WH, SUP}),
    "care": frozenset({SALES, CS, SUP}),
    # reads
    "view_availability": frozenset({CS, CUST, SUP, TECH}),
    "view_sla": frozenset({CS, SUP, TECH, FIN, SYS}),
    "view_service_log": frozenset({CS, SUP, TECH}),
    "manage_absences": frozenset({SUP}),
    "view_agenda": frozenset({CS, SUP, TECH}),
    "suggest_solutions": frozenset({TECH, SUP, CS}),
    "view_installed_base": frozenset({CS, SUP, SALES, TECH, SYS}),
    "view_contracts": frozenset({CS, SUP, SALES, FIN}),
    "view_quotes": frozenset({CS, SALES, SUP, FIN}),
}
"""The default roles per command."""

DESCRIPTIONS: Mapping[str, str] = {
    "book": "Book a slot for a customer (a customer books only for themselves).",
    "confirm_booking": "Confirm a requested booking and send the confirmation.",
    "reschedule_booking": "Move a booking under its change policy.",
    "cancel_booking": "Cancel a booking (a fee applies after the cut-off).",
    "record_payment": "Record a booking's payment.",
    "record_refund": "Record money given back on a paid booking.",
    "check_in": "Check a customer in with their token (a technician: at their own booking).",
    "mark_no_show": "Mark a booking whose customer did not come.",
    "complete_booking": "Complete a checked-in booking.",
    "open_request": "Open a service request, directly or from a booking.",
    "hold_request": "Put a request on hold (its SLA clock stops).",
    "resume_request": "Resume a request on hold.",
    "close_request": "Close a resolved request, or answer and close a consult.",
    "cancel_request": "Cancel a request.",
    "reopen_request": "Reopen a closed request.",
    "regrade_request": "Correct a live request's priority, service type or skills.",
    "assign": "Dispatch a technician to a request, by hand, by account or by planning a day.",
    "accept_dispatch": "Take a dispatch order (the assigned technician only).",
    "reject_dispatch": "Decline a dispatch order (the assigned technician only).",
    "start_dispatch": "Start the work of a dispatch order (the assigned technician only).",
    "complete_dispatch": "Finish the work of a dispatch order (the assigned technician only).",
    "revoke_dispatch": "Withdraw a dispatch order before work starts.",
    "adjust_dispatch": "Reassign or move a dispatch order before work starts.",
    "record_processing": "Record hours, parts, returns, income, costs or the solution.",
    "complete_processing": "Complete a processing order.",
    "correct_processing": "Reopen a completed processing order for a correction, or cancel an "
    "open one when nothing was done.",
    "return_loaner": "Record that a lent item came back from the customer.",
    "add_evidence": "Store a photo, signature or document for a request.",
    "record_survey": "Record the customer's satisfaction with a closed request.",
    "publish_knowledge": "Turn a closed request into a knowledge article.",
    "edit_knowledge": "Edit a knowledge article, or send a draft for review.",
    "review_knowledge": "Approve a knowledge article in review, or send it back.",
    "retire_knowledge": "Retire an outdated knowledge article.",
    "send_alerts": "Run the alerts job (warnings ahead of time, overdue, expiries).",
    "deliver_outbox": "Run the outbox delivery job (hand pending events to the host).",
    "view_outbox": "List the events parked after their last failed delivery, with their errors.",
    "retry_outbox": "Make parked events due again (after the cause of the failures is fixed).",
    "quote": "Draft, edit, issue, change, accept, reject or void quotes.",
    "expire_quotes": "Run the quote expiry job.",
    "manage_installed_base": "Register and invalidate product archives.",
    "manage_contracts": "Create, activate, extend and terminate service contracts.",
    "manage_claims": "Claim faulty returned parts from suppliers under their warranty.",
    "manage_documents": "Attach or withdraw technical documents of products and units.",
    "expire_contracts": "Run the contract expiry job.",
    "generate_maintenance": "Run the preventive-maintenance generation job.",
    "plan_parts": "Plan spare parts, push plans down as transfers, read parts demand.",
    "requisition_parts": "Requisition, issue, return and cancel parts for a request.",
    "care": "Plan, activate, execute, close and cost customer-care plans.",
    "view_availability": "Read the free booking slots of a day.",
    "view_sla": "Read how a request stands against its SLA, with penalties.",
    "view_service_log": "Read a request's service log (a technician: of their requests).",
    "manage_absences": "Record and cancel technicians' absences (leave, sick days, holidays).",
    "view_agenda": "Read a technician's agenda (a technician: their own).",
    "suggest_solutions": "Read knowledge articles that may solve a request.",
    "view_installed_base": "Read product archives and their warranty and contract coverage.",
    "view_contracts": "Read a customer's service contracts.",
    "view_quotes": "Read quote versions, price history and what to know before quoting.",
}
"""One line per command name of :data:`DEFAULT_RULES`: what the permission lets an actor do."""


class RequestScope:
    """What the policy sees of a request: the request and the technicians working on it.

    Commands on a request hand the policy this instead of the bare request, so that a policy can
    tell a technician's own work from another's without reading storage itself. The technicians
    are those with a dispatch order for the request that was not rejected or revoked; they are
    read only when a policy asks for them.

    Args:
        request: The request acted on.
        technicians: Returns the technicians' ids (called at most once).
    """

    __slots__ = ("_found", "_technicians", "request")

    def __init__(self, request: ServiceRequest, technicians: Callable[[], frozenset[str]]) -> None:
        self.request = request
        self._technicians = technicians
        self._found: frozenset[str] | None = None

    @property
    def technician_ids(self) -> frozenset[str]:
        """The technicians with a dispatch order for the request (not rejected or revoked)."""
        if self._found is None:
            self._found = self._technicians()
        return self._found

    def __repr__(self) -> str:
        return f"RequestScope({self.request.id})"


class Policy(Protocol):
    """Decides whether an actor may run a command on a subject.

    Every command asks twice: first with no subject, before it reads or writes anything ("may
    this actor run this command at all?"), then with the record it acts on (ownership). Requests
    are handed over as a :class:`RequestScope`. Refuse by raising; returning allows.
    """

    def check(self, actor: Actor, command: str, subject: object | None = None) -> None:
        """Return if allowed.

        Raises:
            PermissionDenied: The actor may not run ``command`` (on ``subject``).
        """
        ...


class RolePolicy:
    """Roles per command, plus ownership.

    Ownership applies when the only role that lets the actor run a command is technician or
    customer (a supervisor, customer-service agent or admin acts on any record):

    - a technician acts only on dispatch orders assigned to them (and the processing orders of
      those, which the commands hand over as their dispatch order), on requests they hold a
      dispatch order for (:class:`RequestScope`), on bookings that name them, and on their
      own technician record (their agenda);
    - a customer acts only on their own bookings and requests (surveys included).

    A record of a kind the rule cannot judge is refused (fail closed).

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
        self._check_relation(actor, command, subject, set(actor.roles & allowed))

    @staticmethod
    def _check_relation(actor: Actor, command: str, subject: object, granting: set[Role]) -> None:
        if subject is None or granting - {TECH, CUST}:
            return  # the role check alone (no record yet), or a role that acts on any record
        owners = _owners(subject, technicians=TECH in granting)
        if owners is None:
            raise PermissionDenied(
                f"{actor.id} may not {command} on {type(subject).__name__}: ownership unknown"
            )
        technicians, customers = owners
        mine = (
            TECH in granting
            and actor.technician_id is not None
            and actor.technician_id in technicians
        ) or (CUST in granting and actor.id in customers)
        if not mine:
            raise PermissionDenied(
                f"{actor.id} may not {command}: {_whose(subject, technicians, customers)}"
            )


def _owners(subject: object, *, technicians: bool) -> tuple[frozenset[str], frozenset[str]] | None:
    """Who owns ``subject``: (technicians, customers); ``None`` for a record not judged here."""
    if isinstance(subject, DispatchOrder):
        return frozenset({subject.technician_id}), frozenset()
    if isinstance(subject, Booking):
        named = frozenset({subject.technician_id}) if subject.technician_id else frozenset()
        return named, frozenset({subject.customer.customer_id})
    if isinstance(subject, RequestScope):
        working = subject.technician_ids if technicians else frozenset()
        return working, frozenset({subject.request.customer_id})
    if isinstance(subject, Technician):
        return frozenset({subject.id}), frozenset()
    return None


def _whose(subject: object, technicians: frozenset[str], customers: frozenset[str]) -> str:
    if isinstance(subject, DispatchOrder):
        return f"dispatch {subject.id} is assigned to technician {subject.technician_id}"
    if isinstance(subject, Technician):
        return f"it is technician {subject.id}'s"
    name = (
        f"request {subject.request.id}"
        if isinstance(subject, RequestScope)
        else (f"booking {getattr(subject, 'id', '?')}")
    )
    found = [f"belongs to customer {', '.join(sorted(customers))}"]
    if technicians:
        found.append(f"is worked on by technician {', '.join(sorted(technicians))}")
    return f"{name} {' and '.join(found)}"


DEFAULT_POLICY = RolePolicy()
"""The policy commands use unless given another."""
