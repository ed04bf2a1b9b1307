"""The installed base (seed 004, 产品档案): product archives, their shipments, parts and coverage.

A product archive is registered by hand or from the ERP's outbound record of its serial number
(the host :class:`~servicecore.ports.ShipmentHistory`), with its parts list taken from production
(the host :class:`~servicecore.ports.BillOfMaterials`). Only a registered archive can take service
requests; an invalidated one (scrapped, service ended) takes none. :func:`coverage` tells whether
a product is in warranty, under an active contract, or chargeable on a given day.

Commands check the policy command ``manage_installed_base``
(see :data:`~servicecore.services.permissions.DEFAULT_RULES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle import ARCHIVE
from servicecore.model.archive import ArchivePart, ProductArchive
from servicecore.model.common import ArchiveId, PartCode
from servicecore.model.contract import ContractStatus
from servicecore.model.maintenance import add_months
from servicecore.ports import (
    BillOfMaterials,
    BomLine,
    Query,
    Shipment,
    ShipmentHistory,
    SiteDirectory,
    UnitOfWork,
)
from servicecore.services.common import event
from servicecore.services.context import CommandContext, command, query

__all__ = [
    "Coverage",
    "archives_at_site",
    "archives_by_serial",
    "archives_of_customer",
    "archives_of_product",
    "coverage",
    "invalidate_archive",
    "parts_from_bom",
    "register_archive",
    "register_from_shipment",
    "set_archive_parent",
    "shipment_history",
    "units_of",
]


@attrs.frozen
class Coverage:
    """How a product stands on one day.

    Attributes:
        archive_id: The product.
        on: The day.
        in_warranty: Whether the day lies in the warranty period.
        contract_ids: The active contracts covering the product that day, by id.
        chargeable: Neither in warranty nor under contract: the customer pays.
    """

    archive_id: str
    on: date
    in_warranty: bool
    contract_ids: tuple[str, ...]
    chargeable: bool

    @property
    def under_contract(self) -> bool:
        """Whether an active contract covers the product that day."""
        return bool(self.contract_ids)


def _refuse_duplicate_serial(uow: UnitOfWork, serial_number: str, product_code: str) -> None:
    for other in uow.archives.iterate(
        Query(equals={"serial_number": serial_number, "product_code": product_code})
    ):
        if other.status.is_live:
            raise ValidationError.single(
                "serial_number",
                serial_number,
                f"{product_code} with this serial is already archive {other.id}",
            )


@command("manage_installed_base")
def register_archive(
    cx: CommandContext,
    /,
    *,
    serial_number: str,
    product_code: str,
    customer_id: str,
    warranty_start: date,
    warranty_end: date,
    batch: str | None = None,
    site_id: str | None = None,
    install_date: date | None = None,
    service_expiry: date | None = None,
    parts: Sequence[ArchivePart] = (),
    archive_id: str | None = None,
) -> ProductArchive:
    """Create a product archive and register it, so that it can take service requests.

    Raises:
        PermissionDenied: The actor may not manage the installed base.
        ValidationError: A bad field, or a live archive (draft or registered) already holds this
            product and serial number.
        DuplicateId: ``archive_id`` is taken (at the write or at commit).
    """
    archive = ProductArchive(
        id=ArchiveId(archive_id or cx.ids.new_id("ProductArchive")),
        serial_number=serial_number,
        batch=batch,
        product_code=product_code,  # type: ignore[arg-type]
        customer_id=customer_id,  # type: ignore[arg-type]
        site_id=site_id,  # type: ignore[arg-type]
        install_date=install_date,
        warranty_start=warranty_start,
        warranty_end=warranty_end,
        service_expiry=service_expiry,
        parts=tuple(parts),
    )
    _refuse_duplicate_serial(cx.uow, serial_number, product_code)
    cx.create(ARCHIVE, archive)
    cx.fire(ARCHIVE, archive, "register")
    cx.uow.archives.add(archive)
    event(
        cx,
        "ArchiveRegistered",
        archive,
        {"serial_number": serial_number, "customer_id": customer_id},
    )
    return archive


def parts_from_bom(lines: Sequence[BomLine]) -> tuple[ArchivePart, ...]:
    """Turn the ERP's BOM lines into a parts list: unserialised lines of one part add up.

    Raises:
        ValidationError: A serialised line of more than one part, a serial twice, or a bad part
            code or quantity (``bom[i]``).
    """
    counts: dict[tuple[str, str | None], int] = {}
    for i, line in enumerate(lines):
        key = (line.part_code, line.serial)
        if line.serial is not None and (line.quantity != 1 or key in counts):
            raise ValidationError.single(
                f"bom[{i}]", line, "a serialised part must appear once, with quantity 1"
            )
        if line.quantity < 1:
            raise ValidationError.single(f"bom[{i}]", line, "quantity must be at least 1")
        counts[key] = counts.get(key, 0) + line.quantity
    try:
        return tuple(
            ArchivePart(part_code=PartCode(code), quantity=n, serial=serial)
            for (code, serial), n in counts.items()
        )
    except ValidationError as exc:
        raise ValidationError.single("bom", lines, str(exc)) from exc


@command("manage_installed_base")
def register_from_shipment(
    cx: CommandContext,
    /,
    shipments: ShipmentHistory,
    bom: BillOfMaterials,
    serial_number: str,
    *,
    warranty_months: int = 12,
    warranty_end: date | None = None,
    install_date: date | None = None,
    site_id: str | None = None,
    service_expiry: date | None = None,
    archive_id: str | None = None,
) -> ProductArchive:
    """Register the unit the ERP shipped under ``serial_number``, with its parts from production.

    The customer, product and batch come from the serial's latest shipment; the install date is
    the shipping date unless given; warranty runs from the install date for ``warranty_months``
    calendar months (the day before the same day ``warranty_months`` later), or until
    ``warranty_end`` when given. The parts list is ``bom.parts_of(product, serial)``.

    Raises:
        PermissionDenied: The actor may not manage the installed base.
        ValidationError: The ERP shipped no unit with this serial; ``warranty_months`` is below
            1; the BOM lines are malformed (see :func:`parts_from_bom`); or as
            :func:`register_archive`.
        NotFound: The BOM does not know the product.
    """
    if warranty_months < 1:
        raise ValidationError.single("warranty_months", warranty_months, "must be at least 1")
    found = shipments.by_serial(serial_number)
    if not found:
        raise ValidationError.single(
            "serial_number", serial_number, "the ERP has no shipment with this serial number"
        )
    latest = found[-1]
    installed = install_date or latest.shipped_on
    end = warranty_end or add_months(installed, warranty_months) - timedelta(days=1)
    parts = parts_from_bom(bom.parts_of(latest.product_code, serial_number))
    return register_archive(
        cx,
        serial_number=serial_number,
        product_code=latest.product_code,
        customer_id=latest.customer_id,
        batch=latest.batch,
        site_id=site_id,
        install_date=installed,
        warranty_start=installed,
        warranty_end=end,
        service_expiry=service_expiry,
        parts=parts,
        archive_id=archive_id,
    )


@command("manage_installed_base")
def invalidate_archive(
    cx: CommandContext,
    /,
    archive_id: str,
    reason: str,
) -> ProductArchive:
    """Invalidate a registered archive (scrapped, service ended): it takes no new requests.

    Raises:
        NotFound: No such archive.
        PermissionDenied: The actor may not manage the installed base.
        InvalidTransition: It is not registered.
        TransitionRefused: No reason given.
    """
    archive = cx.uow.archives.get(archive_id)
    cx.check("manage_installed_base", archive)
    cx.fire(ARCHIVE, archive, "invalidate", reason=reason)
    cx.uow.archives.update(archive)
    event(cx, "ArchiveInvalidated", archive, {"reason": reason})
    return archive


@query("view_installed_base")
def archives_by_serial(cx: CommandContext, /, serial_number: str) -> list[ProductArchive]:
    """Return the archives with ``serial_number`` (any product, any status), by id."""
    return list(cx.uow.archives.iterate(Query(equals={"serial_number": serial_number})))


@query("view_installed_base")
def archives_of_customer(
    cx: CommandContext, /, customer_id: str, *, registered_only: bool = False
) -> list[ProductArchive]:
    """Return the customer's archives, by id; only registered ones if ``registered_only``."""
    equals: dict[str, object] = {"customer_id": customer_id}
    if registered_only:
        equals["status"] = "registered"
    return list(cx.uow.archives.iterate(Query(equals=equals)))


