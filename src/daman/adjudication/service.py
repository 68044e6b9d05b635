"""Adjudication use cases: value received claims (one in real time or many in a batch)
and decide the lines of the review queue.

Valuing is three steps in the caller's transaction: load the context (context.py, a fixed
number of queries), call the pure engine, save everything in bulk (never an ORM flush per
line): each line's decision, one engine LineDecision per line, a ReviewItem per line pending
review, the claim's totals, regime, outcome and a status event. On PostgreSQL every table's
rows are built by Polars and sent by COPY, the claims and lines updated from a temporary
table in one statement each; on SQLite an executemany per table. `value_unsaved` takes the
same first two steps for the lines of a claim that is not stored (a dry run) and writes
nothing.

Claim totals: charged and base add up every line; AMO and complementary add up the lines
that are decided (a line pending review shows what it would be paid, but it is not counted
until a controller decides it); patient = charged - AMO - complementary. Status: pending
review while any line is; otherwise adjudicated, with outcome accepted (every line
accepted), rejected (every line rejected) or partly accepted.

Only `received` claims are valued, and the claim's status changes in the same statement
that checks it still is `received`: a claim is never valued twice, even by two batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import polars as pl
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.orm import Session

from daman.adjudication import context
from daman.adjudication import engine as rules
from daman.adjudication import repository as repo
from daman.adjudication.models import ReviewAction, ReviewItem
from daman.adjudication.schemas import ReviewDecisionIn
from daman.claims import reasons as rc
from daman.claims import repository as claims_repo
from daman.claims import requests
from daman.claims.models import (
    Claim,
    ClaimLine,
    ClaimOutcome,
    ClaimStatus,
    ClaimStatusEvent,
    DecisionSource,
    LineDecision,
    LineStatus,
)
from daman.core.batch import batch_engine, check_chunk_size, run_in_chunks
from daman.core.bulk import Part, bulk_insert, bulk_update, copy_insert, copy_update, json_lists
from daman.core.dates import now
from daman.core.errors import Conflict, NotFound, ValidationFailed
from daman.reference.cache import Reference

DOCUMENT_RECEIVED = "document_received"  # a line back in review: the document asked came
_ACTION_CODE = {
    ReviewAction.ACCEPT: "review_accepted",
    ReviewAction.REDUCE: "review_reduced",
    ReviewAction.REJECT: "review_rejected",
}


# ---------------------------------------------------------------------------------------
# Valuation


@dataclass
class Valued:
    claims: int = 0
    lines: int = 0
    claim_statuses: Counter[str] = field(default_factory=Counter)
    line_statuses: Counter[str] = field(default_factory=Counter)

    def add(self, other: Valued) -> None:
        self.claims += other.claims
        self.lines += other.lines
        self.claim_statuses.update(other.claim_statuses)
        self.line_statuses.update(other.line_statuses)


def adjudicate_claims(session: Session, claim_ids: Sequence[int], actor: str) -> list[Claim]:
    """Value `received` claims now, in the caller's transaction; the claims, re-read."""
    value(session, claim_ids, actor)
    return claims_repo.by_ids(session, claim_ids)


def value(session: Session, claim_ids: Sequence[int], actor: str) -> Valued:
    """Value `received` claims and save the decisions in bulk (Conflict if one is not)."""
    ids = sorted(set(claim_ids))
    if not ids:
        return Valued()
    loaded = context.load(session, ids)
    if loaded.lines.is_empty():
        raise NotFound(f"no claim lines to value for claims {ids[:10]}", code="claim_not_found")
    return _save(session, ids, loaded, _decided(loaded), actor)


@dataclass(frozen=True)
class Unsaved:
    """What valuing lines that are not stored gives (a dry run): each line with its
    decision (the columns `value` saves on a line, in line order) and the claim's totals,
    status, outcome and regime (the columns `value` saves on a claim)."""

    lines: list[dict[str, Any]]
    claim: dict[str, Any]


def value_unsaved(session: Session, lines: pl.DataFrame) -> Unsaved:
    """Value the LINES of one claim that is not stored (context.unsaved_lines) as `value`
    values a stored one: the same context, engine and totals, and nothing written."""
    loaded = context.load_lines(session, lines)
    decided = _decided(loaded).sort("line_no")
    claims = _claim_columns(decided, loaded)
    if len(claims["id"]) != 1:
        raise ValueError("value_unsaved values the lines of exactly one claim")
    return Unsaved(
        lines=decided.select("line_no", *_line_columns()).to_dicts(),
        claim={k: v[0] for k, v in claims.items() if k != "id"},
    )


