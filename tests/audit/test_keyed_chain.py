"""The keyed audit chain: what each scheme detects and, as documented, what it does not.

Trails are written through a storage (memory; SQLite and PostgreSQL where the database is the
attacker's tool); the attacker's edits are made on what the storage returns, as someone with
write access to the database but not to the host's secret would make them.
"""

import logging
import pickle
from datetime import timedelta

import attrs
import pytest

from servicecore.adapters.memory import MemoryStorage
from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
from servicecore.errors import ValidationError
from servicecore.lifecycle import REQUEST, TransitionContext
from servicecore.model.actor import Actor, Role
from servicecore.model.audit import AuditEntry, AuditKey, AuditScheme, verify_chain
from servicecore.model.enums import ServiceType
from servicecore.testing import factories as f

KEY = AuditKey(b"k" * 32)
OTHER_KEY = AuditKey(b"x" * 32)
ACTOR = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})


def ctx(minutes=0, reason=""):
    return TransitionContext(actor=ACTOR, at=f.NOW + timedelta(minutes=minutes), reason=reason)


def write_trail(storage, tenant="acme"):
    """A request created and closed: a trail of two entries; returns (entries, head)."""
    with storage.unit_of_work(tenant) as uow:
        request = f.request(service_type=ServiceType.CONSULT, archive_id=None)
        REQUEST.create(request, ctx(), uow.audit)
        uow.requests.add(request)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        request = uow.requests.get("R-1")
        REQUEST.fire(request, "close", ctx(5, "answered"), uow.audit)
        uow.requests.update(request)
        uow.commit()
    with storage.unit_of_work(tenant) as uow:
        return list(uow.audit.entries("ServiceRequest", "R-1")), uow.requests.get("R-1").audit_head


def rechain(entries, seal):
    """The attacker's consistent rewrite: every entry re-sealed by ``seal``, links fixed up."""
    out = []
    for entry in entries:
        prev = out[-1].hash if out else ""
        out.append(seal(attrs.evolve(entry, prev_hash=prev)))
    return out


def edited(entries):
    return [attrs.evolve(entries[0], reason="never said"), *entries[1:]]


@pytest.fixture
def keyed():
    return write_trail(MemoryStorage(audit_key=KEY))


@pytest.fixture
def unkeyed():
    return write_trail(MemoryStorage())


# --- what the storage writes ----------------------------------------------------------------


def test_a_storage_with_a_key_writes_keyed_entries_sealed_for_the_tenant(keyed):
    entries, head = keyed
    assert {e.scheme for e in entries} == {AuditScheme.KEYED}
    assert {e.tenant for e in entries} == {"acme"}
    assert verify_chain(entries, head, key=KEY, tenant="acme", require_keyed=True).ok


def test_a_storage_without_a_key_writes_entries_hashed_with_the_tenant(unkeyed):
    entries, head = unkeyed
    assert {e.scheme for e in entries} == {AuditScheme.TENANT}
    assert verify_chain(entries, head, tenant="acme").ok


def test_a_keyed_trail_cannot_be_checked_without_the_key(keyed):
    entries, head = keyed
    verdict = verify_chain(entries, head)
    assert not verdict.ok
    assert "no audit key" in verdict.problems[0]


def test_a_keyed_trail_does_not_verify_under_another_key(keyed):
    entries, head = keyed
    assert not verify_chain(entries, head, key=OTHER_KEY).ok


# --- detected with the key --------------------------------------------------------------------


def test_with_the_key_an_edited_entry_is_detected(keyed):
    entries, head = keyed
    assert "edited" in verify_chain(edited(entries), head, key=KEY).problems[0]


def test_with_the_key_a_consistent_rewrite_under_a_guessed_key_is_detected(keyed):
    entries, _ = keyed
    forged = rechain(edited(entries), lambda e: e.sealed("acme", OTHER_KEY))
    assert not verify_chain(forged, forged[-1].hash, key=KEY).ok


def test_with_the_key_a_trail_rewritten_without_it_after_keyed_entries_is_detected(keyed):
    entries, _ = keyed
    downgraded = [entries[0], *rechain(entries, lambda e: e.sealed("acme"))[1:]]
    downgraded[1] = attrs.evolve(downgraded[1], prev_hash=entries[0].hash)
    downgraded[1] = downgraded[1].sealed("acme")
    verdict = verify_chain(downgraded, downgraded[-1].hash, key=KEY)
    assert any("after a keyed entry" in p for p in verdict.problems)


def test_with_the_key_and_require_keyed_a_whole_trail_rewritten_without_it_is_detected(keyed):
    entries, _ = keyed
    forged = rechain(edited(entries), lambda e: e.sealed("acme"))
    verdict = verify_chain(forged, forged[-1].hash, key=KEY, require_keyed=True)
    assert any("not hashed with the audit key" in p for p in verdict.problems)


def test_with_the_key_a_forged_newest_entry_with_the_head_fixed_up_is_detected(keyed):
    entries, _ = keyed
    forged = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-1",
        trigger="reopen",
        from_state="closed",
        to_state="received",
        actor_id="cs-1",
        at=f.NOW + timedelta(hours=1),
        previous=entries[-1],
    )
    forged = attrs.evolve(forged, tenant="acme", scheme=AuditScheme.KEYED)
    trail = [*entries, forged]
    assert "edited" in verify_chain(trail, forged.hash, key=KEY).problems[0]


