"""``ServiceDesk``: the ports wired once, every command one call away.

Underneath, every command is a plain function of (unit of work, actor, clock, arguments) that
hosts and tests can call directly. The desk opens a unit of work for its tenant, runs the command
and commits; if the command raises, nothing is written.

Example::

    desk = ServiceDesk(SQLAlchemyStorage("service.db"), tenant="acme")
    booking = desk.book(agent, customer=..., service_type=ServiceType.REPAIR, ...)
    request = desk.open_request(agent, from_booking=booking.id, symptoms="...")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from servicecore.basics import SystemClock
from servicecore.errors import ValidationError
from servicecore.knowledge import Suggestion
from servicecore.model.actor import Actor
from servicecore.model.booking import Booking
from servicecore.model.closure import ClosurePolicy
from servicecore.model.common import TimeRange
from servicecore.model.dispatch import DispatchOrder
from servicecore.model.enums import EvidenceKind
from servicecore.model.evidence import Evidence
from servicecore.model.knowledge import KnowledgeArticle
from servicecore.model.processing import ProcessingOrder
from servicecore.model.request import ServiceRequest
from servicecore.model.sla import SlaOutcome, SlaPolicy
from servicecore.model.survey import SurveyResult
from servicecore.ports import (
    Clock,
    EvidenceStore,
    IdGenerator,
    NotificationChannel,
    Storage,
    UnitOfWork,
)
from servicecore.scheduling import Result
from servicecore.services import alerts, bookings, dispatch, planning, requests, work
from servicecore.services.common import DEFAULT_IDS
from servicecore.services.permissions import DEFAULT_POLICY, Policy
from servicecore.services.tokens import TokenSigner

__all__ = ["ServiceDesk"]

P = ParamSpec("P")
T = TypeVar("T")


class ServiceDesk:
    """The service engine for one tenant, with its ports wired.

    Args:
        storage: Where records live.
        tenant: The company this desk serves.
        clock: Where "now" comes from (the system clock by default).
        ids: Ids for new records.
        policy: Who may do what.
        signer: Signs check-in tokens (none: confirmations carry no token).
        evidence_store: Where photos and documents go.
        closure_policy: What a request needs before it may close (seed 001: photos).
        default_sla: SLA for requests without a contract.
        currency: The currency of new processing orders.
    """

    def __init__(
        self,
        storage: Storage,
        tenant: str,
        *,
        clock: Clock | None = None,
        ids: IdGenerator = DEFAULT_IDS,
        policy: Policy = DEFAULT_POLICY,
        signer: TokenSigner | None = None,
        evidence_store: EvidenceStore | None = None,
        closure_policy: ClosurePolicy | None = None,
        default_sla: SlaPolicy | None = None,
        currency: str = "EUR",
    ) -> None:
        self.storage = storage
        self.tenant = tenant
        self.clock: Clock = clock or SystemClock()
        self.ids = ids
        self.policy = policy
        self.signer = signer
        self.evidence_store = evidence_store
        self.closure_policy = closure_policy or ClosurePolicy()
        self.default_sla = default_sla
        self.currency = currency

    def run(
        self,
        command: Callable[Concatenate[UnitOfWork, Actor, Clock, P], T],
        actor: Actor,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run any command in its own unit of work and commit; nothing is written if it raises.

        Raises:
            Whatever the command raises, and what the commit raises (``ConcurrencyError``,
            ``DoubleBooking``...).
        """
        with self.storage.unit_of_work(self.tenant) as uow:
            result = command(uow, actor, self.clock, *args, **kwargs)
            uow.commit()
        return result

    def _std(self) -> dict[str, Any]:
        return {"policy": self.policy, "ids": self.ids}

    # -- bookings --------------------------------------------------------------------------

    def book(self, actor: Actor, **fields: Any) -> Booking:
        """Book a slot (see :func:`servicecore.services.bookings.book`)."""
        return self.run(bookings.book, actor, **fields, **self._std())

    def confirm_booking(self, actor: Actor, booking_id: str) -> Booking:
        """Confirm a booking and send the confirmation with its check-in token."""
        return self.run(
            bookings.confirm_booking, actor, booking_id, signer=self.signer, **self._std()
        )

    def reschedule_booking(self, actor: Actor, booking_id: str, new_slot: TimeRange) -> Booking:
        """Move a booking under its change policy."""
        return self.run(
            bookings.reschedule_booking,
            actor,
            booking_id,
            new_slot,
            signer=self.signer,
            **self._std(),
        )

    def cancel_booking(self, actor: Actor, booking_id: str, reason: str) -> Booking:
        """Cancel a booking (a fee applies after the cut-off)."""
        return self.run(bookings.cancel_booking, actor, booking_id, reason, **self._std())

    def record_payment(self, actor: Actor, booking_id: str, payment_reference: str) -> Booking:
        """Record a booking's payment with its reference."""
        return self.run(
            bookings.record_payment, actor, booking_id, payment_reference, **self._std()
        )

    def check_in(self, actor: Actor, token: str) -> Booking:
        """Check a customer in with their token or QR payload.

        Raises:
            ValidationError: The desk has no token signer.
        """
        if self.signer is None:
            raise ValidationError.single("signer", None, "this desk issues no check-in tokens")
        return self.run(bookings.check_in, actor, token, self.signer, **self._std())

    # -- requests and dispatch ---------------------------------------------------------------

    def open_request(self, actor: Actor, **fields: Any) -> ServiceRequest:
        """Open a request, from a booking or directly, with its SLA due times."""
        return self.run(
            requests.open_request, actor, default_sla=self.default_sla, **fields, **self._std()
        )

    def close_consult(self, actor: Actor, request_id: str, answer: str) -> ServiceRequest:
        """Answer and close a consult request."""
        return self.run(requests.close_consult, actor, request_id, answer, **self._std())

    def assign(
        self, actor: Actor, request_id: str, technician_id: str, planned: TimeRange
    ) -> DispatchOrder:
        """Dispatch a technician to a request."""
        return self.run(dispatch.assign, actor, request_id, technician_id, planned, **self._std())

    def plan_day(
        self, actor: Actor, day: date, timezone: str, *, time_limit: float = 10.0, seed: int = 0
    ) -> tuple[Result, list[DispatchOrder]]:
        """Plan a day with the scheduler and dispatch the plan."""
        return self.run(
            planning.plan_day,
            actor,
            day,
            timezone,
            time_limit=time_limit,
            seed=seed,
            **self._std(),
        )

    def accept_dispatch(self, actor: Actor, dispatch_id: str) -> DispatchOrder:
        """The assigned technician takes the job."""
        return self.run(dispatch.accept_dispatch, actor, dispatch_id, **self._std())

    def reject_dispatch(self, actor: Actor, dispatch_id: str, reason: str) -> DispatchOrder:
        """The assigned technician declines."""
        return self.run(dispatch.reject_dispatch, actor, dispatch_id, reason, **self._std())

    def revoke_dispatch(self, actor: Actor, dispatch_id: str, reason: str) -> DispatchOrder:
        """A supervisor withdraws a dispatch order."""
        return self.run(dispatch.revoke_dispatch, actor, dispatch_id, reason, **self._std())

    def start_dispatch(self, actor: Actor, dispatch_id: str) -> ProcessingOrder:
        """Work starts; returns the new processing order."""
        return self.run(
            dispatch.start_dispatch, actor, dispatch_id, currency=self.currency, **self._std()
        )

    def complete_dispatch(self, actor: Actor, dispatch_id: str) -> DispatchOrder:
        """Work is done (its processing order must be completed)."""
        return self.run(dispatch.complete_dispatch, actor, dispatch_id, **self._std())

    # -- work and closure ----------------------------------------------------------------------

    def record_processing(
        self, actor: Actor, processing_id: str, changes: Mapping[str, Any]
    ) -> ProcessingOrder:
        """Record hours, parts, returns, loaners, income, costs or the solution."""
        return self.run(work.record_processing, actor, processing_id, changes, **self._std())

    def complete_processing(self, actor: Actor, processing_id: str) -> ProcessingOrder:
        """Complete a processing order."""
        return self.run(work.complete_processing, actor, processing_id, **self._std())

    def add_evidence(
        self, actor: Actor, request_id: str, kind: EvidenceKind, name: str, content: bytes
    ) -> Evidence:
        """Store a photo or document and record its hash.

        Raises:
            ValidationError: The desk has no evidence store.
        """
        if self.evidence_store is None:
            raise ValidationError.single("evidence_store", None, "this desk stores no evidence")
        return self.run(
            work.add_evidence,
            actor,
            request_id,
            kind,
            name,
            content,
            self.evidence_store,
            **self._std(),
        )

    def close_request(self, actor: Actor, request_id: str, summary: str) -> ServiceRequest:
        """Close a resolved request under the desk's closure policy."""
        return self.run(
            work.close_request, actor, request_id, summary, self.closure_policy, **self._std()
        )

    def record_survey(
        self, actor: Actor, request_id: str, score: int, comment: str = ""
    ) -> SurveyResult:
        """Record the customer's satisfaction with a closed request."""
        return self.run(
            work.record_survey,
            actor,
            request_id,
            score,
            comment,
            default_sla=self.default_sla,
            **self._std(),
        )

    def publish_knowledge(self, actor: Actor, request_id: str) -> KnowledgeArticle:
        """Turn a closed request into a knowledge article."""
        return self.run(work.publish_knowledge, actor, request_id, **self._std())

    # -- reading and jobs ------------------------------------------------------------------------

    def suggest_solutions(self, request_id: str, *, limit: int = 5) -> list[Suggestion]:
        """Knowledge articles that may solve a request, best first."""
        with self.storage.unit_of_work(self.tenant) as uow:
            return work.suggest_solutions(uow, request_id, limit=limit)

    def sla_report(self, request_id: str, now: datetime | None = None) -> SlaOutcome | None:
        """How a request stands against its SLA (now by default), with the penalties."""
        with self.storage.unit_of_work(self.tenant) as uow:
            return requests.sla_report(
                uow, request_id, now or self.clock.now(), default_sla=self.default_sla
            )

    def run_alerts(
        self,
        recipients: Sequence[tuple[NotificationChannel, str]],
        *,
        settings: alerts.AlertSettings | None = None,
    ) -> alerts.AlertRun:
        """Raise the due alerts not raised before (see :mod:`servicecore.services.alerts`)."""
        return alerts.run_alerts(
            self.storage,
            self.tenant,
            self.clock,
            recipients,
            settings=settings,
            policy=self.policy,
        )
