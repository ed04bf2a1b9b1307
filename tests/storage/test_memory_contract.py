from contextlib import contextmanager

import pytest

from servicecore.adapters.memory import MemoryBackend, MemoryStorage
from servicecore.testing.contract import StorageContract


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage_factory(self):
        shared = MemoryStorage()

        def open_storage(publisher=None):
            # Several "processes" over one memory: the same data, each with its own publisher.
            view = MemoryStorage(publisher=publisher)
            view._tenants = shared._tenants
            view._lock = shared._lock
            return view

        return open_storage


class _LosesUpdates(MemoryStorage):
    """A broken adapter: it never checks versions."""

    def unit_of_work(self, tenant):
        uow = super().unit_of_work(tenant)
        repo = uow.requests

        def careless_update(entity):
            uow.pending[("ServiceRequest", entity.id)] = entity

        repo.update = careless_update
        uow.bases.clear()
        return uow


class _IgnoresTenants(MemoryStorage):
    """A broken adapter: every tenant shares one space."""

    def unit_of_work(self, tenant):
        return super().unit_of_work("shared")


def test_the_contract_catches_an_adapter_that_loses_updates():
    with pytest.raises(pytest.fail.Exception):
        StorageContract().test_a_stale_update_raises_concurrency_error_and_loses_nothing(
            _LosesUpdates(), "t-broken"
        )


def test_the_contract_catches_an_adapter_that_mixes_tenants():
    with pytest.raises(AssertionError):
        StorageContract().test_another_tenants_records_are_not_found_counted_or_listed(
            _IgnoresTenants(), "t-a", "t-b"
        )


class _CarelessBatch:
    """A broken backend's write batch: it never checks the version it is given."""

    def __init__(self, batch):
        self._batch = batch
        self.refusal = None

    def __getattr__(self, name):
        return getattr(self._batch, name)

    def save(self, spec, entity, expected):
        self._batch.records[(spec.kind, entity.id)] = entity
        return True


class _CarelessBackend(MemoryBackend):
    @contextmanager
    def transaction(self, tenant):
        with super().transaction(tenant) as batch:
            yield _CarelessBatch(batch)


def test_the_contract_catches_a_backend_that_ignores_versions():
    storage = MemoryStorage()
    storage.backend = _CarelessBackend(storage)
    with pytest.raises(pytest.fail.Exception):
        StorageContract().test_a_stale_update_raises_concurrency_error_and_loses_nothing(
            storage, "t-broken"
        )