@dataclass(frozen=True)
class Fresh:
    """Claims valued before they are stored (the counter): each line with its decision
    (the columns `value` saves on a line, by line_id) and each claim's totals, status,
    outcome and regime (the columns `value` saves on a claim, by id)."""

    lines: dict[int, dict[str, Any]]
    claims: dict[int, dict[str, Any]]
    decided: pl.DataFrame  # the lines with their decisions, for save_fresh


def value_fresh(session: Session, lines: pl.DataFrame, ref: Reference | None = None) -> Fresh:
    """Value the LINES of claims built in memory with their ids (context.lines_of), as
    `value` values stored ones: the same context, engine and totals, nothing written."""
    loaded = context.load_lines(session, lines, ref)
    decided = _decided(loaded)
    claims = _claim_columns(decided, loaded)
    names = [n for n in claims if n != "id"]
    by_claim = {
        cid: dict(zip(names, row, strict=True))
        for cid, *row in zip(claims["id"], *(claims[n] for n in names), strict=True)
    }
    by_line = {
        row.pop("line_id"): row
        for row in decided.select("line_id", *_line_columns()).iter_rows(named=True)
    }
    return Fresh(lines=by_line, claims=by_claim, decided=decided)


def fresh_trail(fresh: Fresh, at: datetime, actors: dict[int, str]) -> list[Part]:
    """The decision trail of claims stored with their values (claims.fresh.rows), by table
    and column for core.bulk.insert_together: one engine LineDecision per line and a
    ReviewItem per line pending review, as `value` saves them. `actors`: who sent each
    claim (by claim id), whom the decisions name."""
    lines = fresh.decided
    cols = lines.select("line_id", "claim_id", *_line_columns()).to_dict()
    by = [actors[c] for c in cols["claim_id"].to_list()]
    parts: list[Part] = [
        (
            _table(LineDecision),
            {**cols, "decided_by": by},
            {"source": DecisionSource.ENGINE, "note": "", "decided_at": at},
        )
    ]
    pending = lines.filter(pl.col("status") == LineStatus.PENDING_REVIEW)
    if pending.height:
        review_codes = {c for c, r in rc.REASONS.items() if r.severity is rc.Severity.REVIEW}
        claim_ids = pending.get_column("claim_id").to_list()
        parts.append(
            (
                _table(ReviewItem),
                {
                    "claim_id": claim_ids,
                    "line_id": pending.get_column("line_id").to_list(),
                    "reasons": [
                        [c for c in codes if c in review_codes]
                        for codes in pending.get_column("reasons").to_list()
                    ],
                    "created_by": [actors[c] for c in claim_ids],
                },
                {"created_at": at},
            )
        )
    return parts


def _decided(loaded: context.Loaded) -> pl.DataFrame:
    """The lines with the engine's decision joined, every line decided."""
    decisions = pl.concat([rules.adjudicate(part, ctx) for part, ctx in loaded.parts])
    lines = loaded.lines.join(decisions.drop("claim_id"), on="line_id", how="left", validate="1:1")
    if lines.get_column("status").null_count() or lines.height != loaded.lines.height:
        raise RuntimeError("the engine did not decide every line")
    return lines


def _line_columns() -> list[str | pl.Expr]:
    """The decision columns saved on each line (a missing rate is 0)."""
    return [
        "status",
        "reference_centimes",
        "base_centimes",
        pl.col("rate_bp").fill_null(0),
        "amo_centimes",
        "complementary_centimes",
        "patient_centimes",
        "allowed_quantity",
        "reasons",
    ]


