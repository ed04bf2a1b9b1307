"""Contract suites for storage adapters: subclass them to prove an adapter keeps every promise.

An integrator writes, in their own test module::

    import pytest
    from servicecore.testing.contract import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage_factory(self):
            return lambda publisher=None: MyStorage(DSN, publisher=publisher)

``StorageContract`` gathers every suite below; each can also be subclassed alone. The factory is
called with ``publisher=None`` or with a publisher callable, and must return a
:class:`~servicecore.ports.Storage` over the *same* data each time (several instances are opened to
play several processes). Every test works in its own fresh random tenant, so one database serves
the whole run and no test depends on what another left.

The promises are those of :mod:`servicecore.ports`; servicecore's memory, SQLite and PostgreSQL
adapters pass these same suites.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from servicecore.catalog import AGGREGATES
from servicecore.errors import (
    AuditChainError,
    ConcurrencyError,
    DoubleBooking,
    DuplicateId,
    NotFound,
    ValidationError,
)
from servicecore.events import DomainEvent, RetryPolicy
from servicecore.lifecycle import REQUEST, TransitionContext
from servicecore.lifecycle.facts import Facts
from servicecore.model.actor import Actor, Role
from servicecore.model.archive import ArchiveStatus
from servicecore.model.audit import AuditEntry, payload_digest, verify_chain
from servicecore.model.booking import BookingStatus
from servicecore.model.common import CustomerId, TimeRange
from servicecore.model.enums import Priority, ServiceType
from servicecore.model.request import RequestStatus
from servicecore.ports import Query, Storage
from servicecore.serialization import unstructure
from servicecore.testing import factories as f

__all__ = [
    "AuditContract",
    "ConcurrencyContract",
    "DeadLetterContract",
    "EventContract",
    "QueryContract",
    "RepositoryContract",
    "SlotContract",
    "StorageContract",
    "TenancyContract",
    "UniqueKeyContract",
    "UnitOfWorkContract",
]

NAMES = [spec.name for spec in AGGREGATES]
ACTOR = Actor(id="contract", roles={Role.SUPERVISOR})


def _event(n: int = 1, name: str = "RequestCompleted") -> DomainEvent:
    return DomainEvent(
        id=f"ev-{uuid.uuid4().hex}",
        name=name,
        entity_kind="ServiceRequest",
        entity_id=f"R-{n}",
        occurred_at=f.NOW,
        payload={"n": n, "amount": "12.50"},
    )


UNSTORABLE = ["X-\ud800", "X-\x00"]
"""Text no database stores (a lone surrogate, a NUL): SQLite cannot encode the first, PostgreSQL
refuses both, so every storage refuses them as ids and values before any lookup."""


def _slot(start_h: float, end_h: float) -> TimeRange:
    return TimeRange(f.NOW + timedelta(hours=start_h), f.NOW + timedelta(hours=end_h))


class _Base:
    """Fixtures shared by every suite: the storage, a fresh tenant, and helpers."""

    @pytest.fixture
    def storage_factory(self) -> Callable[..., Storage]:
        """The adapter under test: override to return ``factory(publisher=None) -> Storage``."""
        raise NotImplementedError("override the storage_factory fixture to test your adapter")

    @pytest.fixture
    def storage(self, storage_factory: Callable[..., Storage]) -> Storage:
        """A storage without publisher."""
        return storage_factory()

    @pytest.fixture
    def tenant(self) -> str:
        """A tenant no other test uses."""
        return f"t-{uuid.uuid4().hex[:16]}"

    @staticmethod
    def store(storage: Storage, tenant: str, *entities: Any) -> None:
        """Add ``entities`` and commit."""
        with storage.unit_of_work(tenant) as uow:
            for entity in entities:
                uow.repository(type(entity).__name__).add(entity)
            uow.commit()


class RepositoryContract(_Base):
    """get / find / add / update, versions, copies, visibility - for every aggregate."""

    @pytest.mark.parametrize("name", NAMES)
    def test_an_added_entity_reads_back_equal_after_commit(
        self, storage: Storage, tenant: str, name: str
    ) -> None:
        entity = f.make(name)
        self.store(storage, tenant, entity)
        with storage.unit_of_work(tenant) as uow:
            back = uow.repository(name).get(entity.id)
        assert type(back) is type(entity)
        assert unstructure(back) == unstructure(entity)

    @pytest.mark.parametrize("name", NAMES)
    def test_add_sets_version_one_on_the_callers_object(
        self, storage: Storage, tenant: str, name: str
    ) -> None:
        entity = f.make(name)
        with storage.unit_of_work(tenant) as uow:
            uow.repository(name).add(entity)
            assert entity.version == 1
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.repository(name).get(entity.id).version == 1

    def test_add_refuses_an_entity_with_a_version(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError, match="version"):
            uow.requests.add(f.request(version=3))

    def test_add_refuses_another_aggregates_entity(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError):
            uow.requests.add(f.dispatch())  # type: ignore[arg-type]  # the wrong type on purpose

    def test_get_of_a_missing_id_raises_not_found_naming_it(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            with pytest.raises(NotFound) as info:
                uow.requests.get("R-404")
            assert (info.value.kind, info.value.id) == ("ServiceRequest", "R-404")
            assert uow.requests.find("R-404") is None

    @pytest.mark.parametrize("bad", UNSTORABLE)
    def test_get_and_find_refuse_an_id_no_database_stores_naming_it(
        self, storage: Storage, tenant: str, bad: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            for look_up in (uow.requests.get, uow.requests.find):
                with pytest.raises(ValidationError) as info:
                    look_up(bad)
                assert (info.value.errors[0].path, info.value.errors[0].value) == ("id", bad)

    def test_get_and_find_refuse_an_id_that_is_not_a_string(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            for look_up in (uow.requests.get, uow.requests.find):
                with pytest.raises(ValidationError) as info:
                    look_up(404)  # type: ignore[arg-type]  # the wrong type on purpose
                assert (info.value.errors[0].path, info.value.errors[0].value) == ("id", 404)

    def test_a_duplicate_id_is_refused_within_one_unit_of_work(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
            with pytest.raises(DuplicateId):
                uow.requests.add(f.request())
                uow.commit()

    def test_a_duplicate_of_a_committed_id_is_refused(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as uow, pytest.raises(DuplicateId):
            uow.requests.add(f.request(symptoms="again"))
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.get("R-1").symptoms == "Unit blows warm air"

    def test_update_stores_the_change_and_increments_the_version(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            req.priority = Priority.EMERGENCY
            uow.requests.update(req)
            assert req.version == 2
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            back = uow.requests.get("R-1")
        assert (back.priority, back.version) == (Priority.EMERGENCY, 2)

    def test_updating_twice_in_one_unit_of_work_is_one_new_version(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            req.symptoms = "first"
            uow.requests.update(req)
            req.symptoms = "second"
            uow.requests.update(req)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            back = uow.requests.get("R-1")
        assert (back.symptoms, back.version) == ("second", 2)

    def test_update_of_an_entity_added_in_the_same_unit_of_work_keeps_version_one(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            req = f.request()
            uow.requests.add(req)
            req.symptoms = "changed before commit"
            uow.requests.update(req)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            back = uow.requests.get("R-1")
        assert (back.symptoms, back.version) == ("changed before commit", 1)

    def test_update_of_an_unknown_entity_raises_not_found(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow, pytest.raises(NotFound):
            uow.requests.update(f.request(version=1))

    def test_a_stale_update_raises_concurrency_error_and_loses_nothing(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as first, storage.unit_of_work(tenant) as second:
            a = first.requests.get("R-1")
            b = second.requests.get("R-1")
            a.symptoms = "first writer"
            first.requests.update(a)
            first.commit()
            b.symptoms = "second writer"
            with pytest.raises(ConcurrencyError):
                second.requests.update(b)
                second.commit()
        with storage.unit_of_work(tenant) as uow:
            back = uow.requests.get("R-1")
        assert (back.symptoms, back.version) == ("first writer", 2)

    def test_entities_handed_out_are_copies(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            req.symptoms = "changed but never updated"
            assert uow.requests.get("R-1").symptoms == "Unit blows warm air"
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.get("R-1").symptoms == "Unit blows warm air"

    def test_an_added_entity_is_a_copy_of_the_callers_object(
        self, storage: Storage, tenant: str
    ) -> None:
        req = f.request()
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(req)
            req.symptoms = "changed after add"
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.get("R-1").symptoms == "Unit blows warm air"

    def test_a_unit_of_work_sees_its_own_changes_before_commit(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
            assert uow.requests.get("R-1").id == "R-1"
            assert uow.requests.count() == 1

    def test_uncommitted_changes_are_invisible_to_other_units_of_work(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as writer:
            writer.requests.add(f.request())
            with storage.unit_of_work(tenant) as reader:
                assert reader.requests.find("R-1") is None
            writer.commit()
        with storage.unit_of_work(tenant) as reader:
            assert reader.requests.find("R-1") is not None

    def test_repository_by_kind_or_name_is_the_same(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.repository("ServiceRequest").add(f.request())
            assert uow.repository("requests").get("R-1").id == "R-1"
            with pytest.raises(ValidationError):
                uow.repository("nonsense")

    def test_a_bad_tenant_is_refused(self, storage: Storage) -> None:
        with pytest.raises(ValidationError, match="tenant"):
            storage.unit_of_work("not a tenant!")

    @pytest.mark.parametrize("bad", UNSTORABLE)
    def test_a_tenant_no_database_stores_is_refused_naming_it(
        self, storage: Storage, bad: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            storage.unit_of_work(bad)
        assert (info.value.errors[0].path, info.value.errors[0].value) == ("tenant", bad)


class QueryContract(_Base):
    """Filters, ranges, ordering, paging and counting, the same on every adapter."""

    @pytest.fixture
    def requests(self, storage: Storage, tenant: str) -> list[Any]:
        """Ten requests: R-0..R-9, two customers, reported an hour apart, some due."""
        made = []
        for i in range(10):
            made.append(
                f.request(
                    id=f"R-{i}",
                    customer_id="C-even" if i % 2 == 0 else "C-odd",
                    priority=Priority.EMERGENCY if i < 3 else Priority.NORMAL,
                    reported_at=f.NOW + timedelta(hours=i),
                    resolution_due=None if i >= 8 else f.NOW + timedelta(hours=i + 4),
                    status=RequestStatus.CLOSED if i == 9 else RequestStatus.OPEN,
                )
            )
        self.store(storage, tenant, *made)
        return made

    @staticmethod
    def ids(page: Sequence[Any]) -> list[str]:
        return [e.id for e in page]

    def test_no_query_returns_everything_by_id(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query()) == [f"R-{i}" for i in range(10)]

    def test_equals_filters(self, storage: Storage, tenant: str, requests: list[Any]) -> None:
        with storage.unit_of_work(tenant) as uow:
            page = uow.requests.query(Query(equals={"customer_id": "C-odd"}))
        assert self.ids(page) == ["R-1", "R-3", "R-5", "R-7", "R-9"]

    def test_a_collection_means_any_of(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            page = uow.requests.query(
                Query(
                    equals={"status": [RequestStatus.CLOSED, "cancelled"], "customer_id": "C-odd"}
                )
            )
        assert self.ids(page) == ["R-9"]

    def test_enum_members_and_values_are_the_same(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            by_member = uow.requests.count(Query(equals={"priority": Priority.EMERGENCY}))
            by_value = uow.requests.count(Query(equals={"priority": "emergency"}))
        assert by_member == by_value == 3

    def test_none_means_absent(self, storage: Storage, tenant: str, requests: list[Any]) -> None:
        with storage.unit_of_work(tenant) as uow:
            page = uow.requests.query(Query(equals={"resolution_due": None}))
        assert self.ids(page) == ["R-8", "R-9"]

    def test_time_ranges_are_half_open(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        q = Query(
            at_least={"reported_at": f.NOW + timedelta(hours=2)},
            before={"reported_at": f.NOW + timedelta(hours=5)},
        )
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query(q)) == ["R-2", "R-3", "R-4"]

    def test_later_than_is_strict(self, storage: Storage, tenant: str, requests: list[Any]) -> None:
        q = Query(later_than={"reported_at": f.NOW + timedelta(hours=7)})
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query(q)) == ["R-8", "R-9"]

    def test_times_compare_as_instants_whatever_their_timezone(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        from datetime import timezone

        jakarta = timezone(timedelta(hours=7))
        q = Query(before={"reported_at": (f.NOW + timedelta(hours=2)).astimezone(jakarta)})
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query(q)) == ["R-0", "R-1"]

    def test_overdue_requests_are_found_by_due_time_and_status(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        now = f.NOW + timedelta(hours=8, minutes=30)
        q = Query(equals={"status": RequestStatus.OPEN}, before={"resolution_due": now})
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query(q)) == ["R-0", "R-1", "R-2", "R-3", "R-4"]

    def test_order_by_a_field_descending(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        q = Query(order_by="reported_at", descending=True, limit=3)
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query(q)) == ["R-9", "R-8", "R-7"]

    def test_ordering_by_a_field_skips_entities_without_it(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        q = Query(order_by="resolution_due")
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.requests.query(q)) == [f"R-{i}" for i in range(8)]

    @pytest.mark.parametrize("descending", [False, True])
    @pytest.mark.parametrize("order_by", [None, "reported_at", "customer_id"])
    def test_paging_visits_every_match_once_in_order(
        self,
        storage: Storage,
        tenant: str,
        requests: list[Any],
        order_by: str | None,
        descending: bool,
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            whole = self.ids(uow.requests.query(Query(order_by=order_by, descending=descending)))
            seen: list[str] = []
            after = None
            while True:
                page = uow.requests.query(
                    Query(order_by=order_by, descending=descending, limit=3, after=after)
                )
                seen += self.ids(page)
                if page.next is None:
                    break
                after = page.next
        assert seen == whole
        assert len(seen) == 10

    def test_the_last_page_has_no_next(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.query(Query(limit=10)).next is None
            assert uow.requests.query(Query(limit=9)).next is not None

    def test_count_ignores_limit(self, storage: Storage, tenant: str, requests: list[Any]) -> None:
        q = Query(equals={"customer_id": "C-even"}, limit=1)
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.count(q) == 5

    @pytest.mark.parametrize(
        "equals",
        [
            {"customer_id": "C-even"},
            {"status": RequestStatus.OPEN},
            {"priority": Priority.EMERGENCY, "customer_id": "C-odd"},
            {"reported_at": f.NOW + timedelta(hours=4)},
            {"customer_id": "C-nobody"},
        ],
        ids=["text", "enum", "two-fields", "datetime", "none-match"],
    )
    def test_count_of_equal_values_agrees_with_the_query(
        self, storage: Storage, tenant: str, requests: list[Any], equals: dict[str, object]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.count(Query(equals=equals)) == len(
                uow.requests.query(Query(equals=equals))
            )

    def test_count_of_equal_values_sees_this_unit_of_works_changes(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            changed = uow.requests.get("R-1")
            changed.customer_id = CustomerId("C-even")
            uow.requests.update(changed)
            uow.requests.add(f.request(id="R-10", customer_id="C-even"))
            assert uow.requests.count(Query(equals={"customer_id": "C-even"})) == 7
            assert uow.requests.count(Query(equals={"customer_id": "C-odd"})) == 4

    def test_count_of_equal_values_sees_this_unit_of_works_new_entities_once(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request(id="R-10", customer_id="C-even"))
            uow.requests.add(f.request(id="R-11", customer_id="C-new"))
            assert uow.requests.count(Query(equals={"customer_id": "C-even"})) == 6
            assert uow.requests.count(Query(equals={"customer_id": "C-new"})) == 1

    def test_iterate_yields_every_match_in_pages(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            ids = [r.id for r in uow.requests.iterate(Query(order_by="reported_at"), page_size=4)]
            assert ids == [f"R-{i}" for i in range(10)]
            with pytest.raises(ValidationError, match="page_size"):
                list(uow.requests.iterate(page_size=0))

    def test_an_unknown_field_is_refused_naming_the_queryable_ones(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            with pytest.raises(ValidationError, match="customer_id") as info:
                uow.requests.query(Query(equals={"symptoms": "x"}))
            assert info.value.errors[0].path == "equals.symptoms"

    def test_a_value_of_the_wrong_type_is_refused(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow:
            with pytest.raises(ValidationError) as info:
                uow.requests.query(Query(before={"reported_at": "yesterday"}))
            assert info.value.errors[0].value == "yesterday"
            with pytest.raises(ValidationError):
                uow.requests.query(Query(before={"reported_at": datetime(2026, 1, 1)}))

    @pytest.mark.parametrize("bad", UNSTORABLE)
    def test_a_value_no_database_stores_is_refused_naming_the_field(
        self, storage: Storage, tenant: str, bad: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            for value in (bad, ["C-even", bad]):
                query = Query(equals={"customer_id": value})
                for run in (uow.requests.query, uow.requests.count):
                    with pytest.raises(ValidationError) as info:
                        run(query)
                    error = info.value.errors[0]
                    assert (error.path, error.value) == ("equals.customer_id", bad)

    @pytest.mark.parametrize("bad", UNSTORABLE)
    def test_a_cursor_no_database_stores_is_refused(
        self, storage: Storage, tenant: str, bad: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            for cursor in ((bad, "R-1"), ("R-1", bad)):
                with pytest.raises(ValidationError) as info:
                    uow.requests.query(Query(after=cursor))
                assert info.value.errors[0].path == "after"

    def test_a_bad_limit_is_refused(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError, match="limit"):
            uow.requests.query(Query(limit=0))

    def test_uncommitted_changes_take_part_in_queries(
        self, storage: Storage, tenant: str, requests: list[Any]
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request(id="R-new", customer_id="C-odd"))
            req = uow.requests.get("R-1")
            req.customer_id = CustomerId("C-even")
            uow.requests.update(req)
            page = uow.requests.query(Query(equals={"customer_id": "C-odd"}))
            assert self.ids(page) == ["R-3", "R-5", "R-7", "R-9", "R-new"]

    def test_archives_are_found_by_serial_number(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.archive(), f.archive(id="A-2", serial_number="SN-0002"))
        with storage.unit_of_work(tenant) as uow:
            page = uow.archives.query(Query(equals={"serial_number": "SN-0002"}))
        assert self.ids(page) == ["A-2"]

    def test_contracts_are_found_by_date_ranges(self, storage: Storage, tenant: str) -> None:
        self.store(
            storage,
            tenant,
            f.contract(),
            f.contract(id="K-2", start=date(2027, 1, 1), end=date(2027, 12, 31)),
        )
        with storage.unit_of_work(tenant) as uow:
            page = uow.contracts.query(Query(before={"end": date(2027, 1, 1)}))
        assert self.ids(page) == ["K-1"]

    def test_technicians_are_found_by_a_boolean(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.technician(), f.technician(id="T-8", active=False))
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.technicians.query(Query(equals={"active": False}))) == ["T-8"]

    def test_a_technicians_dispatches_in_a_period_are_found_by_overlap(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(
            storage,
            tenant,
            f.dispatch(id="D-1", planned=_slot(0, 2)),
            f.dispatch(id="D-2", planned=_slot(2, 4), technician_id="T-8"),
            f.dispatch(id="D-3", planned=_slot(5, 6)),
        )
        q = Query(
            equals={"technician_id": "T-7"},
            before={"planned_start": f.NOW + timedelta(hours=5, minutes=30)},
            later_than={"planned_end": f.NOW + timedelta(hours=1)},
        )
        with storage.unit_of_work(tenant) as uow:
            assert self.ids(uow.dispatches.query(q)) == ["D-1", "D-3"]


class UnitOfWorkContract(_Base):
    """Atomicity: all of a unit of work commits, or none of it does."""

    def test_rollback_drops_every_change(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request(id="R-2"))
            req = uow.requests.get("R-1")
            req.symptoms = "changed"
            uow.requests.update(req)
            uow.rollback()
            assert uow.requests.find("R-2") is None
            assert uow.requests.get("R-1").symptoms == "Unit blows warm air"

    def test_leaving_the_block_without_commit_drops_every_change(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.find("R-1") is None

    def test_a_fault_between_two_writes_leaves_nothing_visible(
        self, storage: Storage, tenant: str
    ) -> None:
        class Fault(Exception):
            pass

        with pytest.raises(Fault), storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
            uow.collect(_event())
            raise Fault  # the use case dies before its second write and its commit
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.count() == 0
            assert uow.dispatches.count() == 0
        assert storage.pending_events(tenant) == ()

    def test_a_commit_that_fails_commits_nothing(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.request())
        with storage.unit_of_work(tenant) as slow, storage.unit_of_work(tenant) as fast:
            mine = slow.requests.get("R-1")
            mine.symptoms = "slow"
            slow.requests.update(mine)
            slow.requests.add(f.request(id="R-2"))
            slow.collect(_event())
            theirs = fast.requests.get("R-1")
            theirs.symptoms = "fast"
            fast.requests.update(theirs)
            fast.commit()
            with pytest.raises(ConcurrencyError):
                slow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.get("R-1").symptoms == "fast"
            assert uow.requests.find("R-2") is None
        assert storage.pending_events(tenant) == ()

    def test_a_unit_of_work_can_commit_again_after_a_commit(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
            uow.commit()
            uow.requests.add(f.request(id="R-2"))
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.count() == 2


class EventContract(_Base):
    """The outbox: events commit with the change and reach the host at least once."""

    def test_commit_returns_the_collected_events(self, storage: Storage, tenant: str) -> None:
        events = [_event(1), _event(2)]
        with storage.unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
            for e in events:
                uow.collect(e)
            assert tuple(uow.commit()) == tuple(events)

    def test_without_publisher_committed_events_are_pending_in_order(
        self, storage: Storage, tenant: str
    ) -> None:
        events = [_event(i) for i in range(3)]
        with storage.unit_of_work(tenant) as uow:
            for e in events:
                uow.collect(e)
            uow.commit()
        assert [e.id for e in storage.pending_events(tenant)] == [e.id for e in events]
        assert storage.pending_events(tenant)[0] == events[0]

    def test_collect_refuses_what_is_not_an_event(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError):
            uow.collect({"name": "x"})  # type: ignore[arg-type]  # not an event, on purpose

    def test_rolled_back_events_never_appear(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow:
            uow.collect(_event())
        assert storage.pending_events(tenant) == ()

    def test_the_publisher_gets_events_after_commit_and_they_are_acknowledged(
        self, storage_factory: Callable[..., Storage], tenant: str
    ) -> None:
        got: list[tuple[str, tuple[str, ...]]] = []
        storage = storage_factory(
            publisher=lambda t, evs: got.append((t, tuple(e.id for e in evs)))
        )
        event = _event()
        with storage.unit_of_work(tenant) as uow:
            uow.collect(event)
            uow.commit()
        assert got == [(tenant, (event.id,))]
        assert storage.pending_events(tenant) == ()

    def test_a_host_that_crashed_before_handling_finds_its_events_again(
        self, storage_factory: Callable[..., Storage], tenant: str
    ) -> None:
        def crash(tenant: str, events: Sequence[DomainEvent]) -> None:
            raise RuntimeError("host died")

        event = _event()
        with storage_factory(publisher=crash).unit_of_work(tenant) as uow:
            uow.requests.add(f.request())
            uow.collect(event)
            uow.commit()  # the change is committed even though the host failed
        restarted = storage_factory()
        assert [e.id for e in restarted.pending_events(tenant)] == [event.id]
        restarted.acknowledge(tenant, [event.id])
        assert restarted.pending_events(tenant) == ()
        with restarted.unit_of_work(tenant) as uow:
            assert uow.requests.find("R-1") is not None

    def test_acknowledging_is_idempotent_and_ignores_unknown_ids(
        self, storage: Storage, tenant: str
    ) -> None:
        event = _event()
        with storage.unit_of_work(tenant) as uow:
            uow.collect(event)
            uow.commit()
        storage.acknowledge(tenant, [event.id, "ev-unknown"])
        storage.acknowledge(tenant, [event.id])
        assert storage.pending_events(tenant) == ()

    @pytest.mark.parametrize("bad", UNSTORABLE)
    def test_an_event_id_no_database_stores_is_refused_naming_it(
        self, storage: Storage, tenant: str, bad: str
    ) -> None:
        calls: list[tuple[str, Callable[[], object]]] = [
            ("event_ids", lambda: storage.acknowledge(tenant, ["ev-1", bad])),
            ("event_ids", lambda: storage.retry_parked(tenant, [bad])),
            ("event_id", lambda: storage.record_delivery_failure(tenant, bad, OSError(), f.NOW)),
        ]
        for path, call in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert info.value.errors[0].path.startswith(path)
            assert info.value.errors[0].value == bad

    def test_pending_events_respect_the_limit(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow:
            for i in range(5):
                uow.collect(_event(i))
            uow.commit()
        assert len(storage.pending_events(tenant, limit=2)) == 2

    def test_an_event_id_is_stored_once(self, storage: Storage, tenant: str) -> None:
        event = _event()
        with storage.unit_of_work(tenant) as uow:
            uow.collect(event)
            uow.commit()
        with storage.unit_of_work(tenant) as uow, pytest.raises(DuplicateId):
            uow.collect(event)
            uow.commit()


class DeadLetterContract(_Base):
    """Failed deliveries: retried later without holding back later events, then parked."""

    RETRY = RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=1), factor=2)

    def committed(self, storage: Storage, tenant: str, n: int) -> list[DomainEvent]:
        events = [_event(i) for i in range(n)]
        with storage.unit_of_work(tenant) as uow:
            for e in events:
                uow.collect(e)
            uow.commit()
        return events

    def fail(self, storage: Storage, tenant: str, event: DomainEvent, minutes: int = 0) -> Any:
        at = f.NOW + timedelta(minutes=minutes)
        error = ConnectionError(f"refused at minute {minutes}")
        return storage.record_delivery_failure(tenant, event.id, error, at, self.RETRY)

    def test_a_failed_event_waits_for_its_retry_time_while_later_ones_are_due(
        self, storage: Storage, tenant: str
    ) -> None:
        first, second = self.committed(storage, tenant, 2)
        retry_at = self.fail(storage, tenant, first)
        assert retry_at == f.NOW + timedelta(minutes=1)
        assert storage.pending_events(tenant, due=f.NOW) == (second,)
        assert storage.pending_events(tenant, due=retry_at) == (first, second)
        assert storage.pending_events(tenant) == (first, second)

    def test_each_failure_waits_longer(self, storage: Storage, tenant: str) -> None:
        (event,) = self.committed(storage, tenant, 1)
        assert self.fail(storage, tenant, event) == f.NOW + timedelta(minutes=1)
        assert self.fail(storage, tenant, event, 1) == f.NOW + timedelta(minutes=3)

    def test_the_last_failed_attempt_parks_the_event_with_its_error(
        self, storage: Storage, tenant: str
    ) -> None:
        event, later = self.committed(storage, tenant, 2)
        for minute in (0, 1, 3):
            self.fail(storage, tenant, event, minute)
        assert storage.pending_events(tenant) == (later,)
        (parked,) = storage.parked_events(tenant)
        assert parked.event == event
        assert parked.attempts == 3
        assert parked.error == "ConnectionError: refused at minute 3"
        assert parked.parked_at == f.NOW + timedelta(minutes=3)

    def test_a_retried_parked_event_is_pending_and_due_again_with_no_failures(
        self, storage: Storage, tenant: str
    ) -> None:
        (event,) = self.committed(storage, tenant, 1)
        for minute in (0, 1, 3):
            self.fail(storage, tenant, event, minute)
        assert storage.retry_parked(tenant, [event.id, "ev-unknown"]) == 1
        assert storage.parked_events(tenant) == ()
        assert storage.pending_events(tenant, due=f.NOW) == (event,)
        assert self.fail(storage, tenant, event) == f.NOW + timedelta(minutes=1)

    def test_retrying_an_event_that_is_not_parked_changes_nothing(
        self, storage: Storage, tenant: str
    ) -> None:
        (event,) = self.committed(storage, tenant, 1)
        self.fail(storage, tenant, event)
        assert storage.retry_parked(tenant, [event.id]) == 0
        assert storage.pending_events(tenant, due=f.NOW) == ()

    def test_a_parked_event_acknowledged_later_is_neither_parked_nor_pending(
        self, storage: Storage, tenant: str
    ) -> None:
        (event,) = self.committed(storage, tenant, 1)
        for minute in (0, 1, 3):
            self.fail(storage, tenant, event, minute)
        storage.acknowledge(tenant, [event.id])
        assert storage.parked_events(tenant) == ()
        assert storage.pending_events(tenant) == ()

    def test_failures_and_parked_events_are_per_tenant(self, storage: Storage, tenant: str) -> None:
        (event,) = self.committed(storage, tenant, 1)
        for minute in (0, 1, 3):
            self.fail(storage, f"{tenant}-other", event, minute)
        assert storage.parked_events(f"{tenant}-other") == ()
        assert storage.pending_events(tenant, due=f.NOW) == (event,)

    def test_a_bad_limit_or_due_is_refused(self, storage: Storage, tenant: str) -> None:
        with pytest.raises(ValidationError):
            storage.parked_events(tenant, 0)
        with pytest.raises(ValidationError):
            storage.pending_events(tenant, due=datetime(2026, 3, 2))


class AuditContract(_Base):
    """The audit trail: append-only, chained, committed with the change."""

    @staticmethod
    def ctx(minutes: int = 0, **facts: Any) -> TransitionContext:
        return TransitionContext(
            actor=ACTOR, at=f.NOW + timedelta(minutes=minutes), facts=Facts(**facts)
        )

    def opened(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow:
            req = f.request(service_type=ServiceType.CONSULT, archive_id=None)
            REQUEST.create(req, self.ctx(), uow.audit)
            uow.requests.add(req)
            uow.commit()

    def test_entries_commit_with_the_change_and_the_chain_verifies(
        self, storage: Storage, tenant: str
    ) -> None:
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            ctx = TransitionContext(actor=ACTOR, at=f.NOW, reason="answered on the phone")
            REQUEST.fire(req, "close", ctx, uow.audit)
            uow.requests.update(req)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            entries = uow.audit.entries("ServiceRequest", "R-1")
            head = uow.audit.head("ServiceRequest", "R-1")
        assert [e.trigger for e in entries] == ["create", "close"]
        assert head == entries[-1]
        assert verify_chain(entries, head=req.audit_head).ok

    def test_entries_read_back_exactly(self, storage: Storage, tenant: str) -> None:
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as uow:
            (entry,) = uow.audit.entries("ServiceRequest", "R-1")
        assert entry.expected_hash() == entry.hash
        assert entry.at == f.NOW

    def test_an_entry_reads_back_with_its_payload(self, storage: Storage, tenant: str) -> None:
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            ctx = TransitionContext(
                actor=ACTOR, at=f.NOW, reason="answered", payload={"at": f.NOW, "n": [1, 2]}
            )
            REQUEST.fire(req, "close", ctx, uow.audit)
            uow.requests.update(req)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            entry = uow.audit.entries("ServiceRequest", "R-1")[-1]
        assert entry.payload == {"at": f.NOW.isoformat(), "n": [1, 2]}
        assert payload_digest(entry.payload) == entry.payload_digest

    @pytest.mark.parametrize("bad", UNSTORABLE)
    def test_an_entity_id_no_database_stores_is_refused_naming_it(
        self, storage: Storage, tenant: str, bad: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow:
            for read in (uow.audit.head, uow.audit.entries):
                with pytest.raises(ValidationError) as info:
                    read("ServiceRequest", bad)
                assert (info.value.errors[0].path, info.value.errors[0].value) == (
                    "entity_id",
                    bad,
                )

    def test_rolled_back_entries_disappear(self, storage: Storage, tenant: str) -> None:
        with storage.unit_of_work(tenant) as uow:
            REQUEST.create(
                f.request(), self.ctx(archive=f.archive(status=_registered())), uow.audit
            )
            assert uow.audit.head("ServiceRequest", "R-1") is not None
        with storage.unit_of_work(tenant) as uow:
            assert uow.audit.head("ServiceRequest", "R-1") is None
            assert uow.audit.entries("ServiceRequest", "R-1") == ()

    def test_an_entry_that_does_not_follow_the_head_is_refused(
        self, storage: Storage, tenant: str
    ) -> None:
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as uow:
            (first,) = uow.audit.entries("ServiceRequest", "R-1")
            second = AuditEntry.create(
                entity_kind="ServiceRequest",
                entity_id="R-1",
                trigger="hold",
                from_state="new",
                to_state="new",
                actor_id="cs-1",
                at=f.NOW,
                reason="",
                previous=first,
            )
            third = AuditEntry.create(
                entity_kind="ServiceRequest",
                entity_id="R-1",
                trigger="resume",
                from_state="new",
                to_state="new",
                actor_id="cs-1",
                at=f.NOW,
                reason="",
                previous=second,
            )
            with pytest.raises(AuditChainError):
                uow.audit.append(third)

    def test_a_second_first_entry_is_refused_as_a_duplicate(
        self, storage: Storage, tenant: str
    ) -> None:
        # A storage may find it when the entry is staged or only when the unit of work commits
        # (the kernel does not read a trail's head to start it); either way nothing is written.
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as uow:
            (first,) = uow.audit.entries("ServiceRequest", "R-1")
        with storage.unit_of_work(tenant) as uow, pytest.raises(DuplicateId, match="R-1"):
            uow.audit.append(first)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.audit.entries("ServiceRequest", "R-1") == (first,)

    def test_two_units_of_work_cannot_both_extend_one_chain(
        self, storage: Storage, tenant: str
    ) -> None:
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as a, storage.unit_of_work(tenant) as b:
            ra, rb = a.requests.get("R-1"), b.requests.get("R-1")
            ctx = TransitionContext(actor=ACTOR, at=f.NOW, reason="done")
            REQUEST.fire(ra, "close", ctx, a.audit)
            cancel = TransitionContext(
                actor=ACTOR, at=f.NOW, reason="done", facts=Facts(dispatches=[])
            )
            REQUEST.fire(rb, "cancel", cancel, b.audit)
            a.requests.update(ra)
            a.commit()
            with pytest.raises(ConcurrencyError):
                b.requests.update(rb)
                b.commit()
        with storage.unit_of_work(tenant) as uow:
            entries = uow.audit.entries("ServiceRequest", "R-1")
            assert [e.trigger for e in entries] == ["create", "close"]
            assert verify_chain(entries, head=uow.requests.get("R-1").audit_head).ok

    def test_a_change_committed_after_the_entity_was_loaded_is_a_concurrency_error(
        self, storage: Storage, tenant: str
    ) -> None:
        self.opened(storage, tenant)
        ctx = TransitionContext(actor=ACTOR, at=f.NOW, reason="done")
        with storage.unit_of_work(tenant) as late:
            stale = late.requests.get("R-1")
            with storage.unit_of_work(tenant) as first:
                req = first.requests.get("R-1")
                REQUEST.fire(req, "close", ctx, first.audit)
                first.requests.update(req)
                first.commit()
            with pytest.raises(ConcurrencyError):
                REQUEST.fire(stale, "close", ctx, late.audit)
                late.requests.update(stale)
                late.commit()
        with storage.unit_of_work(tenant) as uow:
            entries = uow.audit.entries("ServiceRequest", "R-1")
            assert [e.trigger for e in entries] == ["create", "close"]

    def test_a_chain_extended_between_reading_its_head_and_appending_is_a_concurrency_error(
        self, storage: Storage, tenant: str
    ) -> None:
        self.opened(storage, tenant)
        ctx = TransitionContext(actor=ACTOR, at=f.NOW, reason="done")
        with storage.unit_of_work(tenant) as late:
            head = late.audit.head("ServiceRequest", "R-1")
            assert head is not None
            with storage.unit_of_work(tenant) as first:
                req = first.requests.get("R-1")
                REQUEST.fire(req, "close", ctx, first.audit)
                first.requests.update(req)
                first.commit()
            entry = AuditEntry.create(
                entity_kind="ServiceRequest",
                entity_id="R-1",
                trigger="close",
                from_state=head.to_state,
                to_state="closed",
                actor_id=ACTOR.id,
                at=f.NOW,
                previous=head,
            )
            late.audit.append(entry)
            with pytest.raises(ConcurrencyError):
                late.commit()

    def test_an_entity_whose_head_was_changed_outside_its_lifecycle_is_refused_as_tampering(
        self, storage: Storage, tenant: str
    ) -> None:
        self.opened(storage, tenant)
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            req.audit_head = "0" * 64
            uow.requests.update(req)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            req = uow.requests.get("R-1")
            ctx = TransitionContext(actor=ACTOR, at=f.NOW, reason="done")
            with pytest.raises(AuditChainError, match="audit head"):
                REQUEST.fire(req, "close", ctx, uow.audit)


def _registered() -> Any:
    from servicecore.model.archive import ArchiveStatus

    return ArchiveStatus.REGISTERED


class TenancyContract(_Base):
    """A unit of work of tenant A never sees, counts or changes tenant B's records."""

    @pytest.fixture
    def other(self) -> str:
        return f"t-{uuid.uuid4().hex[:16]}"

    def test_ids_may_repeat_across_tenants(self, storage: Storage, tenant: str, other: str) -> None:
        self.store(storage, tenant, f.request(symptoms="tenant A"))
        self.store(storage, other, f.request(symptoms="tenant B"))
        with storage.unit_of_work(tenant) as a, storage.unit_of_work(other) as b:
            assert a.requests.get("R-1").symptoms == "tenant A"
            assert b.requests.get("R-1").symptoms == "tenant B"

    def test_another_tenants_records_are_not_found_counted_or_listed(
        self, storage: Storage, tenant: str, other: str
    ) -> None:
        self.store(storage, other, f.request(), f.dispatch())
        with storage.unit_of_work(tenant) as uow:
            assert uow.requests.find("R-1") is None
            with pytest.raises(NotFound):
                uow.dispatches.get("D-1")
            assert uow.requests.count() == 0
            assert list(uow.requests.iterate()) == []
            assert uow.requests.query(Query(equals={"customer_id": "C-1"})).items == ()

    def test_another_tenants_records_cannot_be_changed(
        self, storage: Storage, tenant: str, other: str
    ) -> None:
        self.store(storage, other, f.request())
        with storage.unit_of_work(tenant) as uow, pytest.raises(NotFound):
            uow.requests.update(f.request(version=1, symptoms="hijacked"))
        with storage.unit_of_work(other) as uow:
            assert uow.requests.get("R-1").symptoms == "Unit blows warm air"

    def test_audit_trails_and_events_are_per_tenant(
        self, storage: Storage, tenant: str, other: str
    ) -> None:
        with storage.unit_of_work(other) as uow:
            req = f.request(service_type=ServiceType.CONSULT, archive_id=None)
            REQUEST.create(req, AuditContract.ctx(), uow.audit)
            uow.requests.add(req)
            uow.collect(_event())
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.audit.head("ServiceRequest", "R-1") is None
        assert storage.pending_events(tenant) == ()
        assert len(storage.pending_events(other)) == 1

    def test_technician_slots_do_not_clash_across_tenants(
        self, storage: Storage, tenant: str, other: str
    ) -> None:
        self.store(storage, tenant, f.booking(technician_id="T-7"))
        self.store(storage, other, f.booking(technician_id="T-7"))


