"""A claim line's decision in plain words for the insured person, and what to do next.

The engine's reasons (daman.claims.reasons) say *why*; this says what the person gets and
what they can do about it, from the line's most telling reason: a rejection first, then a
line under review, then a reduction, then information.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from daman.claims.reasons import ELIGIBILITY_PREFIX, Severity, severity
from daman.claims.schemas import ClaimLineOut, Explanation
from daman.core.enums import LineStatus
from daman.core.i18n import N_, translate
from daman.core.money import format_mad

NOTHING_TO_DO = N_("Nothing to do: it is paid with the claim.")
BEING_CHECKED = N_("Nothing to do: a medical controller checks this line; you will be told.")
NOT_VALUED = N_("Nothing to do yet: the fund values this line shortly.")

# What to do next, by reason code.
NEXT_STEPS: dict[str, str] = {
    "invalid_line": N_(
        "Check the amount, the dates and the quantity on the care sheet; if one was typed "
        "wrong, send the care sheet again with the right values."
    ),
    "not_eligible": N_(
        "Look at this person's rights on the family page; if they were covered that day, "
        "write to the fund from Messages."
    ),
    "late_filing": N_(
        "Care sheets must reach the fund within 60 days of the care: this decision stays. "
        "Send the next ones sooner."
    ),
    "unknown_tariff": N_(
        "The act's code is not in the fund's tariff: ask the doctor for the right code, then "
        "send the care sheet again."
    ),
    "unknown_drug": N_(
        "This medicine is not on the list of reimbursed medicines: ask your doctor or "
        "pharmacist about a reimbursed equivalent."
    ),
    "drug_not_listed_on_date": N_(
        "This medicine was not on the list of reimbursed medicines on that date: ask your "
        "doctor or pharmacist about a reimbursed equivalent."
    ),
    "drug_not_reimbursable": N_(
        "This medicine is not reimbursed by AMO: nothing more will be paid for it."
    ),
    "authorisation_required": N_(
        "This care needs the fund's prior agreement: ask your doctor or clinic to request it, "
        "then send the care sheet again."
    ),
    "duplicate": N_("This care was already paid on another care sheet: nothing to do."),
    "ceiling_exhausted": N_(
        "The yearly ceiling for this care is reached: nothing more is paid this year."
    ),
    "ceiling_reached": N_(
        "The yearly ceiling for this care is reached: nothing more is paid this year."
    ),
    "frequency_exhausted": N_(
        "This care is covered only so often: nothing more is paid before the period ends."
    ),
    "frequency_limit": N_(
        "This care is covered only so often: nothing more is paid before the period ends."
    ),
    "no_reference_price": N_("The fund checks how to value this line: nothing to do."),
    "no_rate": N_("The fund checks how to value this line: nothing to do."),
    "missing_document": N_(
        "A document is missing: add it on this page (Send a document), with the claim."
    ),
    "late_penalty": N_(
        "The care sheet arrived late, so less is paid: send care sheets within 60 days."
    ),
    "above_reference": N_(
        "The fund pays on its reference tariff: the difference stays with you. Nothing to do."
    ),
    "ald_not_exempted": N_(
        "This care is not linked to an exemption in force: for a long-term illness, ask your "
        "doctor to request an ALD exemption."
    ),
    "review_rejected": N_(
        "A medical controller decided: if you disagree, write to the fund from Messages and "
        "say why."
    ),
    "review_reduced": N_(
        "A medical controller decided: if you disagree, write to the fund from Messages and "
        "say why."
    ),
}
RANK = {Severity.REJECT: 0, Severity.REVIEW: 1, Severity.REDUCE: 2, Severity.INFO: 3}

HEADLINES = {
    LineStatus.ACCEPTED: N_("Accepted: the fund pays %(paid)s of the %(charged)s paid."),
    LineStatus.REDUCED: N_("Reduced: the fund pays %(paid)s of the %(charged)s paid."),
    LineStatus.REJECTED: N_("Rejected: the fund pays nothing of the %(charged)s paid."),
    LineStatus.PENDING_REVIEW: N_(
        "Being checked: if accepted, the fund pays %(paid)s of the %(charged)s paid."
    ),
}


@dataclass(frozen=True)
class LineWords:
    status: str  # accepted, reduced, rejected, pending_review, or "" before valuing
    headline: str
    why: list[str]
    next_step: str
    paid_centimes: int
    kept_centimes: int  # what stays with the patient


def _mad(centimes: int) -> str:
    return f"{format_mad(centimes)} MAD"


def words(line: ClaimLineOut, lang: str) -> LineWords:
    """The decision of a line (as the API shows it) in plain words, in ``lang``."""
    decision = line.decision
    if decision is None:
        return said(None, line.charged_centimes, 0, [], lang)
    paid = decision.amo_centimes + decision.complementary_centimes
    return said(decision.status, line.charged_centimes, paid, decision.reasons, lang)


def said(
    status: LineStatus | None,
    charged: int,
    paid: int,
    reasons: Sequence[Explanation],
    lang: str,
) -> LineWords:
    """A decision in plain words: its status, what was charged and is paid, its reasons
    explained (a stored line's, or one valued in a dry run, daman.counter)."""
    if status is None:
        return LineWords("", translate(NOT_VALUED, lang), [], "", 0, charged)
    values = {"paid": _mad(paid), "charged": _mad(charged)}
    headline = translate(HEADLINES[status], lang, **values)
    codes = sorted((e.code for e in reasons), key=lambda code: RANK.get(severity(code), 3))
    next_step = ""
    for code in codes:
        key = "not_eligible" if code.startswith(ELIGIBILITY_PREFIX) else code
        if key in NEXT_STEPS:
            next_step = translate(NEXT_STEPS[key], lang)
            break
    if not next_step:
        pending = status == LineStatus.PENDING_REVIEW
        next_step = translate(BEING_CHECKED if pending else NOTHING_TO_DO, lang)
    return LineWords(
        status=status.value,
        headline=headline,
        why=[e.text for e in reasons],
        next_step=next_step,
        paid_centimes=paid,
        kept_centimes=charged - paid,
    )