def _save(
    session: Session, ids: list[int], loaded: context.Loaded, lines: pl.DataFrame, actor: str
) -> Valued:
    at = now()
    claims = _claim_columns(lines, loaded)
    if len(claims["id"]) != len(ids):
        missing = sorted(set(ids) - set(claims["id"]))
        raise NotFound(f"claims without lines or unknown: {missing[:10]}", code="claim_not_found")
    stamp = {"adjudicated_at": at, "updated_at": at, "updated_by": actor}
    received = ("status", ClaimStatus.RECEIVED)
    if _postgres(session):
        frame = pl.DataFrame(claims, schema_overrides=_CLAIM_TEXTS)
        updated = copy_update(session, _table(Claim), "id", frame, stamp, only_if=received)
    else:
        updated = bulk_update(session, _table(Claim), "id", claims, stamp, only_if=received)
    if updated != len(claims["id"]):
        raise Conflict(
            "some of these claims are not `received` any more (already valued)",
            code="claim_not_received",
        )
    _save_lines(session, lines, claims, at, actor)
    return Valued(
        claims=len(claims["id"]),
        lines=lines.height,
        claim_statuses=Counter(claims["status"]),
        line_statuses=Counter(lines.get_column("status").to_list()),
    )


def _save_lines(
    session: Session, lines: pl.DataFrame, claims: dict[str, list[Any]], at: datetime, actor: str
) -> None:
    """The decisions of claims just updated: each line's, the trail, the review items and
    the claims' status events."""
    if _postgres(session):
        _copy_lines(session, lines, claims, at, actor)
        return
    cols = lines.select("line_id", *_line_columns()).to_dict()
    decided = {"decided_at": at, "decided_by": actor}
    bulk_update(session, _table(ClaimLine), "id", {"id": cols.pop("line_id"), **cols}, decided)
    trail: dict[str, Any] = {"line_id": lines.get_column("line_id")}
    trail["claim_id"] = lines.get_column("claim_id")
    bulk_insert(
        session,
        _table(LineDecision),
        trail | {k: v for k, v in cols.items() if k != "id"},
        {"source": DecisionSource.ENGINE, "note": "", **decided},
    )
    pending = lines.filter(pl.col("status") == LineStatus.PENDING_REVIEW)
    if pending.height:
        review_codes = {c for c, r in rc.REASONS.items() if r.severity is rc.Severity.REVIEW}
        bulk_insert(
            session,
            _table(ReviewItem),
            {
                "claim_id": pending.get_column("claim_id").to_list(),
                "line_id": pending.get_column("line_id").to_list(),
                "reasons": [
                    [c for c in codes if c in review_codes]
                    for codes in pending.get_column("reasons").to_list()
                ],
            },
            {"created_at": at, "created_by": actor},
        )
    claims_repo.add_events(
        session,
        claims["id"],
        from_status=ClaimStatus.RECEIVED,
        to_status=claims["status"],
        at=at,
        by=actor,
        reason=VALUED,
    )