class SlotContract(_Base):
    """No double booking: overlapping claims on one technician's time never both commit."""

    def test_overlapping_bookings_of_one_technician_are_refused(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)))
        with pytest.raises(DoubleBooking, match="T-7"):
            self.store(storage, tenant, f.booking(id="B-2", technician_id="T-7", slot=_slot(1, 3)))
        with storage.unit_of_work(tenant) as uow:
            assert uow.bookings.find("B-2") is None

    def test_overlap_within_one_unit_of_work_is_refused(
        self, storage: Storage, tenant: str
    ) -> None:
        with pytest.raises(DoubleBooking):
            self.store(
                storage,
                tenant,
                f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)),
                f.booking(id="B-2", technician_id="T-7", slot=_slot(1, 3)),
            )
        with storage.unit_of_work(tenant) as uow:
            assert uow.bookings.count() == 0

    def test_back_to_back_slots_do_not_overlap(self, storage: Storage, tenant: str) -> None:
        self.store(
            storage,
            tenant,
            f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)),
            f.booking(id="B-2", technician_id="T-7", slot=_slot(2, 4)),
        )

    def test_other_technicians_and_unassigned_bookings_do_not_clash(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(
            storage,
            tenant,
            f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)),
            f.booking(id="B-2", technician_id="T-8", slot=_slot(0, 2)),
            f.booking(id="B-3", technician_id=None, slot=_slot(0, 2)),
        )

    def test_a_dispatch_clashes_with_a_booking_of_the_same_technician(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.booking(technician_id="T-7", slot=_slot(1, 3)))
        with pytest.raises(DoubleBooking):
            self.store(storage, tenant, f.dispatch(technician_id="T-7", planned=_slot(2, 4)))

    def test_a_cancelled_booking_frees_the_slot(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)))
        with storage.unit_of_work(tenant) as uow:
            b = uow.bookings.get("B-1")
            b.status = BookingStatus.CANCELLED
            uow.bookings.update(b)
            uow.bookings.add(f.booking(id="B-2", technician_id="T-7", slot=_slot(0, 2)))
            uow.commit()

    def test_moving_a_booking_onto_another_is_refused(self, storage: Storage, tenant: str) -> None:
        self.store(
            storage,
            tenant,
            f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)),
            f.booking(id="B-2", technician_id="T-7", slot=_slot(4, 6)),
        )
        with pytest.raises(DoubleBooking), storage.unit_of_work(tenant) as uow:
            b = uow.bookings.get("B-2")
            b.slot = _slot(1, 3)
            uow.bookings.update(b)
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            assert uow.bookings.get("B-2").slot == _slot(4, 6)

    def test_moving_a_booking_within_its_own_slot_is_fine(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.booking(id="B-1", technician_id="T-7", slot=_slot(0, 2)))
        with storage.unit_of_work(tenant) as uow:
            b = uow.bookings.get("B-1")
            b.slot = _slot(1, 3)
            uow.bookings.update(b)
            uow.commit()


