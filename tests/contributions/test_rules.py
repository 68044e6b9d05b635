"""The worked examples of rules.md section 7, to the centime, from the shipped rule rows;
and the arithmetic's properties (the column-by-column version equals the row version)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from daman.contributions.collection.rules_in_force import (
    chamil_bands,
    rules_in_force,
    tns_categories,
    tns_reference,
)
from daman.contributions.collection.shares import with_shares
from daman.contributions.ledger import rules
from daman.contributions.ledger.rules import (
    Owed,
    allocate,
    chamil_band,
    due_date,
    months_late,
    penalty,
    score,
    shares,
    times_rate,
    tns_income,
)
from daman.reference.contribution_rules import MemberKind, Rounding

JAN_2025 = date(2025, 1, 1)


def test_the_roundings_are_the_reference_ones() -> None:
    assert {r.value for r in Rounding} == {rules.HALF_UP, rules.TRUNCATE}
    assert times_rate(452_593, 637, rules.HALF_UP) == 28_830  # 288.30
    assert times_rate(282_871, 637, rules.HALF_UP) == 18_019  # 180.1888 -> 180.19
    assert times_rate(282_871, 637, rules.TRUNCATE) == 18_018


def test_cnss_salaried_since_2016_is_6_37_percent(session: Session) -> None:
    found = rules_in_force(session, "CNSS_SAL", JAN_2025)
    employee = found.rate(MemberKind.EMPLOYEE)
    # 5,000.00 MAD gross: 113.00 withheld + 113.00 + 92.50 solidarity = 318.50
    assert shares(500_000, employee, found.rounding) == rules.Shares(11_300, 20_550, 9_250)
    # no ceiling: 100,000.00 MAD gross gives 6,370.00
    assert shares(10_000_000, employee, found.rounding).total == 637_000
    # half-up per share: 2,828.71 gives 63.93 + 63.93 + 52.33 = 180.19
    assert shares(282_871, employee, found.rounding) == rules.Shares(6_393, 11_626, 5_233)
    assert found.due == date(2025, 2, 10)  # before the 10th of the next month


def test_cnss_salaried_before_2016_was_5_5_percent(session: Session) -> None:
    found = rules_in_force(session, "CNSS_SAL", date(2015, 6, 1))
    assert shares(500_000, found.rate(MemberKind.EMPLOYEE), found.rounding).total == 27_500
    pensioner = found.rate(MemberKind.PENSIONER)
    assert shares(300_000, pensioner, found.rounding) == rules.Shares(12_000, 0, 0)  # 4 %


def test_cnss_group_cover_pensioner_and_voluntary(session: Session) -> None:
    found = rules_in_force(session, "CNSS_SAL", JAN_2025)
    assert shares(500_000, found.rate(MemberKind.GROUP_COVER), found.rounding) == rules.Shares(
        0, 9_250, 9_250
    )
    assert shares(300_000, found.rate(MemberKind.PENSIONER), found.rounding).member == 13_560
    assert shares(400_000, found.rate(MemberKind.VOLUNTARY), found.rounding).member == 18_080


@pytest.mark.parametrize(
    ("pay", "each"),
    [
        (200_000, 7_000),  # 2,000 MAD: 50 -> the 70 MAD minimum
        (800_000, 20_000),  # 8,000 MAD: 200 each
        (1_600_000, 40_000),  # 16,000 MAD: 400, the maximum
        (2_000_000, 40_000),  # 20,000 MAD: 500 -> 400
    ],
)
def test_cnops_each_share_between_70_and_400(session: Session, pay: int, each: int) -> None:
    found = rules_in_force(session, "CNOPS", JAN_2025)
    assert shares(pay, found.rate(MemberKind.ACTIVE), found.rounding) == rules.Shares(each, each, 0)


def test_cnops_pensioner_pays_2_5_percent_alone(session: Session) -> None:
    found = rules_in_force(session, "CNOPS", JAN_2025)
    pensioner = found.rate(MemberKind.PENSIONER)
    assert shares(300_000, pensioner, found.rounding) == rules.Shares(7_500, 0, 0)
    assert shares(100_000, pensioner, found.rounding) == rules.Shares(7_000, 0, 0)


@pytest.mark.parametrize(
    ("category", "income", "amo"),
    [
        ("TRADER_SIMPLIFIED", 282_871, 18_019),  # 180.19
        ("TRADER_ACCOUNTS_LOW", 905_187, 57_660),  # 576.60
        ("TRADER_ACCOUNTS_HIGH", 1_697_226, 108_113),  # 1,081.13
        ("COPYIST_RESIDENT", 339_445, 21_623),  # 216.23
        ("COPYIST_FIRST_INSTANCE", 452_593, 28_830),  # 4,525.93 (truncated) -> 288.30
        ("SWORN_TRANSLATOR", 495_024, 31_533),  # 315.33
        ("ADOUL", 537_454, 34_236),  # 342.36
    ],
)
def test_tns_flat_incomes_and_contributions(
    session: Session, category: str, income: int, amo: int
) -> None:
    found = rules_in_force(session, "TNS", JAN_2025)
    reference = tns_reference(session, JAN_2025)
    row = tns_categories(session, JAN_2025)[category]
    base = tns_income(reference.amount_centimes, row.multiple_milli, reference.income_rounding)
    assert base == income
    assert shares(base, found.rate(MemberKind.ACTIVE), found.rounding).member == amo


@pytest.mark.parametrize(
    ("rsu", "amount"),
    [
        ("9.3264285", 14_400),
        ("9.5124369", 14_400),  # "up to" is included
        ("9.5124370", 17_600),
        ("9.80", 22_400),
        ("10.1", 28_700),
        ("10.3", 35_500),
        ("10.5", 45_400),
        ("11.0", 61_100),
        ("11.013069", 116_400),
        ("14", 116_400),
    ],
)
def test_chamil_bands(session: Session, rsu: str, amount: int) -> None:
    value = score(rsu)
    assert value is not None
    band = chamil_band(value, chamil_bands(session, JAN_2025))
    assert band is not None and band.amount_centimes == amount


def test_no_chamil_band_at_or_below_the_tadamon_threshold(session: Session) -> None:
    bands = chamil_bands(session, JAN_2025)
    assert chamil_band(score("9.3264284"), bands) is None  # type: ignore[arg-type]
    assert chamil_band(score("8"), bands) is None  # type: ignore[arg-type]
    assert chamil_bands(session, date(2023, 12, 1)) == []  # AMO Chamil started in 2024


def test_tadamon_the_state_pays_a_flat_amount_per_person(session: Session) -> None:
    found = rules_in_force(session, "TADAMON", JAN_2025)
    assert shares(0, found.rate(MemberKind.BENEFICIARY), found.rounding, persons=3) == (
        rules.Shares(0, 19_200, 0)
    )


def test_due_dates(session: Session) -> None:
    chamil = rules_in_force(session, "CHAMIL", date(2025, 3, 1))
    assert chamil.due == date(2025, 3, 1)  # on the 1st, by direct debit
    cnss = rules_in_force(session, "CNSS_SAL", date(2025, 1, 1))
    assert due_date(date(2025, 1, 1), cnss.collection) == date(2025, 2, 10)


def test_cnss_late_payment_penalties(session: Session) -> None:
    rule = rules_in_force(session, "CNSS_SAL", JAN_2025).collection
    due = date(2025, 2, 10)
    unpaid = lambda _: 100_000  # 1,000.00 MAD never paid  # noqa: E731
    assert penalty(due, date(2025, 2, 10), unpaid, rule) == 0
    assert penalty(due, date(2025, 2, 11), unpaid, rule) == 3_000  # +3 % the first month
    assert penalty(due, date(2025, 3, 10), unpaid, rule) == 3_000
    assert penalty(due, date(2025, 3, 11), unpaid, rule) == 4_000  # +1 % the second
    assert penalty(due, date(2025, 5, 11), unpaid, rule) == 6_000
    # half paid on 2025-03-01: the second month counts on what was left on 2025-03-10
    half = lambda d: 100_000 if d < date(2025, 3, 1) else 50_000  # noqa: E731
    assert penalty(due, date(2025, 3, 11), half, rule) == 3_500
    assert months_late(due, date(2025, 2, 11)) == 1
    assert months_late(due, date(2025, 3, 11)) == 2


def test_payments_settle_the_oldest_first() -> None:
    owed = [
        Owed(2, "principal", date(2025, 3, 10), 5_000, date(2025, 2, 1)),
        Owed(1, "penalty", date(2025, 2, 10), 300, date(2025, 1, 1)),
        Owed(1, "principal", date(2025, 2, 10), 10_000, date(2025, 1, 1)),
    ]
    got = [(o.call_id, o.part, amount) for o, amount in allocate(12_000, owed)]
    assert got == [(1, "principal", 10_000), (1, "penalty", 300), (2, "principal", 1_700)]
    assert allocate(0, owed) == []


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # the session is only read
@given(
    bases=st.lists(st.integers(0, 10**11), min_size=1, max_size=30),
    kind=st.sampled_from([MemberKind.EMPLOYEE, MemberKind.GROUP_COVER, MemberKind.PENSIONER]),
)
def test_the_column_arithmetic_is_the_row_arithmetic(
    session: Session, bases: list[int], kind: MemberKind
) -> None:
    for regime, month in (("CNSS_SAL", JAN_2025), ("CNOPS", JAN_2025)):
        found = rules_in_force(session, regime, month)
        if kind not in found.rates:
            kind = MemberKind.ACTIVE if regime == "CNOPS" else kind
        frame = with_shares(pl.DataFrame({"kind": [kind.value] * len(bases), "base": bases}), found)
        for base, member, employer, solidarity in frame.select(
            "base", "member", "employer", "solidarity"
        ).iter_rows():
            expected = shares(base, found.rate(kind), found.rounding)
            assert (member, employer, solidarity) == (
                expected.member,
                expected.employer,
                expected.solidarity,
            )
