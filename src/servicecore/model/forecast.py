"""Spare-parts forecasting: expected quantities of parts from history and expected visits.

Pure arithmetic over the model, with no storage and no clock: the services gather the history
and the archives, and these functions turn them into exact expectations
(:class:`~fractions.Fraction`), rounded up to whole parts only at the end.

* :class:`PartsHistory` counts completed requests and the parts they used, keyed by product and
  service type, and gives the average parts per request.
* :class:`PartsForecast` collects expectations per part and date (failures of the installed
  base, :func:`expect_failures`; maintenance visits, :func:`expect_visit`) and rounds each
  part's cumulative expectation up once (:meth:`PartsForecast.whole_parts`).
* :class:`DemandTally` adds up what open work expects, less what is already held.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TypeAlias

import attrs

from servicecore.model.archive import ArchiveStatus, ProductArchive
from servicecore.model.enums import ServiceType

__all__ = [
    "FAILURE_TYPES",
    "DemandTally",
    "HistoryKey",
    "PartsForecast",
    "PartsHistory",
    "days_installed",
    "expect_failures",
    "expect_visit",
    "holds_part",
    "to_cents",
]

FAILURE_TYPES = frozenset({ServiceType.REPAIR, ServiceType.WARRANTY_CLAIM})
"""Service types whose parts count as failures (maintenance visits are planned separately)."""

HistoryKey: TypeAlias = tuple[str | None, ServiceType]
"""``(product code, service type)``; the product is ``None`` when the request names none."""


def _parts_by_key() -> defaultdict[HistoryKey, Counter[str]]:
    return defaultdict(Counter)


@attrs.define
class PartsHistory:
    """Completed work in a history window: requests counted and parts used, per key.

    Attributes:
        visits: Completed requests per :data:`HistoryKey`.
        used: Quantities of each part used per :data:`HistoryKey`, by part code.
    """

    visits: Counter[HistoryKey] = attrs.field(factory=Counter)
    used: defaultdict[HistoryKey, Counter[str]] = attrs.field(factory=_parts_by_key)

    def record(self, key: HistoryKey, used: Iterable[tuple[str, int]]) -> None:
        """Count one completed request with ``key`` and the ``(part code, quantity)`` it used."""
        self.visits[key] += 1
        for part_code, quantity in used:
            self.used[key][part_code] += quantity

    def per_visit(self, key: HistoryKey) -> dict[str, Fraction]:
        """Return the average parts used per completed request with ``key`` (empty without)."""
        count = self.visits[key]
        if not count:
            return {}
        return {code: Fraction(qty, count) for code, qty in self.used[key].items()}

    def per_service_type(self, service_type: ServiceType) -> dict[str, Fraction]:
        """Return the average parts used per completed request of ``service_type``, any product."""
        count = sum(n for (_, st), n in self.visits.items() if st is service_type)
        if not count:
            return {}
        totals: Counter[str] = Counter()
        for (_, st), parts in self.used.items():
            if st is service_type:
                totals.update(parts)
        return {code: Fraction(qty, count) for code, qty in totals.items()}

    def failures(self) -> dict[str, Counter[str]]:
        """Return the parts used on failures (:data:`FAILURE_TYPES`) per known product."""
        found: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for (product, service_type), parts in self.used.items():
            if product is not None and service_type in FAILURE_TYPES:
                found[product].update(parts)
        return found


def days_installed(archive: ProductArchive, first: date, last: date) -> int:
    """Return the days of ``[first, last]`` on which ``archive`` was installed.

    An archive without an install date counts as installed throughout.
    """
    start = first if archive.install_date is None else max(first, archive.install_date)
    return max(0, (last - start).days + 1)


def holds_part(archive: ProductArchive, part_code: str) -> bool:
    """Return whether ``part_code`` is in the archive's parts list; an empty list holds all."""
    return not archive.parts or archive.quantity_of(part_code) > 0


def _by_date() -> defaultdict[date, Fraction]:
    return defaultdict(Fraction)


def _by_part() -> defaultdict[str, defaultdict[date, Fraction]]:
    return defaultdict(_by_date)


