import pytest

from servicecore.errors import PermissionDenied
from servicecore.model.actor import Actor, Role
from servicecore.services.permissions import DEFAULT_POLICY, DEFAULT_RULES, RolePolicy
from servicecore.testing import factories as f

TECH = Actor(id="u-7", roles={Role.TECHNICIAN}, technician_id="T-7")
OTHER_TECH = Actor(id="u-8", roles={Role.TECHNICIAN}, technician_id="T-8")
SUP = Actor(id="sup", roles={Role.SUPERVISOR})
CS = Actor(id="cs", roles={Role.CUSTOMER_SERVICE})
ADMIN = Actor(id="root", roles={Role.ADMIN})
CUSTOMER = Actor(id="C-1", roles={Role.CUSTOMER})
STRANGER = Actor(id="C-2", roles={Role.CUSTOMER})


def test_a_technician_accepts_their_own_dispatch():
    DEFAULT_POLICY.check(TECH, "accept_dispatch", f.dispatch())


def test_a_technician_may_not_accept_another_technicians_dispatch():
    with pytest.raises(PermissionDenied, match="assigned to technician T-7"):
        DEFAULT_POLICY.check(OTHER_TECH, "accept_dispatch", f.dispatch())


def test_only_a_supervisor_revokes():
    DEFAULT_POLICY.check(SUP, "revoke_dispatch", f.dispatch())
    for actor in (TECH, CS):
        with pytest.raises(PermissionDenied, match="allowed: supervisor"):
            DEFAULT_POLICY.check(actor, "revoke_dispatch", f.dispatch())


def test_a_customer_changes_only_their_own_booking():
    DEFAULT_POLICY.check(CUSTOMER, "cancel_booking", f.booking())
    with pytest.raises(PermissionDenied, match="belongs to customer C-1"):
        DEFAULT_POLICY.check(STRANGER, "cancel_booking", f.booking())


def test_staff_act_on_any_customers_booking():
    DEFAULT_POLICY.check(CS, "cancel_booking", f.booking())


def test_an_admin_may_do_anything():
    DEFAULT_POLICY.check(ADMIN, "revoke_dispatch", f.dispatch())
    DEFAULT_POLICY.check(ADMIN, "unknown_command")


def test_an_unlisted_command_is_refused_to_everyone_else():
    with pytest.raises(PermissionDenied, match="administrators only"):
        DEFAULT_POLICY.check(SUP, "drop_database")


def test_a_host_can_replace_the_rules():
    strict = RolePolicy({**DEFAULT_RULES, "close_request": frozenset({Role.SUPERVISOR})})
    strict.check(SUP, "close_request")
    with pytest.raises(PermissionDenied):
        strict.check(TECH, "close_request")


def test_the_refusal_names_actor_command_and_roles():
    with pytest.raises(PermissionDenied) as info:
        DEFAULT_POLICY.check(CUSTOMER, "revoke_dispatch")
    assert "C-1 (customer) may not revoke_dispatch" in str(info.value)