def test_with_the_key_a_trail_moved_to_another_tenant_is_detected_even_re_sealed(keyed):
    entries, head = keyed
    moved = rechain(entries, lambda e: attrs.evolve(e, tenant="rival", hash=e.hash))
    assert not verify_chain(moved, head, key=KEY, tenant="rival").ok
    resealed = rechain(entries, lambda e: e.sealed("rival", OTHER_KEY))
    assert not verify_chain(resealed, resealed[-1].hash, key=KEY, tenant="rival").ok


# --- detected without a key -------------------------------------------------------------------


def test_without_a_key_an_edited_entry_is_detected(unkeyed):
    entries, head = unkeyed
    assert not verify_chain(edited(entries), head).ok


def test_without_a_key_a_trail_copied_to_another_tenant_is_detected(unkeyed):
    entries, head = unkeyed
    copied = [attrs.evolve(e, tenant="rival") for e in entries]
    assert any("edited" in p for p in verify_chain(copied, head, tenant="rival").problems)


def test_a_trail_read_from_another_tenant_than_it_was_sealed_for_is_detected(unkeyed):
    entries, head = unkeyed
    verdict = verify_chain(entries, head, tenant="rival")
    assert any("sealed for tenant acme" in p for p in verdict.problems)


# --- not detected (the threat model says so) ---------------------------------------------------


def test_without_a_key_a_consistent_rewrite_with_the_head_fixed_up_is_not_detected(unkeyed):
    entries, _ = unkeyed
    forged = rechain(edited(entries), lambda e: e.sealed("acme"))
    assert verify_chain(forged, forged[-1].hash, tenant="acme").ok


def test_without_a_key_a_trail_moved_and_re_sealed_for_another_tenant_is_not_detected(unkeyed):
    entries, _ = unkeyed
    moved = rechain(entries, lambda e: e.sealed("rival"))
    assert verify_chain(moved, moved[-1].hash, tenant="rival").ok


def test_with_the_key_a_trail_cut_back_with_the_entitys_head_rolled_back_is_not_detected(keyed):
    entries, _ = keyed
    assert verify_chain(entries[:1], entries[0].hash, key=KEY).ok


def test_with_the_key_but_without_require_keyed_a_whole_unkeyed_rewrite_is_not_detected(keyed):
    entries, _ = keyed
    forged = rechain(edited(entries), lambda e: e.sealed("acme"))
    assert verify_chain(forged, forged[-1].hash, key=KEY).ok


def test_plain_entries_do_not_cover_the_tenant():
    entries = rechain(
        [
            AuditEntry.create(
                entity_kind="ServiceRequest",
                entity_id="R-1",
                trigger="create",
                from_state="",
                to_state="received",
                actor_id="cs-1",
                at=f.NOW,
            )
        ],
        lambda e: attrs.evolve(e, tenant="rival", hash=e.expected_hash()),
    )
    assert verify_chain(entries, entries[-1].hash, tenant="rival").ok


# --- the key itself ---------------------------------------------------------------------------


def test_a_short_key_is_refused_without_showing_it():
    with pytest.raises(ValidationError) as caught:
        AuditKey(b"short secret")
    assert caught.value.errors[0].path == "audit_key"
    assert "short secret" not in str(caught.value)


def test_a_storage_refuses_a_key_that_is_not_an_audit_key_without_showing_it():
    with pytest.raises(ValidationError) as caught:
        MemoryStorage(audit_key=b"s" * 32)
    assert "sss" not in str(caught.value)


def test_the_key_never_shows_in_a_repr_or_pickle():
    assert "kkkk" not in repr(KEY)
    with pytest.raises(TypeError):
        pickle.dumps(KEY)


def test_the_key_is_never_stored_in_the_database(tmp_path):
    secret = b"this-host-secret-is-never-stored!"
    path = tmp_path / "keyed.db"
    with SQLAlchemyStorage(path, audit_key=AuditKey(secret)) as storage:
        write_trail(storage)
    for file in tmp_path.iterdir():
        assert secret not in file.read_bytes()


def test_the_key_is_never_logged(caplog):
    secret = b"this-host-secret-is-never-logged!"
    with caplog.at_level(logging.DEBUG):
        write_trail(MemoryStorage(audit_key=AuditKey(secret)))
    assert secret.decode() not in caplog.text


def test_an_entry_built_after_the_head_as_its_caller_built_it_is_linked_to_the_sealed_head():
    storage = MemoryStorage(audit_key=KEY)
    first = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-1",
        trigger="create",
        from_state="",
        to_state="received",
        actor_id="cs-1",
        at=f.NOW,
    )
    then = AuditEntry.create(
        entity_kind="ServiceRequest",
        entity_id="R-1",
        trigger="close",
        from_state="received",
        to_state="closed",
        actor_id="cs-1",
        at=f.NOW,
        previous=first,
    )
    with storage.unit_of_work("acme") as uow:
        uow.audit.append(first)
        newest = uow.audit.append(then)
        uow.commit()
    with storage.unit_of_work("acme") as uow:
        entries = uow.audit.entries("ServiceRequest", "R-1")
    assert verify_chain(entries, newest.hash, key=KEY, tenant="acme", require_keyed=True).ok
