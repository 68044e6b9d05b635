"""RIB key checks, property-based: a valid RIB passes, any single changed digit fails."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from daman.core.identifiers import rib_key, rib_problem
from daman.registry.builders import valid_rib
from daman.registry.validation import clean_rib

first22 = st.text(alphabet="0123456789", min_size=22, max_size=22)


@given(first22)
def test_generated_rib_passes(body):
    assert rib_problem(body + rib_key(body)) is None


@given(first22, st.integers(0, 23), st.integers(1, 9))
def test_changing_any_one_digit_fails(body, position, delta):
    rib = body + rib_key(body)
    digit = (int(rib[position]) + delta) % 10
    changed = rib[:position] + str(digit) + rib[position + 1 :]
    problem = rib_problem(changed)
    assert problem is not None and "bad RIB key" in problem


def test_builder_ribs_and_spaces():
    rib = valid_rib(42)
    assert rib_problem(rib) is None
    spaced = f"{rib[:3]} {rib[3:6]} {rib[6:22]} {rib[22:]}"
    assert clean_rib(spaced) == rib
    assert clean_rib("  ") is None
