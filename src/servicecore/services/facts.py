"""The one loader of facts: each related record a trigger needs, fetched once from storage.

A lifecycle's guards declare the facts they read (:meth:`Lifecycle.needs
<servicecore.lifecycle.engine.Lifecycle.needs>`); a command gives the inputs of its change
(a new slot, the stock on hand...) and :func:`load_facts` fetches the related records (the
request of a dispatch order, the dispatch orders of a request...) through the unit of work,
which shows the command's own pending changes too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from servicecore.errors import ValidationError
from servicecore.lifecycle.facts import NO_FACTS, RELATED, Facts
from servicecore.model.request import ServiceRequest
from servicecore.ports import Query, UnitOfWork

__all__ = ["load_facts"]


def _request_id(entity: object) -> str:
    if isinstance(entity, ServiceRequest):
        return entity.id
    request_id = getattr(entity, "request_id", None)
    if not isinstance(request_id, str):
        raise ValidationError.single(
            "entity", type(entity).__name__, "names no request to load its records from"
        )
    return request_id


def _request(uow: UnitOfWork, entity: object) -> object:
    return uow.requests.get(_request_id(entity))


def _archive(uow: UnitOfWork, entity: object) -> object:
    archive_id = getattr(entity, "archive_id", None)
    return None if archive_id is None else uow.archives.get(archive_id)


def _of_request(name: str) -> Callable[[UnitOfWork, object], object]:
    def load(uow: UnitOfWork, entity: object) -> object:
        query = Query(equals={"request_id": _request_id(entity)})
        return tuple(uow.repository(name).iterate(query))

    return load


def _transfers(uow: UnitOfWork, entity: object) -> object:
    return tuple(uow.transfers.iterate(Query(equals={"plan_id": getattr(entity, "id", None)})))


_LOADERS: dict[str, Callable[[UnitOfWork, object], object]] = {
    "request": _request,
    "archive": _archive,
    "dispatches": _of_request("dispatches"),
    "processing_orders": _of_request("processing"),
    "evidence": _of_request("evidence"),
    "transfers": _transfers,
}
assert set(_LOADERS) == RELATED, "every related fact has its loader"


def load_facts(
    uow: UnitOfWork, entity: object, needs: Iterable[str], given: Facts | None = None
) -> Facts:
    """Return the facts a trigger needs: ``given`` inputs, and each needed related record.

    A related fact already in ``given`` is taken as given (a command that holds the record).
    An input the trigger needs but ``given`` lacks stays ``None``: the guard that reads it
    refuses with a :class:`~servicecore.errors.ValidationError` naming it.

    Raises:
        NotFound: A related record the entity names does not exist.
        ValidationError: The entity names no request to load records from.
    """
    needs = tuple(needs)
    if not needs:
        return NO_FACTS if given is None else given
    values: dict[str, Any] = {} if given is None else attrs.asdict(given, recurse=False)
    for name in needs:
        if name in RELATED and values.get(name) is None:
            values[name] = _LOADERS[name](uow, entity)
    return Facts(**values)
