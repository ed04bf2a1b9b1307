"""The product archive (产品档案): one installed product, its warranty and the parts in it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs

from servicecore.errors import ValidationError
from servicecore.model import _validate as v
from servicecore.model.common import ArchiveId, CustomerId, PartCode, SiteId

__all__ = ["ArchivePart", "ArchiveStatus", "ProductArchive"]


class ArchiveStatus(enum.Enum):
    """Lifecycle of an archive: only a registered archive can be chosen on a service request."""

    DRAFT = "draft"
    REGISTERED = "registered"
    INVALIDATED = "invalidated"

    @property
    def is_live(self) -> bool:
        """Whether an archive in this status holds its product and serial (draft or registered)."""
        return self is not ArchiveStatus.INVALIDATED

    @classmethod
    def live(cls) -> tuple[ArchiveStatus, ...]:
        """The live statuses, e.g. for a storage query."""
        return tuple(s for s in cls if s.is_live)


@attrs.frozen(kw_only=True)
class ArchivePart:
    """A line of the archive's parts list (its BOM as installed).

    Attributes:
        part_code: The part's material code.
        quantity: How many are installed (>= 1).
        serial: The part's own serial number, for serialised parts; such a line holds exactly one.

    Raises:
        ValidationError: A bad field, or a serial on a line of more than one part.
    """

    part_code: PartCode = attrs.field(validator=v.identifier)
    quantity: int = attrs.field(default=1, validator=v.integer(min_value=1))
    serial: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))

    def __attrs_post_init__(self) -> None:
        if self.serial is not None and self.quantity != 1:
            raise ValidationError.single(
                "quantity", self.quantity, "must be 1 on a line with a serial number"
            )

    @property
    def key(self) -> tuple[str, str | None]:
        """``(part_code, serial)``: what identifies the line in the parts list."""
        return (self.part_code, self.serial)


@attrs.define(eq=False, kw_only=True)
class ProductArchive:
    """A product sold to a customer and serviced over its life (seed: 产品档案).

    Attributes:
        id: The archive's id.
        serial_number: The product's serial number (S/N).
        batch: Production batch (批号), or ``None`` when unknown.
        product_code: The product's material code.
        customer_id: The customer who owns it.
        site_id: Where it is installed, when the host tracks sites (a site may sit in a
            hierarchy the host's :class:`~servicecore.ports.SiteDirectory` knows).
        parent_id: The unit it is part of (a machine inside a plant), if any: an archive of the
            same customer.
        install_date: When it was installed, when known.
        warranty_start: First day of warranty.
        warranty_end: Last day of warranty (inclusive).
        service_expiry: Last day the product is serviced (drives the expiry alert), if any.
        parts: The installed parts, one line per ``(part_code, serial)``.
        status: Lifecycle state (registered archives can be serviced).
        version: Optimistic-locking counter.
        audit_head: Hash of the archive's last audit entry.

    Raises:
        ValidationError: A bad field, ``warranty_end`` before ``warranty_start``,
            ``service_expiry`` before ``warranty_start``, or a part line repeated.
    """

    id: ArchiveId = attrs.field(validator=v.identifier)
    serial_number: str = attrs.field(validator=v.text(128))
    batch: str | None = attrs.field(default=None, validator=v.optional(v.text(128)))
    product_code: PartCode = attrs.field(validator=v.identifier)
    customer_id: CustomerId = attrs.field(validator=v.identifier)
    site_id: SiteId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    parent_id: ArchiveId | None = attrs.field(default=None, validator=v.optional(v.identifier))
    install_date: date | None = attrs.field(default=None, validator=v.optional(v.a_date))
    warranty_start: date = attrs.field(validator=v.a_date)
    warranty_end: date = attrs.field(validator=v.a_date)
    service_expiry: date | None = attrs.field(default=None, validator=v.optional(v.a_date))
    parts: tuple[ArchivePart, ...] = attrs.field(
        default=(),
        validator=[v.items(v.instance(ArchivePart)), v.unique(lambda p: p.key, "part line")],
    )
    status: ArchiveStatus = attrs.field(
        default=ArchiveStatus.DRAFT, validator=v.member(ArchiveStatus)
    )
    version: int = attrs.field(default=0, validator=v.integer(min_value=0))
    audit_head: str | None = attrs.field(default=None, validator=v.optional(v.text(64)))

    def __attrs_post_init__(self) -> None:
        if self.parent_id is not None and self.parent_id == self.id:
            raise ValidationError.single("parent_id", self.parent_id, "is the archive itself")
        if self.warranty_end < self.warranty_start:
            raise ValidationError.single(
                "warranty_end", self.warranty_end, f"must not be before {self.warranty_start}"
            )
        if self.service_expiry is not None and self.service_expiry < self.warranty_start:
            raise ValidationError.single(
                "service_expiry", self.service_expiry, f"must not be before {self.warranty_start}"
            )

    def in_warranty(self, on: date) -> bool:
        """Whether ``on`` lies in the warranty period (both ends included)."""
        return self.warranty_start <= on <= self.warranty_end

    def days_to_service_expiry(self, on: date) -> int | None:
        """Days from ``on`` to :attr:`service_expiry` (negative once past), or ``None`` if unset."""
        if self.service_expiry is None:
            return None
        return (self.service_expiry - on).days

    def quantity_of(self, part_code: str) -> int:
        """How many parts with ``part_code`` are installed, serialised or not."""
        return sum(p.quantity for p in self.parts if p.part_code == part_code)

    def replace_parts(
        self, removed: Iterable[ArchivePart], installed: Iterable[ArchivePart]
    ) -> None:
        """Take ``removed`` out of the parts list and put ``installed`` in, all or nothing.

        A removed line matches the installed line with the same part code and serial; its
        quantity is subtracted and a line that reaches zero is dropped. An installed line is
        added to the line with the same part code and no serial, or appended.

        Raises:
            ValidationError: A removed line is not installed, or more are removed than are
                installed (``removed[i]``); an installed serial is already in the list
                (``installed[i]``); a line is not an :class:`ArchivePart`. The parts list is then
                unchanged.
        """
        counts: dict[tuple[str, str | None], int] = {p.key: p.quantity for p in self.parts}
        order = [p.key for p in self.parts]
        for i, part in enumerate(removed):
            if not isinstance(part, ArchivePart):
                raise ValidationError.single(f"removed[{i}]", part, "must be an ArchivePart")
            have = counts.get(part.key, 0)
            if part.quantity > have:
                raise ValidationError.single(
                    f"removed[{i}]", part, f"only {have} installed; cannot remove {part.quantity}"
                )
            counts[part.key] = have - part.quantity
        for i, part in enumerate(installed):
            if not isinstance(part, ArchivePart):
                raise ValidationError.single(f"installed[{i}]", part, "must be an ArchivePart")
            have = counts.get(part.key, 0)
            if part.serial is not None and have:
                raise ValidationError.single(
                    f"installed[{i}]", part, f"serial {part.serial!r} is already installed"
                )
            if part.key not in counts:
                order.append(part.key)
            counts[part.key] = have + part.quantity
        self.parts = tuple(
            ArchivePart(part_code=PartCode(code), quantity=counts[(code, serial)], serial=serial)
            for code, serial in order
            if counts[(code, serial)] > 0
        )