class UniqueKeyContract(_Base):
    """One live product archive (draft or registered) per tenant, product code and serial."""

    @staticmethod
    def _twin(**kw: Any) -> Any:
        return f.archive(id="A-2", **kw)

    def test_a_second_live_archive_of_a_serial_is_refused_naming_it(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.archive(status=ArchiveStatus.REGISTERED))
        with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError) as info:
            uow.archives.add(self._twin())
            uow.commit()
        assert info.value.errors[0].path == "serial_number"
        with storage.unit_of_work(tenant) as uow:
            assert [a.id for a in uow.archives.query()] == ["A-1"]

    def test_two_live_archives_of_a_serial_in_one_unit_of_work_are_refused(
        self, storage: Storage, tenant: str
    ) -> None:
        with storage.unit_of_work(tenant) as uow, pytest.raises(ValidationError) as info:
            uow.archives.add(f.archive())
            uow.archives.add(self._twin())
            uow.commit()
        assert info.value.errors[0].path == "serial_number"
        with storage.unit_of_work(tenant) as uow:
            assert uow.archives.count() == 0

    def test_an_invalidated_archive_frees_its_serial(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.archive(status=ArchiveStatus.INVALIDATED))
        self.store(storage, tenant, self._twin())
        with storage.unit_of_work(tenant) as uow:
            assert uow.archives.count() == 2

    def test_invalidating_and_taking_a_serial_in_one_unit_of_work(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.archive(status=ArchiveStatus.REGISTERED))
        with storage.unit_of_work(tenant) as uow:
            old = uow.archives.get("A-1")
            old.status = ArchiveStatus.INVALIDATED
            uow.archives.update(old)
            uow.archives.add(self._twin())
            uow.commit()
        with storage.unit_of_work(tenant) as uow:
            live = uow.archives.query(Query(equals={"status": ArchiveStatus.live()}))
            assert [a.id for a in live] == ["A-2"]

    def test_another_product_or_tenant_may_use_the_serial(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.archive())
        self.store(storage, tenant, self._twin(product_code="HEATER-5"))
        self.store(storage, f"{tenant}-other", f.archive())
        with storage.unit_of_work(tenant) as uow:
            assert uow.archives.count() == 2


