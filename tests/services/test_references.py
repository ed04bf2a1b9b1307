import pytest

from servicecore.services.references import is_valid_reference, new_reference


def test_a_new_reference_has_the_documented_shape_and_verifies():
    for _ in range(200):
        ref = new_reference()
        assert len(ref) == len("SB-7K3Q-9XF")
        assert ref.startswith("SB-")
        assert is_valid_reference(ref)


def test_references_do_not_repeat_in_practice():
    # 32**6 bodies: about one run in a hundred sees one repeat among 5,000 (booking retries a
    # taken reference); three or more would mean the generator is broken (odds ~1e-7).
    assert len({new_reference() for _ in range(5000)}) >= 4998


ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.mark.parametrize("seed", range(20))
def test_every_single_mistyped_character_is_caught(seed):
    ref = new_reference("WO")
    for i, c in enumerate(ref):
        if c == "-" or i < 3:
            continue
        for other in ALPHABET.replace(c, ""):
            typo = ref[:i] + other + ref[i + 1 :]
            assert not is_valid_reference(typo), typo


def test_lower_case_and_look_alike_letters_are_read_as_people_type_them():
    ref = new_reference()
    assert is_valid_reference(ref.lower())
    if "0" in ref[3:]:
        assert is_valid_reference(ref[:3] + ref[3:].replace("0", "O"))


@pytest.mark.parametrize("text", ["", "SB-123", "SB-1234-567X", None, "SB_1234_567"])
def test_malformed_references_are_refused(text):
    assert not is_valid_reference(text)
