"""Small frames for engine tests: a default reference world shaped like rules.md, and
builders for lines, rights and history. Every amount is in centimes, every rate in bp."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from daman.adjudication import frames as f
from daman.adjudication.frames import Context, Policy

D = date
OPEN = None
SINCE = D(2006, 1, 1)
CNSS_2020 = D(2020, 1, 13)

# EAN-13 codes of the demo drugs.
BRAND = "6118000000015"  # brand drug: PPV above PRIX_BR
GENERIC = "6118000000022"
NOT_REIMBURSABLE = "6118000000039"
LISTED_LATE = "6118000000046"  # on the list from 2021-01-01 only


def frame(schema: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame of the schema; missing keys are null."""
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=dict(schema))


def tariff(
    key: str,
    centimes: int,
    regime: str | None = None,
    since: date = SINCE,
    until: date | None = OPEN,
) -> dict[str, Any]:
    return {
        "key": key,
        "regime_code": regime,
        "value_centimes": centimes,
        "valid_from": since,
        "valid_to": until,
    }


def drug(
    code: str,
    base: int,
    ppv: int,
    rate_bp: int = 7000,
    since: date = SINCE,
    until: date | None = OPEN,
) -> dict[str, Any]:
    return {
        "drug_code": code,
        "base_centimes": base,
        "ppv_centimes": ppv,
        "rate_bp": rate_bp,
        "valid_from": since,
        "valid_to": until,
    }


def rate(
    category: str,
    rate_bp: int,
    regime: str | None = None,
    sector: str | None = None,
    exemption: str = "none",
    ald_code: str | None = None,
    since: date = SINCE,
    until: date | None = OPEN,
) -> dict[str, Any]:
    return {
        "regime_code": regime,
        "category": category,
        "sector": sector,
        "exemption": exemption,
        "ald_code": ald_code,
        "rate_bp": rate_bp,
        "valid_from": since,
        "valid_to": until,
    }


def top_up(
    category: str,
    rate_bp: int,
    mutual: str | None = None,
    since: date = SINCE,
    until: date | None = OPEN,
) -> dict[str, Any]:
    return {
        "mutual_code": mutual,
        "category": category,
        "rate_bp": rate_bp,
        "valid_from": since,
        "valid_to": until,
    }


def ceiling(
    category: str,
    max_base: int | None = None,
    max_quantity: int | None = None,
    period_days: int = 730,
    regime: str | None = None,
    since: date = SINCE,
    until: date | None = OPEN,
) -> dict[str, Any]:
    return {
        "category": category,
        "regime_code": regime,
        "max_base_centimes": max_base,
        "max_quantity": max_quantity,
        "period_days": period_days,
        "valid_from": since,
        "valid_to": until,
    }


def exemption(
    patient_id: int,
    ald_code: str,
    kind: str = "ald",
    since: date = SINCE,
    until: date | None = OPEN,
) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "ald_code": ald_code,
        "kind": kind,
        "valid_from": since,
        "valid_to": until,
    }


TARIFFS = [
    tariff("C", 8000),
    tariff("Cs", 15000),
    tariff("K", 2250),
    tariff("D", 1750),
    tariff("DP", 1250),
    tariff("B", 110),
    tariff("C", 15000, "CNSS_SAL", CNSS_2020),
    tariff("Cs", 25000, "CNSS_SAL", CNSS_2020),
    tariff("HOSP_MED", 85000, "CNSS_SAL", CNSS_2020),
    tariff("HOSP_MED", 85000, "CNOPS"),
]
DRUGS = [
    drug(BRAND, base=5000, ppv=8000),
    drug(GENERIC, base=4000, ppv=4000),
    drug(NOT_REIMBURSABLE, base=3000, ppv=3000, rate_bp=0),
    drug(LISTED_LATE, base=2000, ppv=2500, since=D(2021, 1, 1)),
]
RATES = [
    rate("consultation", 8000),
    rate("medical_act", 8000),
    rate("lab", 8000),
    rate("dental", 8000),
    rate("dental_prosthesis", 8000),
    rate("medicine", 7000),
    rate("hospitalisation", 9000, sector="private"),
    rate("hospitalisation", 10000, sector="public"),
    rate("device", 10000),
    rate("medicine", 10000, exemption="ald"),
    rate("consultation", 10000, exemption="ald"),
    rate("medicine", 9500, regime="CNSS_SAL", exemption="ald", ald_code="E10"),
    rate("medicine", 10000, exemption="alc"),
]
COMPLEMENTARY = [
    top_up("medicine", 1600),
    top_up("lab", 2000),
    top_up("dental_prosthesis", 2000),
    top_up("medical_act", 2000),
]
CEILINGS = [ceiling("dental_prosthesis", max_base=300_000, period_days=730)]


