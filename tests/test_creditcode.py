"""The 统一社会信用代码 check (GB 32100-2015), told as a story about real-looking codes."""

import pytest

from matchmaker.auth.creditcode import ALPHABET, check_digit, is_valid, make, org_code_check

# The code of 重庆市经济和信息化委员会 as printed in its own document index numbers.
CITY_COMMISSION = "11500000009276281J"


def test_a_published_government_code_is_valid():
    assert is_valid(CITY_COMMISSION)
    assert check_digit(CITY_COMMISSION[:17]) == "J"


def test_its_organisation_code_part_carries_its_own_gb11714_check():
    assert org_code_check("00927628") == "1"
    assert org_code_check("MB0W8117") == "X"  # 10 is written X


def test_changing_any_single_character_breaks_it():
    for pos in range(18):
        for ch in "0A":
            if CITY_COMMISSION[pos] == ch:
                continue
            changed = CITY_COMMISSION[:pos] + ch + CITY_COMMISSION[pos + 1 :]
            assert not is_valid(changed), changed


def test_an_enterprise_code_built_from_its_parts_is_valid():
    code = make("9", "1", "500112", "MA5U7Q3B")
    assert len(code) == 18
    assert code.startswith("91500112MA5U7Q3B")
    assert is_valid(code)


def test_a_check_of_31_is_written_0():
    # find a 17-character prefix whose weighted sum is a multiple of 31
    prefix = next(p for n in range(10_000) if check_digit(p := f"9150010{n:010d}") == "0")
    assert is_valid(prefix + "0")


@pytest.mark.parametrize(
    "code",
    [
        CITY_COMMISSION.lower(),  # lowercase letters are not in the alphabet
        CITY_COMMISSION[:17],  # too short
        CITY_COMMISSION + "0",  # too long
        "",
        "11500000009276281I",  # I, O, S, V, Z are never used
        "11500000009276281O",
        "1150000000927628SJ",
        "1150000000927628VJ",
        "1150000000927628ZJ",
        "１１500000009276281J",  # full-width digits
    ],
)
def test_malformed_codes_fail(code):
    assert not is_valid(code)


def test_is_valid_does_not_raise_on_non_strings():
    assert not is_valid(None)  # type: ignore[arg-type]
    assert not is_valid(115000000092762810)  # type: ignore[arg-type]


def test_check_digit_rejects_bad_input():
    with pytest.raises(ValueError):
        check_digit("1150000000927628")
    with pytest.raises(ValueError):
        check_digit("1150000000927628I")


def test_alphabet_has_31_characters():
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)
