"""Care sheets at the counter in real time: those that arrive together are checked,
valued and stored together, and each is answered from memory once they have committed.

For each group (daman.core.microbatch: the requests that arrived while the previous group
ran, or one request alone when the server is idle):

1. claims.fresh.check: the checks of intake, in bulk (a few queries for the whole group),
   and each new claim built in memory with its ids and number reserved;
2. adjudication.value_fresh: one engine call for the lines of every new claim of the group,
   the same context and engine as a batch (claims in the order they arrived: the property
   tests hold a batch to what valuing one claim at a time gives);
3. each claim and its lines take their values, and are inserted once, with their status
   events, decision trail and review items, all in one statement (claims.fresh.rows,
   adjudication.fresh_trail, core.bulk.insert_together);
4. each answer is built from the rows in memory (nothing is read back), and returned once
   the group has committed (commit before answer).

A care sheet sent again under its Idempotency-Key is answered with the first claim as it
stands (read after the commit); a refused one with its error; neither holds up the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from daman.adjudication import context
from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.claims import fresh
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.claims.fresh import Replay, Sent
from daman.claims.models import Claim, ClaimOutcome, ClaimStatus, LineStatus
from daman.claims.schemas import ClaimIn, ClaimOut
from daman.core.bulk import insert_together
from daman.core.dates import now
from daman.core.errors import DamanError
from daman.core.microbatch import Group
from daman.reference import cache


@dataclass(frozen=True)
class Job:
    sent: Sent
    lang: str


Answer = ClaimOut | Replay


def value_together(session: Session, jobs: Sequence[Job]) -> list[Answer | DamanError]:
    """Check, value and store the care sheets of `jobs` in the session's transaction; for
    each, its answer (the stored claim as the sender may see it), a replay, or its error."""
    ref = cache.current(session)  # one stamp for the group
    checked = fresh.check(session, [j.sent for j in jobs], ref)
    new = [c for c in checked if isinstance(c, Claim)]
    if new:
        _value_and_store(session, new, ref)
        explainer = Explainer(session, new, notes=False, ref=ref)
    out: list[Answer | DamanError] = []
    for job, got in zip(jobs, checked, strict=True):
        if isinstance(got, Claim):
            out.append(claims.claim_out(session, got, job.lang, job.sent.who, explainer))
        else:
            out.append(got)
    return out


def _value_and_store(session: Session, new: list[Claim], ref: cache.Reference) -> None:
    sectors = {ln.provider_id: ln.provider.sector for c in new for ln in c.lines}
    valued = adjudication.value_fresh(session, context.lines_of(new, sectors), ref)
    at = now()
    for claim in new:
        for line in claim.lines:
            decision = valued.lines[line.id]
            line.status = LineStatus(decision["status"])
            line.reference_centimes = decision["reference_centimes"]
            line.base_centimes = decision["base_centimes"]
            line.rate_bp = decision["rate_bp"]
            line.amo_centimes = decision["amo_centimes"]
            line.complementary_centimes = decision["complementary_centimes"]
            line.patient_centimes = decision["patient_centimes"]
            line.allowed_quantity = decision["allowed_quantity"]
            line.reasons = list(decision["reasons"] or [])
            line.decided_at = at
            line.decided_by = claim.created_by
        totals = valued.claims[claim.id]
        claim.charged_centimes = totals["charged_centimes"]
        claim.base_centimes = totals["base_centimes"]
        claim.amo_centimes = totals["amo_centimes"]
        claim.complementary_centimes = totals["complementary_centimes"]
        claim.patient_centimes = totals["patient_centimes"]
        claim.status = ClaimStatus(totals["status"])
        outcome = totals["outcome"]
        claim.outcome = ClaimOutcome(outcome) if outcome is not None else None
        claim.regime_code = totals["regime_code"]
        claim.adjudicated_at = claim.updated_at = at
    trail = adjudication.fresh_trail(valued, at, {c.id: c.created_by for c in new})
    insert_together(session, [*fresh.rows(new, at, adjudication.VALUED), *trail])  # one statement


# One group per process: the API's care sheets.
counter: Group[Job, Answer] = Group(value_together)


def submit(session: Session, draft: ClaimIn, key: str | None, who: Principal, lang: str) -> Answer:
    """A care sheet through the counter's group: its answer once stored and committed, or
    a Replay (the first claim of its key), or its error raised."""
    session.flush()  # what the request wrote is seen by the group (tests write first)
    return counter.submit(session, Job(Sent(draft, key, who), lang))
