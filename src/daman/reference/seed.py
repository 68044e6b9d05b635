"""Default reference data (rules.md), loaded by `daman init` and on every test database.

Every figure comes from a CSV file under reference/data/, one row per effective-dated
version, with its source and confidence: an administrator reads and edits those files,
never code. Loading is idempotent: a row whose natural key (e.g. key + regime +
valid_from for a tariff) is already in the database is left as it is, so a second call
adds nothing and never reverts what an administrator changed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from daman.core.dates import now
from daman.core.db import unit_of_work
from daman.core.money import parse_mad, parse_rate
from daman.reference.contribution_rules import (
    ChamilBand,
    CollectionRule,
    ContributionRate,
    TnsCategory,
    TnsReferenceIncome,
)
from daman.reference.importers import import_ald_list, import_drug_list, record_run
from daman.reference.models import (
    ActTariff,
    ComplementaryRate,
    CoverageRate,
    DrugPrice,
    Mutual,
    Regime,
    RightsRule,
)

DATA = Path(__file__).resolve().parent / "data"
ACTOR = "system:seed"
DEMO_DRUGS = "drugs-demo.csv"
DEMO_DRUGS_FROM = date(2006, 1, 1)


def _opt(text: str) -> str | None:
    return text.strip() or None


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _bool(text: str) -> bool:
    return text.strip().lower() in ("true", "yes", "1")


def _regime(r: dict[str, str]) -> dict[str, Any]:
    return {k: r[k] for k in ("code", "name", "fund", "description")}


def _rights(r: dict[str, str]) -> dict[str, Any]:
    ints = (
        "maintain_job_loss_months",
        "maintain_divorce_months",
        "maintain_survivor_months",
        "child_max_age",
        "student_max_age",
        "waiting_months",
        "declaration_lag_months",
    )
    return {
        "regime_code": r["regime_code"],
        "valid_from": _date(r["valid_from"]),
        "valid_to": _date(r["valid_to"]),
        "opening_days": _int(r["opening_days"]),
        "opening_window_months": _int(r["opening_window_months"]),
        "needs_paid_contribution": _bool(r["needs_paid_contribution"]),
        "rsu_max": _opt(r["rsu_max"]),
        "ald_keeps_rights": _bool(r["ald_keeps_rights"]),
        "source": r["source"],
        "confidence": r["confidence"],
        **{k: int(r[k]) for k in ints},
    }


def _rate(r: dict[str, str]) -> dict[str, Any]:
    return {
        "regime_code": r["regime_code"],
        "category": r["category"],
        "sector": _opt(r["sector"]),
        "exemption": r["exemption"],
        "ald_code": _opt(r["ald_code"]),
        "rate_bp": parse_rate(r["rate"]),
        "valid_from": _date(r["valid_from"]),
        "valid_to": _date(r["valid_to"]),
        "source": r["source"],
        "confidence": r["confidence"],
    }


def _complementary(r: dict[str, str]) -> dict[str, Any]:
    return {
        "mutual_code": _opt(r["mutual_code"]),
        "category": r["category"],
        "rate_bp": parse_rate(r["rate"]),
        "valid_from": _date(r["valid_from"]),
        "valid_to": _date(r["valid_to"]),
        "source": r["source"],
        "confidence": r["confidence"],
    }


def _tariff(r: dict[str, str]) -> dict[str, Any]:
    return {
        "key": r["key"],
        "label": r["label"],
        "category": r["category"],
        "regime_code": _opt(r["regime_code"]),
        "value_centimes": parse_mad(r["value_mad"]),
        "valid_from": _date(r["valid_from"]),
        "valid_to": _date(r["valid_to"]),
        "source": r["source"],
        "confidence": r["confidence"],
    }


def _dated(r: dict[str, str]) -> dict[str, Any]:
    return {
        "valid_from": _date(r["valid_from"]),
        "valid_to": _date(r["valid_to"]),
        "source": r["source"],
        "confidence": r["confidence"],
    }


def _mad(text: str) -> int | None:
    return parse_mad(text) if text.strip() else None


def _contribution_rate(r: dict[str, str]) -> dict[str, Any]:
    return {
        "regime_code": r["regime_code"],
        "member_kind": r["member_kind"],
        "member_bp": parse_rate(r["member_rate"]),
        "employer_bp": parse_rate(r["employer_rate"]),
        "solidarity_bp": parse_rate(r["solidarity_rate"]),
        "share_min_centimes": _mad(r["share_min_mad"]),
        "share_max_centimes": _mad(r["share_max_mad"]),
        "flat_centimes": _mad(r["flat_mad"]),
        "payer": r["payer"],
        "base": r["base"],
        **_dated(r),
    }


def _milli(text: str) -> int:
    """'1.75' -> 1750 (a multiple in thousandths)."""
    return parse_mad(text) * 10


def _collection_rule(r: dict[str, str]) -> dict[str, Any]:
    return {
        "regime_code": r["regime_code"],
        "due_day": int(r["due_day"]),
        "due_month_offset": int(r["due_month_offset"]),
        "first_month_penalty_bp": parse_rate(r["first_month_penalty"]),
        "further_month_penalty_bp": parse_rate(r["further_month_penalty"]),
        "rounding": r["rounding"],
        **_dated(r),
    }


# table name, model, data file, row converter, natural key (in load order: parents first)
TABLES: list[
    tuple[str, type[Any], str, Callable[[dict[str, str]], dict[str, Any]], tuple[str, ...]]
] = [
    ("regimes", Regime, "regimes.csv", _regime, ("code",)),
    ("rights_rules", RightsRule, "rights_rules.csv", _rights, ("regime_code", "valid_from")),
    ("mutuals", Mutual, "mutuals.csv", lambda r: dict(r), ("code",)),
    (
        "coverage_rates",
        CoverageRate,
        "coverage_rates.csv",
        _rate,
        ("regime_code", "category", "sector", "exemption", "ald_code", "valid_from"),
    ),
    (
        "complementary_rates",
        ComplementaryRate,
        "complementary_rates.csv",
        _complementary,
        ("mutual_code", "category", "valid_from"),
    ),
    ("act_tariffs", ActTariff, "act_tariffs.csv", _tariff, ("key", "regime_code", "valid_from")),
    (
        "contribution_rates",
        ContributionRate,
        "contribution_rates.csv",
        _contribution_rate,
        ("regime_code", "member_kind", "valid_from"),
    ),
    (
        "tns_reference_incomes",
        TnsReferenceIncome,
        "tns_reference_incomes.csv",
        lambda r: {
            "amount_centimes": parse_mad(r["amount_mad"]),
            "income_rounding": r["income_rounding"],
            **_dated(r),
        },
        ("valid_from",),
    ),
    (
        "tns_categories",
        TnsCategory,
        "tns_categories.csv",
        lambda r: {
            "code": r["code"],
            "label": r["label"],
            "label_ar": r["label_ar"],
            "multiple_milli": _milli(r["multiple"]),
            **_dated(r),
        },
        ("code", "valid_from"),
    ),
    (
        "chamil_bands",
        ChamilBand,
        "chamil_bands.csv",
        lambda r: {
            "rsu_above": r["rsu_above"],
            "rsu_up_to": _opt(r["rsu_up_to"]),
            "amount_centimes": parse_mad(r["amount_mad"]),
            **_dated(r),
        },
        ("rsu_above", "valid_from"),
    ),
    (
        "collection_rules",
        CollectionRule,
        "collection_rules.csv",
        _collection_rule,
        ("regime_code", "valid_from"),
    ),
]


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _insert_missing(
    session: Session, model: type[Any], rows: Iterable[dict[str, Any]], key: tuple[str, ...]
) -> int:
    columns = [getattr(model, k) for k in key]
    have = {tuple(r) for r in session.execute(select(*columns))}
    stamp = {"created_by": ACTOR, "updated_by": ACTOR, "created_at": now(), "updated_at": now()}
    new = [{**r, **stamp} for r in rows if tuple(r[k] for k in key) not in have]
    if new:
        session.execute(insert(model), new)
    return len(new)


def load_defaults(session: Session | None = None) -> dict[str, int]:
    """Load the default reference data; return the rows added per table (zeros when
    everything is already there). Only flushes: the caller's transaction commits."""
    if session is None:
        with unit_of_work() as own:
            return load_defaults(own)
    added = {
        table: _insert_missing(session, model, map(convert, read_rows(file)), key)
        for table, model, file, convert, key in TABLES
    }
    ald = import_ald_list(
        session,
        (DATA / "ald.csv").read_bytes(),
        filename="ald.csv",
        actor=ACTOR,
        update_existing=False,
        record=False,
    )
    added["ald_diseases"] = ald.added["ald_diseases"]
    if ald.changed:
        record_run(session, ald, ACTOR)
    # The demo list starts the drug list only: once any list is loaded it is left alone
    # (an administrator's newer list must not be disturbed by an older demo).
    added["drugs"] = added["drug_prices"] = 0
    if session.scalar(select(DrugPrice.id).limit(1)) is None:
        drugs = import_drug_list(
            session,
            (DATA / DEMO_DRUGS).read_bytes(),
            filename=DEMO_DRUGS,
            valid_from=DEMO_DRUGS_FROM,
            actor=ACTOR,
        )
        added["drugs"] = drugs.added["drugs"]
        added["drug_prices"] = drugs.added["drug_prices"]
    session.flush()
    return added
