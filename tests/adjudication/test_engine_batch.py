"""Batches large enough for the engine's many-lines paths (lookups by distinct key)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from daman.adjudication import rules_lookup
from daman.adjudication.engine import adjudicate
from daman.adjudication.frames import DECISIONS

from .engine_builders import lines_frame, one_at_a_time, random_batch


@pytest.mark.parametrize(("seed", "late_policy"), [(1, "reject"), (2, "penalty")])
def test_a_large_batch_equals_its_claims_valued_one_at_a_time(seed: int, late_policy: str) -> None:
    lines, ctx = random_batch(seed, claims=150, late_policy=late_policy)
    assert lines.height > 256  # above the one-by-one lookups of a single claim
    batch = adjudicate(lines, ctx)
    assert batch.get_column("line_id").to_list() == lines.get_column("line_id").to_list()
    statuses = set(batch.get_column("status").to_list())
    assert statuses == {"accepted", "reduced", "rejected", "pending_review"}
    assert_frame_equal(batch, one_at_a_time(lines, ctx))


def test_a_hash_shared_by_different_keys_falls_back_to_an_exact_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines, ctx = random_batch(3, claims=120)
    expected = adjudicate(lines, ctx)
    monkeypatch.setattr(
        rules_lookup, "_key_hash", lambda keys: pl.Series("_combo", [7] * keys.height, pl.UInt64)
    )
    assert_frame_equal(adjudicate(lines, ctx), expected)


def test_no_lines_gives_an_empty_decisions_frame() -> None:
    _, ctx = random_batch(4, claims=2)
    decisions = adjudicate(lines_frame(), ctx)
    assert decisions.is_empty()
    assert decisions.schema == pl.Schema(DECISIONS)


def test_patient_ids_too_large_to_pack_give_the_same_decisions() -> None:
    from dataclasses import replace

    lines, ctx = random_batch(5, claims=120)
    shift = pl.col("patient_id") + (1 << 50)
    moved = replace(
        ctx,
        eligibility=ctx.eligibility.with_columns(shift),
        exemptions=ctx.exemptions.with_columns(shift),
        history=ctx.history.with_columns(shift),
    )
    assert_frame_equal(adjudicate(lines.with_columns(shift), moved), adjudicate(lines, ctx))
