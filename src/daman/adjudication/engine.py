"""The adjudication engine: claim lines and their context in, one decision per line out.

`adjudicate(lines, ctx)` is a pure function of Polars frames (see frames.py): no
database, no clock, no global state. The same function values one claim inside an API
request and a million lines in a batch. It runs in three stages:

1. vectorised (`_staged`, rules_match.py, rules_lookup.py): rights, filing deadline,
   reference price, rate, complementary rate, applicable ceiling and duplicates against
   HISTORY, for every line at once;
2. sequential (rules_sequence.py): only the lines that can depend on earlier lines of the
   batch (their category has a ceiling row, or another batch line has the same patient,
   date and item) are walked per patient in (claim_id, line_no) order;
3. vectorised (`_decided`): amounts, reason codes and status.

How a line is valued (every figure comes from the context or the Policy):

* rights: no ELIGIBILITY row, or covered false, for (patient, care_date) -> ``not_eligible``
  plus the registry's code as ``eligibility:<code>``;
* deadline: days from the care date (or from continuous_end when given) to deposit_date
  beyond Policy.filing_deadline_days -> ``late_filing`` (rejected); with late_policy
  "penalty" the AMO part is cut by late_penalty_bp per started calendar month after the
  deadline (``late_penalty``, reduced), and rejected with ``late_filing`` once the cut
  reaches 100 %;
* reference price: a line with a drug_code is a medicine line, valued at PRIX_BR
  (DRUG_PRICES.base_centimes) on the care date; else a line with an act_key is valued at
  the TARIFFS value of that key x coefficient_milli / 1000, half-up (null coefficient = 1);
  a line with neither has no reference (``no_reference_price``, review). An act key with no
  row in force -> ``unknown_tariff``; a drug code absent from the list -> ``unknown_drug``,
  listed but not that day -> ``drug_not_listed_on_date``; listed without PRIX_BR ->
  ``no_reference_price``. The reference is kept within core.money.MAX_CENTIMES (a day
  tariff x the largest coefficient would not fit the 32-bit amount columns); as no line
  charges more, no base changes. base = min(charged, reference x quantity) (null
  quantity = 1); ``above_reference`` when charged is more;
* rate: RATES for (category, exemption) with wildcards ald_code, regime_code, sector in
  that order of precedence. The exemption is the kind (ald / alc) of the patient's
  EXEMPTIONS row for the line's ald_code in force on the care date
  (``ald_exemption_applied``), else "none" (``ald_not_exempted`` when an ald_code was
  declared). DRUG_PRICES.rate_bp 0 -> ``drug_not_reimbursable`` (rate 0). No row ->
  ``no_rate`` (review, AMO 0);
* prior authorisation (rules_preauth.py): a line whose category is listed in REQUIREMENTS
  on its care date and that no AUTHORISATIONS row covers (same patient, provider, category,
  item or any item, care date within validity) -> ``authorisation_required`` (rejected); a
  covered line takes the authorisation's rate (``authorised``) and needs no document;
  beyond what the authorisation leaves (counting earlier batch lines on it) ->
  ``above_authorisation`` (review);
* amo = round_half_up(base x rate x (1 - penalty)), one rounding per line, integers only;
* complementary (ELIGIBILITY.mutual_code not null): COMPLEMENTARY rate for (category,
  mutual_code or any) x base, half-up, capped at charged - amo;
* ``invalid_line`` (rejected): charged null or negative, quantity below 1, coefficient
  not positive, or a missing care or deposit date;
* ``missing_document`` (review): category in Policy.document_categories and no document;
* ``above_review_threshold`` (review): final base above Policy.review_threshold_centimes;
* duplicates and ceilings: see rules_sequence.py.

Status: rejected if any reject code, else pending_review if any review code, else reduced
if any reduce code, else accepted. A rejected line shows the reference price and rate that
were found (null when none) but base 0, AMO 0, complementary 0, allowed_quantity 0 and
patient = charged, and lists only its reject codes (with the registry code when not
eligible). Other lines list their review, reduce and info codes; an accepted line starts
with ``ok``. A pending line shows the amounts it would be paid (AMO 0 when no rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from daman.adjudication.frames import (
    AUTHORISATIONS,
    CEILINGS,
    COMPLEMENTARY,
    DECISIONS,
    DRUG_PRICES,
    ELIGIBILITY,
    EXEMPTIONS,
    HISTORY,
    LINES,
    RATES,
    REQUIREMENTS,
    TARIFFS,
    Context,
    Policy,
    conform,
)
from daman.adjudication.rules_lookup import run
from daman.adjudication.rules_match import (
    history_matches,
    packable,
    same_item,
    scattered,
    with_exemption,
    with_references,
    with_rights,
)
from daman.adjudication.rules_preauth import above_authorisation, with_authorisation
from daman.adjudication.rules_sequence import SEQUENCE_FLAGS, sequential
from daman.claims import reasons as rc
from daman.core.enums import Exemption, LatePolicy, LineStatus
from daman.core.money import BP, MAX_CENTIMES

# The engine's frames hold plain strings: the enums' values.
ACCEPTED, REDUCED = LineStatus.ACCEPTED.value, LineStatus.REDUCED.value
REJECTED, PENDING = LineStatus.REJECTED.value, LineStatus.PENDING_REVIEW.value
NO_EXEMPTION = Exemption.NONE.value
_MILLI = 1000
_DTYPES: dict[str, Any] = dict(DECISIONS)


def adjudicate(lines: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """The DECISIONS frame: one row per line of `lines`, in the same order."""
    if lines.height == 0:
        return _frame(pl.DataFrame(schema=list(DECISIONS)), DECISIONS)
    history = _frame(ctx.history, HISTORY)
    staged = _staged(_frame(lines, LINES), ctx, history)
    walked = sequential(staged, history, ctx.policy)
    return _decided(staged, walked, ctx.policy)


def half_up(numerator: pl.Expr, denominator: int) -> pl.Expr:
    """numerator / denominator rounded half-up, for non-negative integer expressions."""
    return (numerator * 2 + denominator) // (2 * denominator)


def _flag(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(False)


def _frame(df: pl.DataFrame, schema: Mapping[str, Any]) -> pl.DataFrame:
    """The frame in the contract's columns and types (as is when it already is)."""
    if list(df.schema.items()) == list(schema.items()):
        return df
    return conform(df, dict(schema))


