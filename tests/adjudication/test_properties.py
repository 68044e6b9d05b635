"""Properties of the engine over generated lines and contexts.

The worlds are small on purpose (a few patients, providers, items and days) so that
duplicates, ceilings, frequency limits, late filing and tariff changes meet often.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from daman.adjudication.engine import adjudicate
from daman.adjudication.frames import DECISIONS, Context
from daman.claims.reasons import REASONS, Severity
from daman.core.money import apply_rate

from .engine_builders import (
    BRAND,
    GENERIC,
    LISTED_LATE,
    NOT_REIMBURSABLE,
    D,
    ceiling,
    context,
    exemption,
    history_row,
    lines_frame,
    one_at_a_time,
    rights,
)

DAYS = [D(2020, 1, 12), D(2020, 1, 13), D(2020, 1, 14)]  # across the 2020-01-13 tariffs
ITEMS = [  # (category, act_key, drug_code), the common ones several times
    *[("consultation", "C", None)] * 3,
    ("medical_act", "K", None),
    *[("dental_prosthesis", "DP", None)] * 2,
    ("hospitalisation", "HOSP_MED", None),
    ("consultation", "ZZ", None),
    ("medicine", None, BRAND),
    *[("medicine", None, GENERIC)] * 3,
    ("medicine", None, NOT_REIMBURSABLE),
    ("medicine", None, LISTED_LATE),
    ("medicine", None, "6118999999999"),
    ("device", None, None),
    ("optical", "C", None),
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def worlds(draw: st.DrawFn) -> tuple[pl.DataFrame, Context]:
    patients = range(1, draw(st.integers(1, 2)) + 1)
    regimes = {p: draw(st.sampled_from(["CNOPS", "CNSS_SAL"])) for p in patients}
    mutuals = {p: "MGPAP" for p in patients if regimes[p] == "CNOPS" and draw(st.booleans())}
    claims = draw(st.lists(st.sampled_from(list(patients)), min_size=1, max_size=4))
    rows: list[dict[str, Any]] = []
    next_line = dict.fromkeys(range(1, len(claims) + 1), 1)
    for _ in range(draw(st.integers(1, 12))):
        claim_id = draw(st.integers(1, len(claims)))
        category, act_key, drug_code = draw(st.sampled_from(ITEMS))
        care: date = draw(st.sampled_from(DAYS))
        rows.append(
            {
                "claim_id": claim_id,
                "line_no": next_line[claim_id],
                "patient_id": claims[claim_id - 1],
                "care_date": care,
                "deposit_date": care + timedelta(days=draw(st.integers(0, 100))),
                "continuous_end": draw(st.sampled_from([None, None, care + timedelta(days=20)])),
                "category": category,
                "sector": draw(st.sampled_from(["private", "public"])),
                "provider_id": draw(st.sampled_from([100, 101])),
                "act_key": act_key,
                "coefficient_milli": draw(st.sampled_from([None, 1000, 22500, 22502, 200000])),
                "drug_code": drug_code,
                "quantity": draw(st.integers(1, 3)),
                "charged_centimes": draw(st.integers(0, 400_000)),
                "ald_code": draw(st.sampled_from([None, None, "E10"])),
                "has_document": draw(st.booleans()),
            }
        )
        next_line[claim_id] += 1
    lines = lines_frame(*draw(st.permutations(rows)))
    refused = {
        (p, d): "no_rights"
        for p, d in lines.select("patient_id", "care_date").unique().iter_rows()
        if draw(st.integers(0, 5)) == 0
    }
    history = []
    for i in range(draw(st.integers(0, 4))):
        category, act_key, drug_code = draw(st.sampled_from(ITEMS))
        day = draw(st.sampled_from(DAYS)) - timedelta(days=draw(st.sampled_from([0, 0, 3, 40])))
        history.append(
            history_row(
                draw(st.sampled_from(list(patients))),
                day,
                category=category,
                act_key=act_key,
                drug_code=drug_code,
                provider_id=draw(st.sampled_from([100, 101])),
                base=draw(st.integers(0, 300_000)),
                quantity=draw(st.integers(1, 3)),
                line_id=10_000 + i,
            )
        )
    limits = [
        ceiling(
            "dental_prosthesis",
            max_base=draw(st.sampled_from([None, 100_000, 300_000])),
            max_quantity=draw(st.sampled_from([None, 1, 2])),
            period_days=draw(st.sampled_from([3, 730])),
        ),
        ceiling(
            "medicine",
            max_quantity=draw(st.sampled_from([2, 4])),
            period_days=draw(st.sampled_from([1, 5])),
            regime=draw(st.sampled_from([None, "CNSS_SAL"])),
            since=draw(st.sampled_from([D(2006, 1, 1), D(2020, 1, 13)])),
        ),
    ]
    if draw(st.booleans()):
        limits.append(ceiling("consultation", max_base=20_000, period_days=2, regime="CNOPS"))
    exemptions = [
        exemption(p, "E10", until=D(2020, 1, 12)) for p in patients if draw(st.booleans())
    ]
    ctx = context(
        lines,
        eligibility=rights(lines, regimes, mutuals, refused),
        history=history,
        exemptions=exemptions,
        ceilings=limits,
        late_policy=draw(st.sampled_from(["reject", "penalty"])),
        late_penalty_bp=draw(st.sampled_from([500, 3000])),
        review_threshold_centimes=draw(st.sampled_from([500_000, 30_000])),
    )
    return lines, ctx


@SETTINGS
@given(worlds())
def test_amounts_add_up_and_follow_the_reasons(world: tuple[pl.DataFrame, Context]) -> None:
    lines, ctx = world
    decisions = adjudicate(lines, ctx)
    assert decisions.schema == pl.Schema(DECISIONS)
    assert decisions.get_column("line_id").to_list() == lines.get_column("line_id").to_list()
    rows = lines.join(decisions, on=["claim_id", "line_id"], maintain_order="left").to_dicts()
    for row in rows:
        charged, base, rate = row["charged_centimes"], row["base_centimes"], row["rate_bp"]
        amo, comp, patient = (
            row["amo_centimes"],
            row["complementary_centimes"],
            row["patient_centimes"],
        )
        assert amo + comp + patient == charged
        assert min(base, amo, comp, patient, row["allowed_quantity"]) >= 0
        assert amo <= (apply_rate(base, rate) if rate is not None else 0)
        assert base <= charged
        reference = row["reference_centimes"]
        assert base == 0 if reference is None else base <= reference * row["quantity"]
        assert row["allowed_quantity"] <= row["quantity"]
        severities = {REASONS[c].severity for c in row["reasons"] if c in REASONS}
        assert row["reasons"], "every line has a reason"
        assert all(c in REASONS or c.startswith("eligibility:") for c in row["reasons"])
        expected = (
            "rejected"
            if Severity.REJECT in severities
            else "pending_review"
            if Severity.REVIEW in severities
            else "reduced"
            if Severity.REDUCE in severities
            else "accepted"
        )
        assert row["status"] == expected
        if row["status"] == "rejected":
            assert (base, amo, comp, row["allowed_quantity"]) == (0, 0, 0, 0)
            assert severities == {Severity.REJECT}
        if row["status"] == "accepted":
            assert row["reasons"][0] == "ok"


@SETTINGS
@given(worlds())
def test_batch_equals_one_claim_at_a_time(world: tuple[pl.DataFrame, Context]) -> None:
    lines, ctx = world
    assert_frame_equal(adjudicate(lines, ctx), one_at_a_time(lines, ctx))