def _run_threads(n: int, work: Callable[[int, Callable[[], None]], Any]) -> list[Any]:
    """Run ``work(i, sync)`` in ``n`` threads started together; ``sync()`` is a second rendezvous.

    A thread that fails before its rendezvous breaks the barrier, so the others do not hang.
    """
    start = threading.Barrier(n)
    middle = threading.Barrier(n)
    results: list[Any] = [None] * n
    passed = [False] * n

    def run(i: int) -> None:
        def sync() -> None:
            middle.wait(timeout=60)
            passed[i] = True

        start.wait(timeout=60)
        try:
            results[i] = work(i, sync)
        except Exception as exc:
            if not passed[i]:
                middle.abort()
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


class ConcurrencyContract(_Base):
    """Real threads: exactly one commit per version, exactly one booking per slot."""

    writers = 8

    def test_concurrent_writers_of_one_version_exactly_one_commits(
        self, storage: Storage, tenant: str
    ) -> None:
        self.store(storage, tenant, f.request())

        def write(i: int, sync: Callable[[], None]) -> str:
            with storage.unit_of_work(tenant) as uow:
                req = uow.requests.get("R-1")
                sync()  # every writer holds version 1 before anyone writes
                req.symptoms = f"writer {i}"
                uow.requests.update(req)
                uow.commit()
            return req.symptoms

        results = _run_threads(self.writers, write)
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if isinstance(r, ConcurrencyError)]
        assert len(won) == 1, results
        assert len(won) + len(lost) == self.writers, results
        with storage.unit_of_work(tenant) as uow:
            back = uow.requests.get("R-1")
        assert (back.symptoms, back.version) == (won[0], 2)

    def test_writers_that_retry_lose_nothing(self, storage: Storage, tenant: str) -> None:
        self.store(storage, tenant, f.request(required_skills=()))

        def write(i: int, _sync: Callable[[], None]) -> int:
            attempts = 0
            while True:
                attempts += 1
                try:
                    with storage.unit_of_work(tenant) as uow:
                        req = uow.requests.get("R-1")
                        req.required_skills = (*req.required_skills, f"skill-{i}")
                        uow.requests.update(req)
                        uow.commit()
                        return attempts
                except ConcurrencyError:
                    continue

        results = _run_threads(self.writers, write)
        assert all(isinstance(r, int) for r in results), results
        with storage.unit_of_work(tenant) as uow:
            back = uow.requests.get("R-1")
        assert sorted(back.required_skills) == sorted(f"skill-{i}" for i in range(self.writers))
        assert back.version == 1 + self.writers

    def test_clients_booking_one_slot_exactly_one_succeeds(
        self, storage: Storage, tenant: str
    ) -> None:
        def book(i: int, sync: Callable[[], None]) -> str:
            booking = f.booking(
                id=f"B-{i}",
                reference=f"SB-{i}",
                technician_id="T-7",
                slot=_slot(0 + i * 0.1, 2 + i * 0.1),
            )
            with storage.unit_of_work(tenant) as uow:
                sync()
                uow.bookings.add(booking)
                uow.commit()
            return booking.id

        results = _run_threads(self.writers, book)
        won = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, DoubleBooking)]
        assert len(won) == 1, results
        assert len(refused) == self.writers - 1, results
        with storage.unit_of_work(tenant) as uow:
            assert [b.id for b in uow.bookings.query()] == won

    def test_concurrent_archives_of_one_serial_exactly_one_commits(
        self, storage: Storage, tenant: str
    ) -> None:
        def register(i: int, sync: Callable[[], None]) -> str:
            archive = f.archive(id=f"A-{i}", status=ArchiveStatus.REGISTERED)
            with storage.unit_of_work(tenant) as uow:
                uow.archives.add(archive)
                sync()  # every writer has found the serial free before anyone commits
                uow.commit()
            return archive.id

        results = _run_threads(self.writers, register)
        won = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(won) == 1, results
        assert len(refused) == self.writers - 1, results
        assert all(e.errors[0].path == "serial_number" for e in refused), results
        with storage.unit_of_work(tenant) as uow:
            assert [a.id for a in uow.archives.query()] == won

    def test_units_of_work_of_different_tenants_run_side_by_side(self, storage: Storage) -> None:
        tenants = [f"t-{uuid.uuid4().hex[:12]}" for _ in range(4)]

        def work(i: int, _sync: Callable[[], None]) -> int:
            with storage.unit_of_work(tenants[i]) as uow:
                for n in range(5):
                    uow.requests.add(f.request(id=f"R-{n}"))
                uow.commit()
            with storage.unit_of_work(tenants[i]) as uow:
                return uow.requests.count()

        assert _run_threads(4, work) == [5, 5, 5, 5]


class StorageContract(
    RepositoryContract,
    QueryContract,
    UnitOfWorkContract,
    EventContract,
    DeadLetterContract,
    AuditContract,
    TenancyContract,
    SlotContract,
    UniqueKeyContract,
    ConcurrencyContract,
):
    """Every suite at once: subclass this and give a ``storage_factory`` fixture."""