def _staged(lines: pl.DataFrame, ctx: Context, history: pl.DataFrame) -> pl.DataFrame:
    """Every line with its reference values and the flags that need no other batch line."""
    policy = ctx.policy
    eligibility = _frame(ctx.eligibility, ELIGIBILITY)
    start = (
        lines.lazy()
        .with_row_index("_row")
        .with_columns(
            _q=pl.col("quantity").fill_null(1),
            _coeff=pl.col("coefficient_milli").fill_null(_MILLI),
            _item=pl.coalesce("drug_code", "act_key"),
        )
    )
    pack = packable(lines, eligibility, history)
    start = with_rights(start, eligibility, pack).with_columns(same_item())
    df = start.with_columns(
        _shared=pl.col("_same").is_not_null() & pl.col("_same").is_duplicated()
    ).pipe(run)
    df = with_exemption(df, _frame(ctx.exemptions, EXEMPTIONS))
    authorisations = _frame(ctx.authorisations, AUTHORISATIONS)
    df = with_authorisation(df, _frame(ctx.requirements, REQUIREMENTS), authorisations)
    df = with_references(
        df,
        tariffs=_frame(ctx.tariffs, TARIFFS),
        rates=_frame(ctx.rates, RATES),
        complementary=_frame(ctx.complementary, COMPLEMENTARY),
        ceilings=_frame(ctx.ceilings, CEILINGS),
        drug_prices=_frame(ctx.drug_prices, DRUG_PRICES),
    )
    near, exact = history_matches(df, history, pack)
    limited = _frame(ctx.ceilings, CEILINGS).get_column("category").unique().implode()

    charged, q = pl.col("charged_centimes"), pl.col("_q")
    act_line = pl.col("drug_code").is_null() & pl.col("act_key").is_not_null()
    drug_line = pl.col("drug_code").is_not_null()
    reference = (
        pl.when(drug_line)
        .then(pl.col("_drug_base"))
        .when(act_line)
        .then(half_up(pl.col("_tariff") * pl.col("_coeff"), _MILLI))
        .clip(upper_bound=MAX_CENTIMES)
    )
    hist_near, hist_exact = (
        pl.col("_row").is_in(near.implode()),
        pl.col("_row").is_in(exact.implode()),
    )
    flags = {
        "invalid_line": charged.is_null()
        | (charged < 0)
        | (q < 1)
        | (pl.col("_coeff") <= 0)
        | pl.col("care_date").is_null()
        | pl.col("deposit_date").is_null(),
        "not_eligible": ~pl.col("covered").fill_null(False),
        "unknown_tariff": act_line & pl.col("_tariff").is_null(),
        "unknown_drug": drug_line & pl.col("_drug_known").is_null(),
        "drug_not_listed_on_date": drug_line
        & pl.col("_drug_known").is_not_null()
        & pl.col("_drug_found").is_null(),
        "drug_not_reimbursable": pl.col("_drug_rate") == 0,
        "duplicate": hist_exact,
        "no_reference_price": pl.col("_reference").is_null()
        & ~(drug_line & pl.col("_drug_found").is_null())
        & ~(act_line & pl.col("_tariff").is_null()),
        "no_rate": pl.col("_rate").is_null(),
        "missing_document": pl.col("category").is_in(sorted(policy.document_categories))
        & ~pl.col("has_document").fill_null(False)
        & pl.col("_auth").is_null(),  # an authorised line's documents are in its file
        "authorisation_required": pl.col("_needs_auth") & pl.col("_auth").is_null(),
        "authorised": pl.col("_auth").is_not_null(),
        "above_authorisation": above_authorisation(authorisations.height > 0),
        "suspected_duplicate": hist_near & ~hist_exact,
        "above_reference": charged > pl.col("_reference") * q,
        "ald_exemption_applied": pl.col("exemption") != NO_EXEMPTION,
        "ald_not_exempted": pl.col("ald_code").is_not_null()
        & (pl.col("exemption") == NO_EXEMPTION),
    }
    late = _deadline(policy)
    flags |= {"late_filing": late.pop("late_filing"), "late_penalty": late.pop("late_penalty")}
    return (
        df.lazy()
        .with_columns(_reference=reference)
        .with_columns(
            _base0=pl.when(pl.col("_reference").is_not_null())
            .then(pl.min_horizontal(charged, pl.col("_reference") * q))
            .otherwise(0),
            _rate=pl.when(pl.col("_drug_rate") == 0)
            .then(0)
            .otherwise(pl.coalesce("_auth_rate", "_rate")),
            _comp_rate=pl.when(pl.col("mutual_code").is_not_null())
            .then(pl.col("_comp_rate"))
            .otherwise(0)
            .fill_null(0),
            _walk=pl.col("_shared") | pl.col("category").is_in(limited),
            _registry=pl.when(~pl.col("covered").fill_null(False)).then("eligibility_reason"),
            **late,
        )
        .with_columns(_static=_bits(flags))
        .with_columns(
            _static_reject=(pl.col("_static") & rc.mask_of(rc.Severity.REJECT)) != 0,
            _static_review=(pl.col("_static") & rc.mask_of(rc.Severity.REVIEW)) != 0,
        )
        .pipe(run)
    )


