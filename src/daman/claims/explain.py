"""Reason codes in words, with the figures behind them (beside the catalogue, reasons.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.claims import reasons
from daman.claims import repository as repo
from daman.claims.models import Claim, ClaimLine, DecisionSource, LineDecision
from daman.claims.schemas import Explanation
from daman.core.dates import in_force_on
from daman.reference import cache
from daman.reference.models import Ceiling
from daman.reference.repository import policies, policy_on


@dataclass(frozen=True)
class CeilingRow:
    category: str
    regime_code: str | None
    max_base_centimes: int | None
    max_quantity: int | None
    period_days: int
    valid_from: date
    valid_to: date | None


def ceiling_rows(session: Session) -> tuple[CeilingRow, ...]:
    """Every ceiling row, as plain data (kept per reference stamp, daman.reference.cache)."""
    rows = session.execute(
        select(
            Ceiling.category,
            Ceiling.regime_code,
            Ceiling.max_base_centimes,
            Ceiling.max_quantity,
            Ceiling.period_days,
            Ceiling.valid_from,
            Ceiling.valid_to,
        ).order_by(Ceiling.id)
    )
    return tuple(CeilingRow(*row) for row in rows)


class Explainer:
    """Fills the explanations of reason codes with the figures behind them: the line's
    amounts, the deadline and review threshold of the policy, the category's ceiling, the
    reviewer's note."""

    def __init__(
        self,
        session: Session,
        claims: Sequence[Claim],
        notes: bool = True,
        ref: cache.Reference | None = None,
    ) -> None:
        """``notes``: read the reviewers' notes (False: claims just valued have none);
        ``ref``: the reference data the caller's transaction read already."""
        self.claims = {c.id: c for c in claims}
        ref = ref or cache.current(session)
        self.policies = ref.get(policies)
        self.ceilings = ref.get(ceiling_rows)
        line_ids = [ln.id for c in claims for ln in c.lines if ln.status is not None and notes]
        self.notes: dict[int, str] = defaultdict(str)
        for part in repo.chunks(line_ids):
            for line_id, note in session.execute(
                select(LineDecision.line_id, LineDecision.note)
                .where(LineDecision.line_id.in_(part), LineDecision.source == DecisionSource.REVIEW)
                .order_by(LineDecision.id)
            ):
                self.notes[line_id] = note

    def _ceiling(self, category: str, regime: str | None, on: date) -> CeilingRow | None:
        """The ceiling of the category in force: the regime's own, else every regime's."""
        mine = [c for c in self.ceilings if c.category == category]
        return in_force_on((c for c in mine if c.regime_code == regime), on) or in_force_on(
            (c for c in mine if c.regime_code is None), on
        )

    def explain(self, line: ClaimLine, lang: str) -> list[Explanation]:
        claim = line.claim
        start = claim.continuous_end or line.care_date
        policy = policy_on(self.policies, claim.deposit_date)
        ceiling = self._ceiling(line.category, claim.regime_code, line.care_date)
        values: dict[str, object] = {
            "amo_centimes": line.amo_centimes,
            "base_centimes": line.base_centimes,
            "charged_centimes": line.charged_centimes,
            "rate_bp": line.rate_bp,
            "care_date": line.care_date,
            "deposit_date": claim.deposit_date,
            "days": (claim.deposit_date - start).days,
            "act_key": line.act_key,
            "drug_code": line.drug_code,
            "ald_code": line.ald_code,
            "quantity": line.allowed_quantity,
            "note": self.notes.get(line.id, ""),
        }
        if policy is not None:
            values["deadline_days"] = policy.filing_deadline_days
            values["threshold_centimes"] = policy.review_threshold_centimes
        if ceiling is not None:
            values["period_days"] = ceiling.period_days
            values["ceiling_centimes"] = ceiling.max_base_centimes
            values["max_quantity"] = ceiling.max_quantity
        return [
            Explanation(
                code=code,
                severity=reasons.severity(code),
                text=reasons.explain(code, lang, **values),
            )
            for code in line.reasons or []
        ]