VALUED = "valued by the engine"  # the reason of the status event of a claim the batch valued
_CLAIM_TEXTS = {"status": pl.String, "outcome": pl.String, "regime_code": pl.String}


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _copy_lines(
    session: Session, lines: pl.DataFrame, claims: dict[str, list[Any]], at: datetime, actor: str
) -> None:
    """`_save_lines` on PostgreSQL: every table's rows built by Polars and sent by COPY (no
    value turned into a Python object), the lines updated from a temporary table."""
    valued = lines.select(pl.col("line_id").alias("id"), *_line_columns())
    valued = valued.with_columns(json_lists(valued.get_column("reasons")))
    copy_update(session, _table(ClaimLine), "id", valued, {"decided_at": at, "decided_by": actor})
    trail = valued.rename({"id": "line_id"}).with_columns(
        claim_id=lines.get_column("claim_id"),
        source=pl.lit(DecisionSource.ENGINE.value),
        note=pl.lit(""),
        decided_at=pl.lit(at),
        decided_by=pl.lit(actor),
    )
    copy_insert(session, _table(LineDecision), trail, actor)
    pending = lines.filter(pl.col("status") == LineStatus.PENDING_REVIEW)
    if pending.height:
        review_codes = [c for c, r in rc.REASONS.items() if r.severity is rc.Severity.REVIEW]
        kept = pending.get_column("reasons").list.eval(
            pl.element().filter(pl.element().is_in(review_codes))
        )
        items = pending.select("claim_id", "line_id").with_columns(
            reasons=json_lists(kept), created_at=pl.lit(at), created_by=pl.lit(actor)
        )
        copy_insert(session, _table(ReviewItem), items, actor)
    events = pl.DataFrame(
        {"claim_id": claims["id"], "to_status": claims["status"]},
        schema={"claim_id": pl.Int64, "to_status": pl.String},
    ).with_columns(
        from_status=pl.lit(ClaimStatus.RECEIVED.value),
        at=pl.lit(at),
        by=pl.lit(actor),
        reason=pl.lit(VALUED),
    )
    copy_insert(session, _table(ClaimStatusEvent), events, actor)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _claim_columns(lines: pl.DataFrame, loaded: context.Loaded) -> dict[str, list[Any]]:
    """Totals, status, outcome and regime of every claim, by column, from its lines."""
    pending = pl.col("status") == LineStatus.PENDING_REVIEW
    counted = pl.when(pending).then(0)
    n_accepted = (pl.col("status") == LineStatus.ACCEPTED).sum()
    n_rejected = (pl.col("status") == LineStatus.REJECTED).sum()
    totals = (
        lines.group_by("claim_id")
        .agg(
            charged_centimes=pl.col("charged_centimes").sum(),
            base_centimes=pl.col("base_centimes").sum(),
            amo_centimes=counted.otherwise(pl.col("amo_centimes")).sum(),
            complementary_centimes=counted.otherwise(pl.col("complementary_centimes")).sum(),
            status=pl.when(pending.any())
            .then(pl.lit(ClaimStatus.PENDING_REVIEW.value))
            .otherwise(pl.lit(ClaimStatus.ADJUDICATED.value)),
            outcome=pl.when(pending.any())
            .then(None)
            .when(n_accepted == pl.len())
            .then(pl.lit(ClaimOutcome.ACCEPTED.value))
            .when(n_rejected == pl.len())
            .then(pl.lit(ClaimOutcome.REJECTED.value))
            .otherwise(pl.lit(ClaimOutcome.PARTLY_ACCEPTED.value)),
            patient_id=pl.col("patient_id").first(),
            first_care=pl.col("care_date").min(),
        )
        .sort("claim_id")
        .with_columns(
            patient_centimes=pl.col("charged_centimes")
            - pl.col("amo_centimes")
            - pl.col("complementary_centimes")
        )
    )
    regimes = [
        e.regime_code if (e := loaded.rights.get(key)) else None
        for key in totals.select("patient_id", "first_care").iter_rows()
    ]
    out = (
        totals.rename({"claim_id": "id"}).drop("patient_id", "first_care").to_dict(as_series=False)
    )
    out["regime_code"] = regimes
    return out


def _outcome(n: int, accepted: int, rejected: int) -> ClaimOutcome:
    if accepted == n:
        return ClaimOutcome.ACCEPTED
    if rejected == n:
        return ClaimOutcome.REJECTED
    return ClaimOutcome.PARTLY_ACCEPTED


# ---------------------------------------------------------------------------------------
# Batch


@dataclass
class BatchReport:
    chunks: int = 0
    valued: Valued = field(default_factory=Valued)

    @property
    def claims(self) -> int:
        return self.valued.claims


Progress = Callable[[int, int], None]  # (claims valued so far, claims to value)


def pick_received(session: Session, limit: int) -> list[int]:
    """The next `received` claims in id order; on PostgreSQL locked, skipping claims that
    another batch holds."""
    stmt = (
        select(Claim.id).where(Claim.status == ClaimStatus.RECEIVED).order_by(Claim.id).limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def count_received(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Claim).where(Claim.status == ClaimStatus.RECEIVED)
        )
        or 0
    )


def run_batch(
    engine_or_url: Engine | str,
    chunk_size: int = 1000,
    actor: str = "batch",
    progress: Progress | None = None,
) -> BatchReport:
    """Value every `received` claim, `chunk_size` claims per transaction, in id order.

    Safe to interrupt and re-run: a chunk commits whole or not at all, and only claims
    still `received` are picked, so no claim is valued twice and none is left out.
    """
    check_chunk_size(chunk_size)
    report = BatchReport()

    def one_chunk(session: Session) -> int:
        ids = pick_received(session, chunk_size)
        if ids:
            report.valued.add(value(session, ids, actor))
        return len(ids)

    def committed(_: int) -> None:
        report.chunks += 1
        if progress:
            progress(report.claims, max(total, report.claims))

    with batch_engine(engine_or_url) as engine:
        with Session(engine) as session, session.begin():
            total = count_received(session)
        if progress:
            progress(0, total)
        run_in_chunks(engine, one_chunk, committed)
    return report