@command("manage_installed_base")
def set_archive_parent(
    cx: CommandContext, /, archive_id: str, parent_id: str | None
) -> ProductArchive:
    """Place a product in the unit it is part of (a machine inside a plant), or take it out.

    Raises:
        NotFound: No such archive or parent.
        PermissionDenied: The actor may not manage the installed base.
        ValidationError: The parent is the archive itself, belongs to another customer, is
            invalidated, or lies inside the archive (a cycle), naming ``parent_id``; nothing
            would change.
        InvalidTransition: The archive is invalidated.
    """
    archive = cx.uow.archives.get(archive_id)
    cx.check("manage_installed_base", archive)
    if parent_id == archive.parent_id:
        raise ValidationError.single("parent_id", parent_id, "is the archive's parent already")
    if parent_id is not None:
        if parent_id == archive.id:
            raise ValidationError.single("parent_id", parent_id, "is the archive itself")
        parent = cx.uow.archives.get(parent_id)
        if parent.customer_id != archive.customer_id:
            raise ValidationError.single(
                "parent_id", parent_id, f"is customer {parent.customer_id}'s product"
            )
        if not parent.status.is_live:
            raise ValidationError.single("parent_id", parent_id, f"is {parent.status.value}")
        above = parent.parent_id
        while above is not None:
            if above == archive.id:
                raise ValidationError.single(
                    "parent_id",
                    parent_id,
                    f"lies inside {archive.id}: a unit cannot contain itself",
                )
            above = cx.uow.archives.get(above).parent_id
    cx.fire(ARCHIVE, archive, "set_parent", payload={"parent_id": parent_id})
    archive.parent_id = None if parent_id is None else ArchiveId(parent_id)
    cx.uow.archives.update(archive)
    event(cx, "ArchiveParentSet", archive, {"parent_id": parent_id})
    return archive


