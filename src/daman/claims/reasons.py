"""The catalogue of reason codes the engine puts on decisions, and their explanations.

Every line of a decision carries at least one code from `REASONS` (plus, for a line
rejected because the patient had no rights, the registry's own code as
``eligibility:<code>``). A code's severity says what it does to the line:

* ``reject``: the line is rejected (AMO 0, the patient keeps the whole amount);
* ``review``: the line waits for a controller (amounts are computed and shown, not paid);
* ``reduce``: the line is paid, but less than its full base or rate;
* ``info``: the line is paid as computed; the code explains something about it.

`explain(code, lang, **values)` says a code in French, English or Arabic, from the
catalogue of texts (daman.core.i18n; each sentence below is its English message id). Values
fill the placeholders of the full sentence; when one is missing the short sentence of the
code is used instead, so an explanation never fails. Value names ending in ``_centimes`` are
shown as amounts in MAD and names ending in ``_bp`` as percentages, under the name without
the suffix (``base_centimes=9500`` fills ``%(base)s`` with ``95.00 MAD``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from daman.core.i18n import DEFAULT, N_, Text, translate
from daman.core.money import BP, format_mad

ELIGIBILITY_PREFIX = "eligibility:"


class Severity(StrEnum):
    INFO = "info"
    REJECT = "reject"
    REVIEW = "review"
    REDUCE = "reduce"


@dataclass(frozen=True)
class Reason:
    code: str
    severity: Severity
    text: str  # the sentence with %(placeholders)s (a message of the catalogue)
    short: str  # the sentence without placeholders (the fallback)


_REJECT, _REVIEW, _REDUCE, _INFO = Severity.REJECT, Severity.REVIEW, Severity.REDUCE, Severity.INFO

# The order of this tuple is the order in which codes appear on a decision.
_CATALOGUE = (
    Reason(
        "ok",
        _INFO,
        N_("Line accepted: AMO pays %(amo)s on a base of %(base)s."),
        N_("Line accepted."),
    ),
    Reason(
        "invalid_line",
        _REJECT,
        N_("Incomplete or inconsistent line (amount, quantity, coefficient or dates)."),
        N_("Incomplete or inconsistent line."),
    ),
    Reason(
        "not_eligible",
        _REJECT,
        N_("The patient had no open rights on %(care_date)s."),
        N_("The patient had no open rights on the date of care."),
    ),
    Reason(
        "late_filing",
        _REJECT,
        N_(
            "Claim filed on %(deposit_date)s, %(days)s days after the care: the deadline is "
            "%(deadline_days)s days."
        ),
        N_("Claim filed after the deadline."),
    ),
    Reason(
        "unknown_tariff",
        _REJECT,
        N_("Act %(act_key)s has no reference tariff in force on %(care_date)s."),
        N_("The act has no reference tariff in force on the date of care."),
    ),
    Reason(
        "unknown_drug",
        _REJECT,
        N_("Medicine %(drug_code)s is not on the list of reimbursable medicines."),
        N_("The medicine is not on the list of reimbursable medicines."),
    ),
    Reason(
        "drug_not_listed_on_date",
        _REJECT,
        N_("Medicine %(drug_code)s was not on the list on %(care_date)s."),
        N_("The medicine was not on the list on the date of care."),
    ),
    Reason(
        "drug_not_reimbursable",
        _REJECT,
        N_("Medicine %(drug_code)s is not reimbursable: the patient pays its price."),
        N_("The medicine is not reimbursable: the patient pays its price."),
    ),
    Reason(
        "authorisation_required",
        _REJECT,
        N_(
            "This care (%(care_date)s) needs a prior authorisation: no valid authorisation covers "
            "it for this patient and this provider."
        ),
        N_("Care that needs a prior authorisation, without a valid one."),
    ),
    Reason(
        "duplicate",
        _REJECT,
        N_(
            "Duplicate: the same act or medicine, from the same provider on the same date "
            "(%(care_date)s), has already been covered for this patient."
        ),
        N_("Duplicate: this item has already been covered."),
    ),
    Reason(
        "ceiling_exhausted",
        _REJECT,
        N_(
            "The ceiling of %(ceiling)s per %(period_days)s days is already reached for this "
            "category of care."
        ),
        N_("The ceiling for this category of care is already reached."),
    ),
    Reason(
        "frequency_exhausted",
        _REJECT,
        N_("The limit of %(max_quantity)s per %(period_days)s days is already reached."),
        N_("The maximum number of items for the period is already reached."),
    ),
    Reason(
        "no_reference_price",
        _REVIEW,
        N_("No reference price for this item: the line is sent for review."),
        N_("No reference price: the line is sent for review."),
    ),
    Reason(
        "no_rate",
        _REVIEW,
        N_(
            "No reimbursement rate is defined for this item on %(care_date)s: the line is sent for "
            "review."
        ),
        N_("No reimbursement rate defined: the line is sent for review."),
    ),
    Reason(
        "missing_document",
        _REVIEW,
        N_("Supporting document missing (invoice, report or estimate): the line waits for it."),
        N_("Supporting document missing."),
    ),
    Reason(
        "above_review_threshold",
        _REVIEW,
        N_(
            "Base of %(base)s, above the threshold of %(threshold)s: a controller checks the line "
            "before payment."
        ),
        N_("High amount: the line is checked before payment."),
    ),
    Reason(
        "above_authorisation",
        _REVIEW,
        N_(
            "Base of %(base)s, beyond what the authorisation leaves available: a controller checks "
            "the over-run."
        ),
        N_("Beyond the authorisation: the line is checked."),
    ),
    Reason(
        "suspected_duplicate",
        _REVIEW,
        N_(
            "The same act or medicine was already covered for this patient on %(care_date)s from "
            "another provider: the line is checked."
        ),
        N_("Possible duplicate: the line is checked."),
    ),
    Reason(
        "late_penalty",
        _REDUCE,
        N_(
            "Claim filed %(months)s month(s) late: the AMO reimbursement is reduced by %(penalty)s."
        ),
        N_("Claim filed late: reimbursement reduced."),
    ),
    Reason(
        "frequency_limit",
        _REDUCE,
        N_(
            "Covered quantity limited to %(quantity)s: at most %(max_quantity)s per "
            "%(period_days)s days."
        ),
        N_("Quantity reduced: maximum frequency reached."),
    ),
    Reason(
        "ceiling_reached",
        _REDUCE,
        N_(
            "Base limited to %(base)s: the ceiling of %(ceiling)s per %(period_days)s days is "
            "reached."
        ),
        N_("Base reduced: the ceiling for this category of care is reached."),
    ),
    Reason(
        "above_reference",
        _INFO,
        N_(
            "Charged %(charged)s, above the reference price: the difference stays with the patient."
        ),
        N_("What is charged above the reference price stays with the patient."),
    ),
    Reason(
        "authorised",
        _INFO,
        N_("Care covered by a prior authorisation: its rate of %(rate)s applies."),
        N_("Care covered by a prior authorisation."),
    ),
    Reason(
        "ald_exemption_applied",
        _INFO,
        N_("Care linked to the exempted condition %(ald_code)s: rate of %(rate)s applied."),
        N_("Care linked to an exempted condition: the exemption rate applies."),
    ),
    Reason(
        "ald_not_exempted",
        _INFO,
        N_(
            "Line declared linked to condition %(ald_code)s without an active exemption: the "
            "ordinary rate applies."
        ),
        N_("No active exemption for the declared condition: the ordinary rate applies."),
    ),
)

REASONS: dict[str, Reason] = {reason.code: reason for reason in _CATALOGUE}
ORDER: tuple[str, ...] = tuple(REASONS)
BIT: dict[str, int] = {code: 1 << i for i, code in enumerate(ORDER)}


def mask_of(severity: Severity) -> int:
    """The bits of every code of one severity (the engine tests flags against them)."""
    return sum(BIT[c] for c, r in REASONS.items() if r.severity is severity)


_ELIGIBILITY_TEXT = N_("Reason given by the register of insured persons: %(detail)s.")
_UNKNOWN_TEXT = N_("Reason %(code)s.")


# Review decisions (and a line sent back to review), explained like the engine's codes
# (same placeholders, same languages).
REVIEW_REASONS: dict[str, tuple[Severity, str]] = {
    "review_accepted": (Severity.INFO, N_("Line accepted after review: %(note)s")),
    "review_reduced": (
        Severity.REDUCE,
        N_("AMO reimbursement reduced to %(amo)s after review: %(note)s"),
    ),
    "review_rejected": (Severity.REJECT, N_("Line rejected after review: %(note)s")),
    # a document the fund asked for came (daman.adjudication.service.document_received)
    "document_received": (
        Severity.REVIEW,
        N_("The document asked for arrived (%(note)s): a controller checks the line again."),
    ),
}


def severity(code: str) -> Severity:
    """A code's severity; registry codes (``eligibility:...``) and unknown codes are info."""
    if code in REVIEW_REASONS:
        return REVIEW_REASONS[code][0]
    reason = REASONS.get(code)
    return reason.severity if reason else Severity.INFO