def _bits(flags: Mapping[str, pl.Expr]) -> pl.Expr:
    """The flags, one per code, as one Int64 of reason bits (reasons.BIT)."""
    bits = [pl.when(e).then(rc.BIT[code]).otherwise(0) for code, e in flags.items()]
    return pl.sum_horizontal(bits)


def _deadline(policy: Policy) -> dict[str, pl.Expr]:
    """late_filing, late_penalty and the penalty in basis points (_penalty)."""
    start = pl.coalesce("continuous_end", "care_date")
    limit = start + pl.duration(days=policy.filing_deadline_days)
    late = _flag(pl.col("deposit_date") > limit)
    if policy.late_policy != LatePolicy.PENALTY:
        return {"late_filing": late, "late_penalty": pl.lit(False), "_penalty": pl.lit(0)}
    # Started calendar months after the deadline: the smallest m with limit + m months
    # on or after the deposit date (month ends clamp: 31 Jan + 1 month = 28/29 Feb).
    deposit = pl.col("deposit_date")
    months = (deposit.dt.year() - limit.dt.year()) * 12 + deposit.dt.month() - limit.dt.month()
    months = months.cast(pl.Int64)
    reached = limit.dt.offset_by(pl.format("{}mo", months)) >= deposit
    started = pl.when(reached).then(months).otherwise(months + 1)
    penalty = pl.min_horizontal(started * policy.late_penalty_bp, pl.lit(BP))
    full = late & (penalty >= BP)
    return {
        "late_filing": full,
        "late_penalty": late & ~full,
        "_penalty": pl.when(late & ~full).then(penalty).otherwise(0),
    }