@query("view_installed_base")
def units_of(cx: CommandContext, /, archive_id: str) -> list[ProductArchive]:
    """Return every product inside ``archive_id``, at any depth, parents before their units.

    Raises:
        NotFound: No such archive.
    """
    top = cx.uow.archives.get(archive_id)
    inside: dict[str | None, list[ProductArchive]] = {}
    for other in cx.uow.archives.iterate(Query(equals={"customer_id": top.customer_id})):
        inside.setdefault(other.parent_id, []).append(other)
    found: list[ProductArchive] = []
    todo = [top.id]
    while todo:
        for unit in sorted(inside.get(todo.pop(0), ()), key=lambda a: a.id):
            found.append(unit)
            todo.append(unit.id)
    return found


@query("view_installed_base")
def archives_at_site(
    cx: CommandContext, /, site_id: str, *, sites: SiteDirectory, within: bool = True
) -> list[ProductArchive]:
    """Return the products installed at a site and, with ``within``, at every site inside it.

    Raises:
        NotFound: No such site (as the directory says).
    """
    wanted = [sites.get(site_id).id]
    if within:
        todo = [site_id]
        while todo:
            for child in sites.children(todo.pop()):
                wanted.append(child.id)
                todo.append(child.id)
    return list(cx.uow.archives.iterate(Query(equals={"site_id": wanted})))


@query("view_installed_base")
def archives_of_product(
    cx: CommandContext, /, product_code: str, *, registered_only: bool = False
) -> list[ProductArchive]:
    """Return the archives of ``product_code``, by id; only registered ones if asked."""
    equals: dict[str, object] = {"product_code": product_code}
    if registered_only:
        equals["status"] = "registered"
    return list(cx.uow.archives.iterate(Query(equals=equals)))


def shipment_history(
    shipments: ShipmentHistory, customer_id: str, product_code: str | None = None
) -> Sequence[Shipment]:
    """Return what the ERP shipped to ``customer_id`` (only ``product_code`` if given)."""
    return shipments.for_customer(customer_id, product_code)


@query("view_installed_base")
def coverage(cx: CommandContext, /, archive_id: str, on: date) -> Coverage:
    """Return whether the product is in warranty, under contract, or chargeable on ``on``.

    A contract counts when it is active, lists the product and its period includes ``on``.

    Raises:
        NotFound: No such archive.
    """
    archive = cx.uow.archives.get(archive_id)
    covering = tuple(
        contract.id
        for contract in cx.uow.contracts.iterate(
            Query(
                equals={"customer_id": archive.customer_id, "status": ContractStatus.ACTIVE.value}
            )
        )
        if contract.covers(archive.id, on)
    )
    in_warranty = archive.in_warranty(on)
    return Coverage(
        archive_id=archive.id,
        on=on,
        in_warranty=in_warranty,
        contract_ids=covering,
        chargeable=not in_warranty and not covering,
    )