def _percent(bp: int) -> str:
    """8000 -> '80 %', 1650 -> '16.5 %' (integers only)."""
    whole, hundredths = divmod(bp, BP // 100)
    return f"{whole} %" if not hundredths else f"{whole}.{hundredths:02d}".rstrip("0") + " %"


def _mad(centimes: int) -> Text:
    return Text("%(amount)s MAD", amount=format_mad(centimes))


def _shown(values: Mapping[str, object]) -> dict[str, object]:
    """Values to show: amounts in MAD, rates in percent (dates are shown in ISO form)."""
    shown: dict[str, object] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name.endswith("_centimes") and isinstance(value, int):
            shown[name.removesuffix("_centimes")] = _mad(value)
        elif name.endswith("_bp") and isinstance(value, int):
            shown[name.removesuffix("_bp")] = _percent(value)
        else:
            shown[name] = value
    return shown


def explain(code: str, lang: str = DEFAULT, **values: object) -> str:
    """The explanation of a code in a language (fr / en / ar; others fall back to French).

    Never raises: a missing value selects the code's short sentence, an unknown code is
    named as it is, and registry codes ``eligibility:<code>`` are shown generically.
    """
    if code in REVIEW_REASONS:
        amo = values.get("amo_centimes")
        return translate(
            REVIEW_REASONS[code][1],
            lang,
            note=str(values.get("note") or ""),
            amo=_mad(amo) if isinstance(amo, int) else "",
        )
    if code.startswith(ELIGIBILITY_PREFIX):
        detail = code.removeprefix(ELIGIBILITY_PREFIX).replace("_", " ").strip() or "?"
        return translate(_ELIGIBILITY_TEXT, lang, detail=detail)
    reason = REASONS.get(code)
    if reason is None:
        return translate(_UNKNOWN_TEXT, lang, code=code)
    try:
        return translate(reason.text, lang, **_shown(values))
    except (KeyError, ValueError, TypeError):
        return translate(reason.short, lang)


def explain_all(codes: list[str], lang: str = DEFAULT, **values: object) -> list[str]:
    """The explanations of a decision's reason codes, in their order."""
    return [explain(code, lang, **values) for code in codes]