def _decided(staged: pl.DataFrame, walked: pl.DataFrame | None, policy: Policy) -> pl.DataFrame:
    """Amounts, reasons and status of every line."""
    if walked is None:
        lf = staged.lazy().with_columns(
            _seq_base=pl.lit(None, pl.Int64),
            _seq_qty=pl.lit(None, pl.Int64),
            **{flag: pl.lit(False) for flag in SEQUENCE_FLAGS},
        )
    else:  # _row is the row number: put the walked values in place
        at = walked.get_column("_row")
        lf = staged.hstack(
            [
                scattered(staged.height, at, column, False if column.dtype == pl.Boolean else None)
                for column in walked.drop("_row")
            ]
        ).lazy()
    base = pl.coalesce("_seq_base", "_base0")
    walked_flags = {
        "duplicate": pl.col("_batch_exact"),
        "suspected_duplicate": pl.col("_batch_near"),
        **{code: pl.col(code) for code in SEQUENCE_FLAGS if code in rc.BIT},
        "above_review_threshold": base > policy.review_threshold_centimes,
    }
    reject = rc.mask_of(rc.Severity.REJECT)
    lf = lf.with_columns(
        _base=base,
        _qty=pl.coalesce("_seq_qty", "_q"),
        _mask=pl.col("_static") | _bits(walked_flags),
    ).with_columns(_rejected=(pl.col("_mask") & reject) != 0)
    rejected, b = pl.col("_rejected"), pl.col("_base")
    if policy.late_policy == LatePolicy.PENALTY:
        scaled = b.cast(pl.Int128) * pl.col("_rate") * (BP - pl.col("_penalty"))
        amo = half_up(scaled, BP * BP).cast(pl.Int64)
    else:
        amo = half_up(b * pl.col("_rate"), BP)
    charged = pl.col("charged_centimes")
    lf = lf.with_columns(_amo=pl.when(rejected).then(0).otherwise(amo.fill_null(0)))
    comp = pl.min_horizontal(half_up(b * pl.col("_comp_rate"), BP), charged - pl.col("_amo"))
    lf = lf.with_columns(_comp=pl.when(rejected).then(0).otherwise(comp).fill_null(0))
    # A rejected line shows only its reject codes and, when not eligible, the registry's.
    registry_codes = staged.get_column("_registry").drop_nulls().unique().sort().to_list()
    detail = pl.col("_registry").replace_strict(
        registry_codes, range(1, len(registry_codes) + 1), default=0, return_dtype=pl.Int64
    )
    label = (
        pl.when(rejected)
        .then(
            (pl.col("_mask") & reject)
            + pl.when(pl.col("_registry").is_not_null()).then(detail * (1 << 32)).otherwise(0)
        )
        .otherwise(pl.col("_mask") & ~reject)
    )
    decided = lf.select(
        "claim_id",
        "line_id",
        _label=label,
        reference_centimes="_reference",
        base_centimes=pl.when(rejected).then(0).otherwise(b),
        rate_bp="_rate",
        amo_centimes="_amo",
        complementary_centimes="_comp",
        patient_centimes=charged.fill_null(0) - pl.col("_amo") - pl.col("_comp"),
        allowed_quantity=pl.when(rejected).then(0).otherwise(pl.col("_qty")),
    ).pipe(run)
    labels = _labels(decided.get_column("_label").unique(), registry_codes)
    return (
        decided.lazy()
        .join(labels.lazy(), on="_label", how="left", maintain_order="left")
        .select(pl.col(c).cast(_DTYPES[c]) for c in DECISIONS)
        .pipe(run)
    )


def _labels(keys: pl.Series, registry_codes: list[str]) -> pl.DataFrame:
    """Status and reason list of each distinct label (flags and registry code)."""
    reject = rc.mask_of(rc.Severity.REJECT)
    review = rc.mask_of(rc.Severity.REVIEW)
    reduce_ = rc.mask_of(rc.Severity.REDUCE)
    statuses, lists = [], []
    for key in keys.to_list():
        mask, detail = key & ((1 << 32) - 1), key >> 32
        codes = [c for c in rc.ORDER if mask & rc.BIT[c]]
        if mask & reject:
            status = REJECTED
            if detail:
                at = codes.index("not_eligible") + 1
                codes.insert(at, f"{rc.ELIGIBILITY_PREFIX}{registry_codes[detail - 1]}")
        elif mask & review:
            status = PENDING
        elif mask & reduce_:
            status = REDUCED
        else:
            status = ACCEPTED
            codes = ["ok", *codes]
        statuses.append(status)
        lists.append(codes)
    return pl.DataFrame(
        {"_label": keys, "status": statuses, "reasons": lists},
        schema={"_label": keys.dtype, "status": pl.String, "reasons": pl.List(pl.String)},
    )
