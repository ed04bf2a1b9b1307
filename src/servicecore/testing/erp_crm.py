"""The host's customer directory (CRM) for tests, and the contract a host's own must keep.

:class:`InMemoryCustomerDirectory` implements :class:`~servicecore.ports.CustomerDirectory`
over a list of :class:`~servicecore.ports.CustomerContact`. A host proves its adapter with::

    import pytest
    from servicecore.testing.erp_crm import CustomerDirectoryContract

    class TestMyCrm(CustomerDirectoryContract):
        @pytest.fixture
        def directory_factory(self):
            def make(contacts):
                load_into_test_crm(contacts)  # the host's own seeding
                return MyCrmDirectory(TEST_CRM_URL)
            return make

The factory receives the customers the test needs and returns a directory holding exactly those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from servicecore.adapters.erp_memory import InMemoryCustomerDirectory
from servicecore.errors import NotFound
from servicecore.ports import CustomerContact, CustomerDirectory

__all__ = ["CustomerDirectoryContract", "InMemoryCustomerDirectory"]


_GOLD_B = CustomerContact(
    customer_id="C-20", name="Bambang", category="gold", phone="+62 812 555 0120"
)
_GOLD_A = CustomerContact(
    customer_id="C-10",
    name="Ayu",
    category="gold",
    email="ayu@example.id",
    phone="+62 812 555 0110",
    postal_address="Jl. Merdeka 1, Bandung",
)
_SILVER = CustomerContact(customer_id="C-15", name="Sari", category="silver", email="s@example.id")


class CustomerDirectoryContract:
    """The promises of :class:`~servicecore.ports.CustomerDirectory`, as tests.

    Subclass it and override the ``directory_factory`` fixture (see the module docs).
    """

    @pytest.fixture
    def directory_factory(self) -> Callable[[Sequence[CustomerContact]], CustomerDirectory]:
        """Override: return ``make(contacts)`` giving a directory of exactly ``contacts``."""
        raise NotImplementedError("override directory_factory to test your directory")

    @pytest.fixture
    def directory(
        self, directory_factory: Callable[[Sequence[CustomerContact]], CustomerDirectory]
    ) -> CustomerDirectory:
        """A directory of two gold customers (given out of id order) and one silver."""
        return directory_factory([_GOLD_B, _SILVER, _GOLD_A])

    def test_in_category_returns_only_that_category_by_id(
        self, directory: CustomerDirectory
    ) -> None:
        """Customers of the category, ordered by id, each with every field kept."""
        assert list(directory.in_category("gold")) == [_GOLD_A, _GOLD_B]
        assert list(directory.in_category("silver")) == [_SILVER]

    def test_an_unknown_category_is_empty(self, directory: CustomerDirectory) -> None:
        """No customer in a category is an empty result, not an error."""
        assert list(directory.in_category("platinum")) == []

    def test_get_returns_the_customer(self, directory: CustomerDirectory) -> None:
        """``get`` finds a customer by id with all contact details."""
        assert directory.get("C-10") == _GOLD_A
        assert directory.get("C-20").email is None

    def test_get_of_an_unknown_id_raises_not_found_naming_it(
        self, directory: CustomerDirectory
    ) -> None:
        """A missing customer raises ``NotFound`` (also a ``LookupError``) naming the id."""
        with pytest.raises(NotFound, match="C-404") as raised:
            directory.get("C-404")
        assert isinstance(raised.value, LookupError)

    def test_an_empty_directory_is_empty(
        self, directory_factory: Callable[[Sequence[CustomerContact]], CustomerDirectory]
    ) -> None:
        """A directory with no customers answers every category with nothing."""
        assert list(directory_factory([]).in_category("gold")) == []