@attrs.define
class PartsForecast:
    """Expected quantities per part and the date they are needed by, exact.

    Attributes:
        expected: Per part code, the expected quantity needed by each date.
        contributors: Ids of the archives whose expectations were added.
    """

    expected: defaultdict[str, defaultdict[date, Fraction]] = attrs.field(factory=_by_part)
    contributors: set[str] = attrs.field(factory=set)

    def expect(self, archive_id: str, part_code: str, needed_by: date, quantity: Fraction) -> None:
        """Add ``quantity`` of ``part_code`` needed by ``needed_by`` because of ``archive_id``."""
        self.expected[part_code][needed_by] += quantity
        self.contributors.add(archive_id)

    def whole_parts(self) -> list[tuple[str, date, int]]:
        """Return ``(part code, needed by, whole parts)`` by part code, then date.

        Per part, the expectations are accumulated in date order and each date gets
        ``ceil(cumulative) - ceil(previous cumulative)`` parts: the total is the expectation
        rounded up once (never once per archive or visit), and each part is needed by the
        first date the cumulative need reaches it. Dates with nothing to add are left out.
        """
        found = []
        for code in sorted(self.expected):
            cumulative = Fraction(0)
            stocked = 0
            for day in sorted(self.expected[code]):
                cumulative += self.expected[code][day]
                need = math.ceil(cumulative)
                if need > stocked:
                    found.append((code, day, need - stocked))
                    stocked = need
        return found


def expect_failures(
    forecast: PartsForecast,
    archives: Sequence[ProductArchive],
    history: PartsHistory,
    *,
    window: tuple[date, date],
    period: tuple[date, date],
    factor: Fraction,
) -> None:
    """Add to ``forecast`` the failures the installed base is expected to have in ``period``.

    For each product ``P`` and part ``c``, the failure rate per installed unit and day is
    ``used(P, c) / unit_days(P)``: the parts used on failures in the history window, over the
    days of ``window`` (first and last day) that the registered or invalidated archives of ``P``
    were installed. Each registered archive of ``P`` that holds ``c`` (:func:`holds_part`)
    then expects ``rate(P, c) * days installed in period * factor`` parts, needed by the
    period's first day.

    Args:
        forecast: Where the expectations are added.
        archives: The registered and invalidated archives (others are ignored).
        history: The completed work of the window.
        window: First and last day of the history window.
        period: First and last day planned.
        factor: Multiplier on every expectation (the safety factor).
    """
    unit_days: Counter[str] = Counter()
    for archive in archives:
        unit_days[archive.product_code] += days_installed(archive, *window)
    failures = history.failures()
    for archive in archives:
        if archive.status is not ArchiveStatus.REGISTERED:
            continue
        days = days_installed(archive, *period)
        denominator = unit_days[archive.product_code]
        if not days or not denominator:
            continue
        for code, qty in failures.get(archive.product_code, Counter()).items():
            if holds_part(archive, code):
                share = Fraction(qty * days, denominator) * factor
                forecast.expect(archive.id, code, period[0], share)


def expect_visit(
    forecast: PartsForecast,
    archive: ProductArchive,
    on: date,
    history: PartsHistory,
    factor: Fraction,
) -> None:
    """Add to ``forecast`` what a maintenance visit to ``archive`` on ``on`` is expected to use.

    Each part ``c`` the archive holds is expected ``used_maintenance(P, c) /
    completed_maintenance_requests(P) * factor`` times for its product ``P``; a product without
    maintenance history expects nothing.
    """
    per_visit = history.per_visit((archive.product_code, ServiceType.MAINTENANCE))
    for code, share in per_visit.items():
        if holds_part(archive, code):
            forecast.expect(archive.id, code, on, share * factor)


@attrs.define
class DemandTally:
    """Expected quantities per part that open work implies, and the work implying them.

    Attributes:
        totals: Per part code, the expected quantity, exact.
        sources: Per part code, the ids of the requests and bookings contributing.
    """

    totals: defaultdict[str, Fraction] = attrs.field(factory=lambda: defaultdict(Fraction))
    sources: defaultdict[str, set[str]] = attrs.field(factory=lambda: defaultdict(set))

    def add(
        self,
        source: str,
        expectation: Mapping[str, Fraction],
        already: Mapping[str, int] | None = None,
    ) -> None:
        """Add what ``source`` expects, less what it ``already`` holds per part (never below 0)."""
        held = already or {}
        for code, qty in expectation.items():
            left = qty - held.get(code, 0)
            if left > 0:
                self.totals[code] += left
                self.sources[code].add(source)


def to_cents(value: Fraction) -> Decimal:
    """Return ``value`` rounded half up to two decimals, for display."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