def line(**values: Any) -> dict[str, Any]:
    """A consultation C, on time, eligible patient 1, unless told otherwise."""
    care = values.get("care_date", D(2020, 2, 1))
    row: dict[str, Any] = {
        "claim_id": 1,
        "line_no": 1,
        "patient_id": 1,
        "care_date": care,
        "deposit_date": care + timedelta(days=10),
        "category": "consultation",
        "sector": "private",
        "provider_id": 100,
        "act_key": "C",
        "quantity": 1,
        "charged_centimes": 15000,
        "has_document": False,
    }
    row.update(values)
    return row


def medicine(code: str, quantity: int, charged: int, **values: Any) -> dict[str, Any]:
    return line(
        category="medicine",
        act_key=None,
        drug_code=code,
        quantity=quantity,
        charged_centimes=charged,
        provider_id=values.pop("provider_id", 200),
        **values,
    )


def lines_frame(*rows: Mapping[str, Any]) -> pl.DataFrame:
    """Lines in the LINES schema; line_id defaults to claim_id * 1000 + line_no."""
    full = [{**r, "line_id": r.get("line_id", r["claim_id"] * 1000 + r["line_no"])} for r in rows]
    return frame(f.LINES, full)


def rights(
    lines: pl.DataFrame,
    regimes: Mapping[int, str] | None = None,
    mutuals: Mapping[int, str] | None = None,
    refused: Mapping[tuple[int, date], str] | None = None,
) -> pl.DataFrame:
    """ELIGIBILITY for every (patient, care_date) of the lines: covered unless `refused`
    names a registry reason for it; regime CNSS_SAL unless `regimes` says otherwise."""
    regimes, mutuals, refused = regimes or {}, mutuals or {}, refused or {}
    pairs = lines.select("patient_id", "care_date").unique().sort("patient_id", "care_date")
    rows = []
    for patient, day in pairs.iter_rows():
        reason = refused.get((patient, day))
        rows.append(
            {
                "patient_id": patient,
                "care_date": day,
                "covered": reason is None,
                "eligibility_reason": reason,
                "regime_code": regimes.get(patient, "CNSS_SAL"),
                "mutual_code": mutuals.get(patient),
            }
        )
    return frame(f.ELIGIBILITY, rows)


def history_row(
    patient_id: int,
    care_date: date,
    *,
    category: str,
    base: int,
    provider_id: int = 100,
    act_key: str | None = None,
    drug_code: str | None = None,
    quantity: int = 1,
    line_id: int = 1,
    claim_id: int = 0,
) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "claim_id": claim_id,
        "line_id": line_id,
        "provider_id": provider_id,
        "care_date": care_date,
        "category": category,
        "act_key": act_key,
        "drug_code": drug_code,
        "quantity": quantity,
        "base_centimes": base,
    }


def context(
    lines: pl.DataFrame,
    *,
    eligibility: pl.DataFrame | None = None,
    regimes: Mapping[int, str] | None = None,
    mutuals: Mapping[int, str] | None = None,
    history: Iterable[Mapping[str, Any]] = (),
    exemptions: Iterable[Mapping[str, Any]] = (),
    tariffs: Iterable[Mapping[str, Any]] = TARIFFS,
    drugs: Iterable[Mapping[str, Any]] = DRUGS,
    rates: Iterable[Mapping[str, Any]] = RATES,
    complementary: Iterable[Mapping[str, Any]] = COMPLEMENTARY,
    ceilings: Iterable[Mapping[str, Any]] = CEILINGS,
    policy: Policy | None = None,
    **policy_changes: Any,
) -> Context:
    """The default world around the lines; any table or Policy field may be replaced."""
    return Context(
        eligibility=eligibility if eligibility is not None else rights(lines, regimes, mutuals),
        tariffs=frame(f.TARIFFS, tariffs),
        drug_prices=frame(f.DRUG_PRICES, drugs),
        rates=frame(f.RATES, rates),
        complementary=frame(f.COMPLEMENTARY, complementary),
        exemptions=frame(f.EXEMPTIONS, exemptions),
        history=frame(f.HISTORY, history),
        ceilings=frame(f.CEILINGS, ceilings),
        policy=replace(policy or Policy(), **policy_changes),
    )


def extend_history(
    history: pl.DataFrame, lines: pl.DataFrame, decisions: pl.DataFrame
) -> pl.DataFrame:
    """HISTORY plus the accepted, reduced and pending_review lines of `decisions` (as the
    service saves them and the context reads them back)."""
    paid = lines.join(decisions, on=["claim_id", "line_id"]).filter(
        pl.col("status").is_in(["accepted", "reduced", "pending_review"])
    )
    added = paid.select(
        "patient_id",
        "claim_id",
        "line_id",
        "provider_id",
        "care_date",
        "category",
        "act_key",
        "drug_code",
        quantity="allowed_quantity",
        base_centimes="base_centimes",
    )
    return pl.concat([history, f.conform(added, f.HISTORY)])