# ---------------------------------------------------------------------------------------
# Review queue


def review_queue(
    session: Session,
    *,
    limit: int,
    offset: int,
    agency: str | None = None,
    category: str | None = None,
    reason: str | None = None,
    urgent_first: bool = False,
) -> tuple[list[ReviewItem], int]:
    return repo.open_items(
        session,
        limit=limit,
        offset=offset,
        agency=agency,
        category=category,
        reason=reason,
        urgent_first=urgent_first,
    )


def review_item(session: Session, item_id: int) -> ReviewItem:
    """One review item (decided or not), or NotFound."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}", code="review_item_not_found")
    return item


def assign(session: Session, item_id: int, actor: str) -> ReviewItem:
    item = _open_item(session, item_id)
    item.assigned_to = actor
    item.assigned_at = now()
    session.flush()
    return item


def _open_item(session: Session, item_id: int) -> ReviewItem:
    item = repo.item_for_update(session, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}", code="review_item_not_found")
    if item.decided_at is not None:
        raise Conflict(
            f"review item {item_id} was decided by {item.decided_by} ({item.action})",
            code="review_already_decided",
        )
    return item


def decide(session: Session, item_id: int, decision: ReviewDecisionIn, actor: str) -> ReviewItem:
    """Accept, reduce or reject a line under review, then re-value its claim's totals."""
    item = _open_item(session, item_id)
    line, claim = item.line, item.claim
    if line.status != LineStatus.PENDING_REVIEW or claim.status != ClaimStatus.PENDING_REVIEW:
        raise Conflict(f"line {line.line_no} of claim {claim.number} is not pending review")
    at = now()
    kept = [
        c for c in line.reasons or [] if rc.severity(c) in (rc.Severity.INFO, rc.Severity.REDUCE)
    ]
    kept = [c for c in kept if c != "ok"]
    proposed_amo = line.amo_centimes or 0
    if decision.action == ReviewAction.REDUCE:
        amount = decision.amo_centimes
        if amount is None or not 0 <= amount < proposed_amo:
            raise ValidationFailed.one(
                "amo_centimes",
                f"reduce needs an amount from 0 to less than the valued {proposed_amo}",
            )
        line.amo_centimes = amount
        line.status = LineStatus.REDUCED
    elif decision.amo_centimes is not None:
        raise ValidationFailed.one("amo_centimes", "only a reduction carries an amount")
    elif decision.action == ReviewAction.ACCEPT:
        reduced = any(rc.severity(c) == rc.Severity.REDUCE for c in kept)
        line.status = LineStatus.REDUCED if reduced else LineStatus.ACCEPTED
    else:
        line.status = LineStatus.REJECTED
        line.base_centimes = line.amo_centimes = line.complementary_centimes = 0
        line.allowed_quantity = 0
        kept = []
    line.complementary_centimes = min(
        line.complementary_centimes or 0, line.charged_centimes - (line.amo_centimes or 0)
    )
    line.patient_centimes = (
        line.charged_centimes - (line.amo_centimes or 0) - line.complementary_centimes
    )
    line.reasons = [_ACTION_CODE[decision.action], *kept]
    line.decided_at, line.decided_by = at, actor
    session.add(
        LineDecision(
            line_id=line.id,
            claim_id=claim.id,
            source=DecisionSource.REVIEW,
            status=line.status,
            reference_centimes=line.reference_centimes,
            base_centimes=line.base_centimes or 0,
            rate_bp=line.rate_bp or 0,
            amo_centimes=line.amo_centimes or 0,
            complementary_centimes=line.complementary_centimes,
            patient_centimes=line.patient_centimes,
            allowed_quantity=line.allowed_quantity or 0,
            reasons=line.reasons,
            decided_at=at,
            decided_by=actor,
            note=decision.reason,
        )
    )
    item.decided_at, item.decided_by = at, actor
    item.action, item.note = decision.action, decision.reason
    session.flush()
    revalue(session, claim, actor, f"review of line {line.line_no}: {decision.action}")
    return item


