from datetime import UTC, datetime, timedelta

import attrs
import pytest

from servicecore.errors import AuditChainError, DuplicateId
from servicecore.model.audit import GENESIS, AuditEntry, AuditLog, payload_digest, verify_chain

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def chain(n: int, entity_id: str = "R-1") -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        entries.append(
            AuditEntry.create(
                entity_kind="ServiceRequest",
                entity_id=entity_id,
                trigger=f"t{i}",
                from_state=f"s{i}",
                to_state=f"s{i + 1}",
                actor_id="cs-1",
                at=T0 + timedelta(minutes=i),
                reason="" if i % 2 else f"reason {i}",
                payload={"i": i},
                previous=entries[-1] if entries else None,
            )
        )
    return entries


def test_an_untouched_chain_verifies():
    entries = chain(5)
    assert verify_chain(entries, head=entries[-1].hash).ok


def test_the_first_entry_links_to_genesis_and_seq_counts_from_one():
    entries = chain(3)
    assert entries[0].prev_hash == GENESIS
    assert [e.seq for e in entries] == [1, 2, 3]


def test_an_edited_entry_is_detected():
    entries = chain(4)
    entries[2] = attrs.evolve(entries[2], actor_id="someone-else")
    verdict = verify_chain(entries)
    assert not verdict.ok
    assert any("seq 3" in p and "edited" in p for p in verdict.problems)


def test_an_entry_edited_with_a_recomputed_hash_breaks_the_next_link():
    entries = chain(4)
    forged = attrs.evolve(entries[1], reason="forged")
    forged = attrs.evolve(forged, hash=forged.expected_hash())
    entries[1] = forged
    verdict = verify_chain(entries)
    assert any("seq 3" in p and "link" in p for p in verdict.problems)


def test_a_removed_middle_entry_is_detected():
    entries = chain(4)
    del entries[1]
    assert not verify_chain(entries).ok


def test_a_removed_newest_entry_is_detected_against_the_head():
    entries = chain(4)
    head = entries[-1].hash
    assert verify_chain(entries[:-1]).ok  # without the anchor nothing shows
    verdict = verify_chain(entries[:-1], head=head)
    assert any("removed" in p for p in verdict.problems)


def test_reordered_entries_are_detected():
    entries = chain(4)
    entries[1], entries[2] = entries[2], entries[1]
    assert not verify_chain(entries).ok


def test_a_foreign_entry_is_detected():
    entries = chain(3)
    other = chain(1, entity_id="R-2")
    assert not verify_chain([*entries, *other]).ok


def test_raise_for_problems_raises_audit_chain_error():
    entries = chain(2)
    entries.reverse()
    with pytest.raises(AuditChainError, match="seq"):
        verify_chain(entries).raise_for_problems()


def test_an_empty_chain_verifies_only_without_a_head():
    assert verify_chain([]).ok
    assert not verify_chain([], head="abc").ok


def test_payload_digest_ignores_key_order_and_timezone_of_equal_instants():
    from datetime import timezone

    a = payload_digest({"x": 1, "at": T0})
    b = payload_digest({"at": T0.astimezone(timezone(timedelta(hours=7))), "x": 1})
    assert a == b
    assert payload_digest({"x": 2, "at": T0}) != a


def test_payload_digest_refuses_values_without_a_canonical_form():
    with pytest.raises(TypeError, match="object"):
        payload_digest({"x": object()})


def test_the_log_refuses_an_entry_that_does_not_follow_the_head():
    log = AuditLog()
    entries = chain(3)
    log.append(entries[0])
    with pytest.raises(AuditChainError, match="does not follow"):
        log.append(entries[2])
    assert log.entries("ServiceRequest", "R-1") == (entries[0],)


def test_the_log_refuses_a_second_first_entry_as_a_duplicate():
    log = AuditLog(chain(1))
    with pytest.raises(DuplicateId, match="has been created before"):
        log.append(chain(1)[0])
    assert len(log) == 1


def test_the_log_keeps_chains_per_entity():
    log = AuditLog([*chain(2, "A"), *chain(3, "B")])
    assert len(log) == 5
    assert log.head("ServiceRequest", "B") is not None
    assert log.head("ServiceRequest", "C") is None
    assert [e.seq for e in log.entries("ServiceRequest", "B")] == [1, 2, 3]
    assert sorted(e.entity_id for e in log) == ["A", "A", "B", "B", "B"]


def test_previous_entry_of_another_entity_is_refused():
    first = chain(1, "A")[0]
    with pytest.raises(AuditChainError, match="previous entry"):
        AuditEntry.create(
            entity_kind="ServiceRequest",
            entity_id="B",
            trigger="x",
            from_state="a",
            to_state="b",
            actor_id="u",
            at=T0,
            previous=first,
        )


def test_an_entry_keeps_its_payload_in_the_form_its_digest_was_computed_from():
    from decimal import Decimal

    from servicecore.model.enums import Priority

    (entry,) = [
        AuditEntry.create(
            entity_kind="ServiceRequest",
            entity_id="R-1",
            trigger="regrade",
            from_state="open",
            to_state="open",
            actor_id="cs-1",
            at=T0,
            payload={
                "priority": {"from": Priority.URGENT, "to": Priority.EMERGENCY},
                "h": Decimal("1.5"),
                "due": T0,
            },
        )
    ]
    assert entry.payload == {
        "priority": {"from": "urgent", "to": "emergency"},
        "h": "1.5",
        "due": T0.isoformat(),
    }
    assert payload_digest(entry.payload) == entry.payload_digest


def test_an_entry_without_a_payload_keeps_an_empty_one():
    (entry,) = [
        AuditEntry.create(
            entity_kind="ServiceRequest",
            entity_id="R-1",
            trigger="create",
            from_state="",
            to_state="open",
            actor_id="cs-1",
            at=T0,
        )
    ]
    assert entry.payload == {}


def test_an_entry_written_before_payloads_were_kept_has_none_and_still_verifies():
    entries = [attrs.evolve(e, payload_json="") for e in chain(2)]
    assert [e.payload for e in entries] == [None, None]
    assert verify_chain(entries, head=entries[-1].hash).ok


def test_a_stored_payload_that_does_not_match_its_digest_is_detected():
    entries = chain(3)
    entries[1] = attrs.evolve(entries[1], payload_json='{"i":9}')
    verdict = verify_chain(entries, head=entries[-1].hash)
    assert verdict.problems == ("seq 2: the stored payload does not match its digest",)
