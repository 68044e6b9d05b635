"""Identifier checks through python-stdnum: the keys and check digits are the ones issued
before (the hand-written formulas they replaced are kept here as oracles), and what the old
checks let through is now refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean, iban
from stdnum.iso7064 import mod_97_10
from stdnum.ma import ice

from daman.config import DEVELOPMENT_FUND_RIB
from daman.core.identifiers import (
    ean13_problem,
    iban_problem,
    ice_key,
    ice_problem,
    immatriculation,
    immatriculation_problem,
    rib_key,
    rib_problem,
)


def numeric(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


def old_mod97_key(body: str) -> str:  # core/identifiers.py before stdnum
    return f"{97 - (int(body) * 100) % 97:02d}"


def old_ean13_check_digit(first12: str) -> str:
    d = [int(c) for c in first12]
    return str((10 - sum(x * (3 if i % 2 else 1) for i, x in enumerate(d)) % 10) % 10)


# -- Daman's immatriculation ---------------------------------------------------------


def test_the_demo_immatriculations_keep_their_keys():
    # README's fixed demo persons: numbers 1..7 and 10..14 of the counter
    demo = [*range(1, 8), *range(10, 15)]
    tails = ["0194", "0291", "0388", "0485", "0582", "0679", "0776", "1067", "1164", "1261"]
    tails += ["1358", "1455"]
    assert [immatriculation(k) for k in demo] == [f"DM000000{t}" for t in tails]
    # ISO 7064's own check digits (remainder 1, as in an IBAN) would have changed them all
    assert mod_97_10.calc_check_digits("00000001") == "95"


@given(st.integers(0, 99_999_999))
def test_immatriculation_keys_equal_the_ones_issued_before(n):
    number = immatriculation(n)
    assert number == f"DM{n:08d}{old_mod97_key(f'{n:08d}')}"
    assert immatriculation_problem(number) is None


def test_a_bad_immatriculation_is_refused():
    assert immatriculation_problem("DM0000000195") == "bad immatriculation key"
    assert immatriculation_problem("DM000000019") == "must be DM followed by 10 digits"


# -- RIB ------------------------------------------------------------------------------


@given(numeric(22))
def test_rib_keys_equal_the_ones_issued_before(body):
    assert rib_key(body) == old_mod97_key(body)


def test_a_bad_rib_key_names_the_expected_one():
    body = DEVELOPMENT_FUND_RIB[:22]
    assert rib_problem(DEVELOPMENT_FUND_RIB) is None
    assert rib_problem(body + "99") == f"bad RIB key 99 (expected {rib_key(body)})"
    assert rib_problem(body + "9") == "must be exactly 24 digits"


# -- EAN-13 ---------------------------------------------------------------------------


@given(numeric(12))
def test_ean_check_digits_equal_the_ones_computed_before(first12):
    assert ean.calc_check_digit(first12) == old_ean13_check_digit(first12)
    assert ean13_problem(first12 + old_ean13_check_digit(first12)) is None


def test_a_bad_ean_names_the_expected_digit():
    assert ean13_problem("6118990000018") == "bad EAN check digit 8 (expected 7)"
    assert ean13_problem("6118990000017") is None
    assert ean13_problem("61189900000") == "must be 13 digits"  # stdnum takes 8, 12, 14 too


# -- ICE ------------------------------------------------------------------------------


@given(numeric(13))
def test_ice_keys_are_valid_for_stdnum(first13):
    number = first13 + ice_key(first13)
    assert ice.is_valid(number) and ice_problem(number) is None
    assert ice_key(first13) == old_mod97_key(first13)


def test_a_bad_ice_is_refused():
    assert ice_problem("001234567000062") is None
    # the old check (length only) took any key, as the demo employer's 88 and this 89
    assert ice_problem("001234567000089") == "bad ICE key 89 (expected 62)"
    assert ice_problem("00123456700006") == "must be exactly 15 digits"
    assert ice_problem("00123456700006A") == "must be exactly 15 digits"


# -- IBAN -----------------------------------------------------------------------------


def moroccan_iban(rib: str) -> str:
    return "MA" + iban.calc_check_digits("MA00" + rib) + rib


def test_ibans():
    assert iban_problem(moroccan_iban(DEVELOPMENT_FUND_RIB)) is None
    assert iban_problem("FR7630006000011234567890189") is None
    assert iban_problem("MA00" + DEVELOPMENT_FUND_RIB) == "bad IBAN check digits"
    assert iban_problem("FR76 3000") == (
        "must be 2 letters, 2 check digits and up to 30 letters or digits"
    )


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        # the right check digits but the wrong length for France
        (
            "FR" + iban.calc_check_digits("FR00300060000112345678901") + "300060000112345678901",
            "not the length or format of an IBAN of FR",
        ),
        # the right check digits around a RIB whose own key is wrong
        (
            moroccan_iban(DEVELOPMENT_FUND_RIB[:22] + "99"),
            f"the RIB in this IBAN: bad RIB key 99 (expected {DEVELOPMENT_FUND_RIB[22:]})",
        ),
        ("XX" + iban.calc_check_digits("XX001234") + "1234", "unknown IBAN country XX"),
    ],
)
def test_what_the_old_iban_check_let_through_is_refused(number, reason):
    assert mod_97_10.is_valid(number[4:] + number[:4])  # the old check passed these
    assert iban_problem(number) == reason