def decide(*rows: Mapping[str, Any], **world: Any) -> list[dict[str, Any]]:
    """Adjudicate the lines in the default world (changed by `world`); decisions as dicts."""
    from daman.adjudication.engine import adjudicate

    lines = lines_frame(*rows)
    return adjudicate(lines, context(lines, **world)).to_dicts()


def one_at_a_time(lines: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Value each claim alone in claim_id order, each with HISTORY extended by the accepted,
    reduced and pending_review lines of the claims before it; decisions in the order of
    `lines`."""
    from daman.adjudication.engine import adjudicate

    history, parts = ctx.history, []
    for claim_id in sorted(lines.get_column("claim_id").unique().to_list()):
        claim = lines.filter(pl.col("claim_id") == claim_id)
        decisions = adjudicate(claim, replace(ctx, history=history))
        history = extend_history(history, claim, decisions)
        parts.append(decisions)
    by_line = pl.concat(parts)
    return (
        lines.select("line_id")
        .join(by_line, on="line_id", maintain_order="left")
        .select(by_line.columns)
    )


def random_batch(
    seed: int, claims: int, patients: int = 15, late_policy: str = "reject"
) -> tuple[pl.DataFrame, Context]:
    """A reproducible batch of many claims of mixed lines, with history and limits, large
    enough for the engine's many-lines paths."""
    import random

    rnd = random.Random(seed)
    items = [
        ("consultation", "C", None),
        ("consultation", "Cs", None),
        ("medical_act", "K", None),
        ("dental_prosthesis", "DP", None),
        ("dental_prosthesis", "DP", None),
        ("hospitalisation", "HOSP_MED", None),
        ("lab", "B", None),
        ("medicine", None, BRAND),
        ("medicine", None, GENERIC),
        ("medicine", None, NOT_REIMBURSABLE),
        ("medicine", None, LISTED_LATE),
        ("device", None, None),
    ]
    days = [D(2020, 1, 5) + timedelta(days=i) for i in range(20)]
    rows = []
    for claim_id in range(1, claims + 1):
        patient = rnd.randrange(1, patients + 1)
        care = rnd.choice(days)
        for line_no in range(1, rnd.randrange(1, 5) + 1):
            category, act_key, drug_code = rnd.choice(items)
            rows.append(
                line(
                    claim_id=claim_id,
                    line_no=line_no,
                    patient_id=patient,
                    care_date=care,
                    deposit_date=care + timedelta(days=rnd.choice([3, 10, 30, 60, 61, 95])),
                    category=category,
                    sector=rnd.choice(["private", "public"]),
                    provider_id=rnd.choice([100, 101, 102]),
                    act_key=act_key,
                    drug_code=drug_code,
                    coefficient_milli=rnd.choice([None, 1000, 22500, 100000]),
                    quantity=rnd.randrange(1, 4),
                    charged_centimes=rnd.randrange(0, 300_000),
                    ald_code=rnd.choice([None, None, None, "E10"]),
                    has_document=rnd.random() < 0.7,
                )
            )
    rnd.shuffle(rows)
    lines = lines_frame(*rows)
    regimes = {p: rnd.choice(["CNOPS", "CNSS_SAL", "TNS"]) for p in range(1, patients + 1)}
    mutuals = {p: "MGPAP" for p, r in regimes.items() if r == "CNOPS" and rnd.random() < 0.8}
    refused = {
        (p, d): "no_rights"
        for p, d in lines.select("patient_id", "care_date").unique().iter_rows()
        if rnd.random() < 0.1
    }
    history = [
        history_row(
            rnd.randrange(1, patients + 1),
            rnd.choice(days) - timedelta(days=rnd.choice([0, 2, 100])),
            category=category,
            act_key=act_key,
            drug_code=drug_code,
            provider_id=rnd.choice([100, 101, 102]),
            base=rnd.randrange(0, 200_000),
            quantity=rnd.randrange(1, 3),
            line_id=100_000 + i,
        )
        for i, (category, act_key, drug_code) in enumerate(rnd.choices(items, k=60))
    ]
    ctx = context(
        lines,
        eligibility=rights(lines, regimes, mutuals, refused),
        history=history,
        exemptions=[exemption(p, "E10") for p in range(1, patients + 1, 3)],
        ceilings=[
            *CEILINGS,
            ceiling("lab", max_quantity=2, period_days=10),
            ceiling("medicine", max_quantity=3, period_days=7, regime="CNSS_SAL"),
        ],
        late_policy=late_policy,
        review_threshold_centimes=200_000,
    )
    return lines, ctx
