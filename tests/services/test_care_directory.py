"""The in-memory customer directory keeps the contract hosts' directories must keep."""

import pytest

from servicecore.errors import ValidationError
from servicecore.ports import CustomerContact
from servicecore.testing.erp_crm import CustomerDirectoryContract, InMemoryCustomerDirectory


class TestInMemoryCustomerDirectory(CustomerDirectoryContract):
    @pytest.fixture
    def directory_factory(self):
        return InMemoryCustomerDirectory


def test_a_duplicate_customer_is_refused():
    one = CustomerContact(customer_id="C-1", name="Adi", category="gold")
    directory = InMemoryCustomerDirectory([one])
    with pytest.raises(ValidationError, match="C-1"):
        directory.add(CustomerContact(customer_id="C-1", name="Other", category="silver"))
    with pytest.raises(ValidationError, match="CustomerContact"):
        directory.add("C-2")
    assert list(directory.in_category("silver")) == []


class _Broken(InMemoryCustomerDirectory):
    def in_category(self, category):
        return list(reversed(super().in_category(category)))


def test_the_contract_catches_a_directory_out_of_order():
    suite = CustomerDirectoryContract()
    directory = _Broken(
        [
            CustomerContact(customer_id="C-20", name="B", category="gold"),
            CustomerContact(customer_id="C-10", name="A", category="gold"),
        ]
    )
    with pytest.raises(AssertionError):
        suite.test_in_category_returns_only_that_category_by_id(directory)