def revalue(session: Session, claim: Claim, actor: str, why: str) -> None:
    """Recompute a claim's totals, outcome and status from its lines' decisions."""
    session.refresh(claim, ["lines"])
    lines = claim.lines
    decided = [ln for ln in lines if ln.status != LineStatus.PENDING_REVIEW]
    claim.charged_centimes = sum(ln.charged_centimes for ln in lines)
    claim.base_centimes = sum(ln.base_centimes or 0 for ln in lines)
    claim.amo_centimes = sum(ln.amo_centimes or 0 for ln in decided)
    claim.complementary_centimes = sum(ln.complementary_centimes or 0 for ln in decided)
    claim.patient_centimes = (
        claim.charged_centimes - claim.amo_centimes - claim.complementary_centimes
    )
    claim.updated_by = actor
    if len(decided) == len(lines):
        before = claim.status
        claim.status = ClaimStatus.ADJUDICATED
        claim.outcome = _outcome(
            len(lines),
            sum(ln.status == LineStatus.ACCEPTED for ln in lines),
            sum(ln.status == LineStatus.REJECTED for ln in lines),
        )
        claim.adjudicated_at = now()
        claims_repo.add_events(
            session,
            [claim.id],
            from_status=before,
            to_status=ClaimStatus.ADJUDICATED,
            at=claim.adjudicated_at,
            by=actor,
            reason=why,
        )
    session.flush()


# ---------------------------------------------------------------------------------------
# A document the fund asked for


def document_received(session: Session, claim: Claim, filenames: Sequence[str], actor: str) -> bool:
    """Documents arrived for a claim with a request for one open (daman.claims.requests):
    the request is answered, a row of the history naming the files, and the claim goes back
    to review. An adjudicated claim's paid lines (accepted or reduced) wait for a
    controller again: each pending review with the reason ``document_received``, a review
    item and a decision of the trail (its amounts shown, not counted until decided; a
    rejected line stays rejected), the claim pending review until they are decided. A claim
    still received (the batch values it with its documents) or in review stays where it is,
    the documents beside it. False, nothing written, when no request is open. Approved and
    paid claims take no documents: the caller refuses them first."""
    if not requests.open_requests(claim):
        return False
    at = now()
    names = ", ".join(filenames)
    before = ClaimStatus(claim.status)
    paid_lines = (LineStatus.ACCEPTED, LineStatus.REDUCED)
    reopened = (
        [ln for ln in claim.lines if ln.status in paid_lines]
        if before == ClaimStatus.ADJUDICATED
        else []
    )
    for line in reopened:
        line.status = LineStatus.PENDING_REVIEW
        line.reasons = [c for c in line.reasons or [] if c != "ok"] + [DOCUMENT_RECEIVED]
        line.decided_at, line.decided_by = at, actor
        session.add(
            ReviewItem(
                claim_id=claim.id,
                line_id=line.id,
                reasons=[DOCUMENT_RECEIVED],
                created_at=at,
                created_by=actor,
            )
        )
        session.add(
            LineDecision(
                line_id=line.id,
                claim_id=claim.id,
                source=DecisionSource.REVIEW,
                status=line.status,
                reference_centimes=line.reference_centimes,
                base_centimes=line.base_centimes or 0,
                rate_bp=line.rate_bp or 0,
                amo_centimes=line.amo_centimes or 0,
                complementary_centimes=line.complementary_centimes or 0,
                patient_centimes=line.patient_centimes or 0,
                allowed_quantity=line.allowed_quantity or 0,
                reasons=line.reasons,
                decided_at=at,
                decided_by=actor,
                note=names,
            )
        )
    after = before
    if reopened:
        after = ClaimStatus.PENDING_REVIEW
        decided = [ln for ln in claim.lines if ln.status != LineStatus.PENDING_REVIEW]
        claim.amo_centimes = sum(ln.amo_centimes or 0 for ln in decided)
        claim.complementary_centimes = sum(ln.complementary_centimes or 0 for ln in decided)
        claim.patient_centimes = (
            claim.charged_centimes - claim.amo_centimes - claim.complementary_centimes
        )
        claim.status, claim.outcome, claim.updated_by = after, None, actor
    claims_repo.add_events(
        session,
        [claim.id],
        from_status=before,
        to_status=after,
        at=at,
        by=actor,
        reason=f"{requests.DOCUMENT_RECEIVED}: {names}",
    )
    session.flush()
    session.expire(claim, ["events"])
    return True
