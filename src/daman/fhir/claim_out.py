"""What Daman answers about claims: ClaimResponse (a care sheet or a pre-authorisation),
ExplanationOfBenefit, and the CodeSystem of the reason codes it puts on adjudications.

Per line, the adjudication categories are HL7's ``submitted`` (charged), ``eligible``
(the base), ``eligpercent`` (the AMO rate), ``benefit`` (what AMO pays) and ``copay``
(what the patient keeps), plus Daman's ``complementary`` (what the mutual adds). The
amounts are the REST API's, read from the same rows: the same care gives the same figures
through either door."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from daman.claims import reasons
from daman.claims.models import ClaimOutcome, ClaimStatus, LineStatus
from daman.claims.schemas import ClaimLineOut, ClaimOut, Explanation
from daman.core.i18n import translate
from daman.fhir import codes
from daman.fhir.codes import Adjudication
from daman.fhir.directory import fund_reference, patient_reference, provider_reference
from daman.fhir.parse import emit, mad
from daman.preauth.models import PreauthStatus
from daman.preauth.schemas import PlannedLineOut, PreauthOut
from daman.registry.rights import REASONS as RIGHTS_REASONS

LINE_STATUS = f"{codes.BASE}/StructureDefinition/line-status"
CARE_SHEET = f"{codes.BASE}/StructureDefinition/care-sheet"


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _amount(
    category: Adjudication, centimes: int, reason: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "category": _concept(codes.adjudication_system(category), category.value),
        "amount": mad(centimes),
    }
    if reason is not None:
        out["reason"] = reason
    return out


def _percent(rate_bp: int) -> dict[str, Any]:
    return {
        "category": _concept(codes.ADJUDICATION, Adjudication.ELIGPERCENT.value),
        "value": Decimal(rate_bp).scaleb(-2),
    }


def adjudications(
    charged: int,
    base: int,
    rate_bp: int,
    amo: int,
    complementary: int,
    patient: int,
    reason: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    return [
        _amount(Adjudication.SUBMITTED, charged),
        _amount(Adjudication.ELIGIBLE, base),
        _percent(rate_bp),
        _amount(Adjudication.BENEFIT, amo, reason),
        _amount(Adjudication.COMPLEMENTARY, complementary),
        _amount(Adjudication.COPAY, patient),
    ]


def _reason(explained: Sequence[Explanation]) -> dict[str, Any] | None:
    """The first reason code of a decision, as a concept of the published code system."""
    if not explained:
        return None
    first = explained[0]
    return {"coding": [{"system": codes.REASON, "code": first.code}], "text": first.text}


def _product(line: ClaimLineOut | PlannedLineOut) -> dict[str, Any]:
    coding = []
    if isinstance(line, ClaimLineOut) and line.drug_code:
        coding.append({"system": codes.EAN13, "code": line.drug_code})
    if line.act_key:
        coding.append({"system": codes.TNR_KEY, "code": line.act_key})
    if line.act_code:
        coding.append({"system": codes.ACT_CODE, "code": line.act_code})
    out: dict[str, Any] = {"coding": coding} if coding else {}
    text = line.description if isinstance(line, PlannedLineOut) else None
    out["text"] = text or line.category
    return out


def _claim_type(categories: Sequence[str]) -> dict[str, Any]:
    kinds = {codes.CLAIM_TYPE_OF.get(c, "professional") for c in categories}
    kind = kinds.pop() if len(kinds) == 1 else "institutional"
    if kind not in codes.CLAIM_TYPES:
        raise AssertionError(kind)
    return _concept(codes.CLAIM_TYPE, kind)


class Notes:
    """processNote entries: every reason of every line, explained in the reader's language."""

    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = []

    def add(self, explained: Sequence[Explanation]) -> list[int]:
        numbers = []
        for e in explained:
            self.notes.append(
                {"number": len(self.notes) + 1, "type": "display", "text": f"{e.code}: {e.text}"}
            )
            numbers.append(len(self.notes))
        return numbers


def _outcome(out: ClaimOut) -> str:
    if out.status == ClaimStatus.RECEIVED:
        return "queued"
    if out.status == ClaimStatus.PENDING_REVIEW:
        return "partial"
    return "complete"


def _disposition(out: ClaimOut) -> str:
    if out.status == ClaimStatus.PENDING_REVIEW:
        return "some lines wait for a controller's review"
    if out.outcome == ClaimOutcome.ACCEPTED:
        return "claim accepted"
    if out.outcome == ClaimOutcome.REJECTED:
        return "claim rejected"
    if out.outcome == ClaimOutcome.PARTLY_ACCEPTED:
        return "claim partly accepted"
    return f"claim {out.status}"


def _line_items(out: ClaimOut, notes: Notes) -> list[dict[str, Any]]:
    items = []
    for line in out.lines:
        item: dict[str, Any] = {"itemSequence": line.line_no}
        d = line.decision
        if d is None:
            item["adjudication"] = [_amount(Adjudication.SUBMITTED, line.charged_centimes)]
        else:
            item["adjudication"] = adjudications(
                line.charged_centimes,
                d.base_centimes,
                d.rate_bp,
                d.amo_centimes,
                d.complementary_centimes,
                d.patient_centimes,
                _reason(d.reasons),
            )
            item["extension"] = [{"url": LINE_STATUS, "valueCode": d.status.value}]
            if numbers := notes.add(d.reasons):
                item["noteNumber"] = numbers
        items.append(item)
    return items


def _totals(out: ClaimOut) -> list[dict[str, Any]]:
    t = out.totals
    return [
        _amount(Adjudication.SUBMITTED, t.charged_centimes),
        _amount(Adjudication.ELIGIBLE, t.base_centimes),
        _amount(Adjudication.BENEFIT, t.amo_centimes),
        _amount(Adjudication.COMPLEMENTARY, t.complementary_centimes),
        _amount(Adjudication.COPAY, t.patient_centimes),
    ]


def _request(kind_number: str, identifier: str | None) -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"Claim/{kind_number}"}
    if identifier:
        system, _, value = identifier.partition("|")
        ref["identifier"] = {"system": system, "value": value} if system else {"value": value}
    return ref


def claim_response(out: ClaimOut, identifier: str | None = None) -> dict[str, Any]:
    """A care sheet's ClaimResponse: its decision line by line, as the REST API gives it."""
    notes = Notes()
    first = out.lines[0] if out.lines else None
    data: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": out.number,
        "identifier": [{"system": codes.CLAIM_NUMBER, "value": out.number}],
        "status": "active",
        "type": _claim_type([ln.category for ln in out.lines]),
        "use": "claim",
        "patient": patient_reference(out.patient),
        "created": out.received_at.isoformat(),
        "insurer": fund_reference(),
        "request": _request(out.number, identifier),
        "outcome": _outcome(out),
        "disposition": _disposition(out),
        "item": _line_items(out, notes),
        "total": _totals(out),
    }
    if first is not None:
        data["requestor"] = provider_reference(None, first.provider_inpe)
    if notes.notes:
        data["processNote"] = notes.notes
    return emit(data)


def explanation_of_benefit(out: ClaimOut) -> dict[str, Any]:
    """An insured person's own claim as an ExplanationOfBenefit."""
    notes = Notes()
    items = []
    for line, adjudicated in zip(out.lines, _line_items(out, notes), strict=True):
        item: dict[str, Any] = {
            "sequence": line.line_no,
            "category": _concept(codes.CARE_CATEGORY, line.category),
            "productOrService": _product(line),
            "servicedDate": line.care_date.isoformat(),
            "quantity": {"value": line.quantity},
            "net": mad(line.charged_centimes),
            "adjudication": adjudicated["adjudication"],
        }
        if "noteNumber" in adjudicated:
            item["noteNumber"] = adjudicated["noteNumber"]
        if "extension" in adjudicated:
            item["extension"] = adjudicated["extension"]
        items.append(item)
    provider = out.lines[0].provider_inpe if out.lines else "unknown"
    data: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": out.number,
        "identifier": [{"system": codes.CLAIM_NUMBER, "value": out.number}],
        "status": "active",
        "type": _claim_type([ln.category for ln in out.lines]),
        "use": "claim",
        "patient": patient_reference(out.patient),
        "created": out.received_at.isoformat(),
        "insurer": fund_reference(),
        "provider": provider_reference(None, provider),
        "outcome": _outcome(out),
        "disposition": _disposition(out),
        "insurance": [{"focal": True, "coverage": {"reference": f"Coverage/{out.patient}"}}],
        "item": items or None,
        "total": _totals(out),
    }
    if out.status == ClaimStatus.PAID:
        data["payment"] = {
            "type": _concept(codes.EX_PAYMENT_TYPE, "complete"),
            "amount": mad(out.totals.amo_centimes + out.totals.complementary_centimes),
        }
    if notes.notes:
        data["processNote"] = notes.notes
    return emit({k: v for k, v in data.items() if v is not None})


_PREAUTH_OUTCOME = {
    PreauthStatus.SUBMITTED: "queued",
    PreauthStatus.INFO_REQUESTED: "queued",
    PreauthStatus.CANCELLED: "complete",
    PreauthStatus.AGREED: "complete",
    PreauthStatus.PARTLY_AGREED: "complete",
    PreauthStatus.REFUSED: "complete",
    PreauthStatus.INVOICED: "complete",
}


def preauth_response(out: PreauthOut, identifier: str | None = None) -> dict[str, Any]:
    """A pre-authorisation request's ClaimResponse: the expected cover of each planned line
    while it waits (outcome queued), what was agreed once answered (preAuthRef, period)."""
    notes = Notes()
    items = []
    answered = out.status in (
        PreauthStatus.AGREED,
        PreauthStatus.PARTLY_AGREED,
        PreauthStatus.REFUSED,
        PreauthStatus.INVOICED,
    )
    for line in out.lines:
        e = line.expected
        amo, base, complementary, patient = (
            e.amo_centimes,
            e.base_centimes,
            e.complementary_centimes,
            e.patient_centimes,
        )
        if answered:  # what was agreed: AMO's part of the agreed base, the rest stays
            amo = line.agreed_amo_centimes or 0
            base = line.agreed_base_centimes or 0
            complementary, patient = 0, line.estimate_centimes - amo
        item: dict[str, Any] = {
            "itemSequence": line.line_no,
            "adjudication": adjudications(
                line.estimate_centimes,
                base,
                e.rate_bp,
                amo,
                complementary,
                patient,
                _reason(e.reasons),
            ),
        }
        if numbers := notes.add(e.reasons):
            item["noteNumber"] = numbers
        items.append(item)
    disposition = out.decision_reason or out.information_asked or f"pre-authorisation {out.status}"
    data: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": out.number,
        "identifier": [{"system": codes.PREAUTH_NUMBER, "value": out.number}],
        "status": "cancelled" if out.status == PreauthStatus.CANCELLED else "active",
        "type": _concept(codes.CLAIM_TYPE, "institutional"),
        "subType": _concept(codes.CARE_KIND, out.care_kind.value),
        "use": "preauthorization",
        "patient": patient_reference(out.patient),
        "created": out.submitted_at.isoformat(),
        "insurer": fund_reference(),
        "requestor": provider_reference(None, out.provider_inpe),
        "request": _request(out.number, identifier),
        "outcome": _PREAUTH_OUTCOME[out.status],
        "disposition": disposition[:1000],
        "item": items,
        "total": [
            _amount(Adjudication.SUBMITTED, out.totals.estimate_centimes),
            _amount(
                Adjudication.BENEFIT,
                out.totals.agreed_amo_centimes if answered else out.totals.expected_amo_centimes,
            ),
            _amount(
                Adjudication.COPAY,
                out.totals.agreed_patient_centimes
                if answered
                else out.totals.expected_patient_centimes,
            ),
        ],
        "extension": [{"url": LINE_STATUS, "valueCode": out.status.value}],
    }
    if out.status in (PreauthStatus.AGREED, PreauthStatus.PARTLY_AGREED, PreauthStatus.INVOICED):
        data["preAuthRef"] = out.number
        period = {}
        if out.valid_from:
            period["start"] = out.valid_from.isoformat()
        if out.valid_to:
            period["end"] = out.valid_to.isoformat()
        if period:
            data["preAuthPeriod"] = period
    if notes.notes:
        data["processNote"] = notes.notes
    return emit(data)


def reason_code_system(lang: str) -> dict[str, Any]:
    """The reason codes the engine, the reviewers and the registry put on decisions."""
    concepts = [
        {
            "code": r.code,
            "display": translate(r.short, lang),
            "property": [{"code": "severity", "valueCode": r.severity.value}],
        }
        for r in reasons.REASONS.values()
    ]
    concepts += [
        {
            "code": code,
            "display": translate(text, lang, note="", amo="").rstrip(": "),
            "property": [{"code": "severity", "valueCode": severity.value}],
        }
        for code, (severity, text) in reasons.REVIEW_REASONS.items()
    ]
    concepts += [
        {
            "code": f"{reasons.ELIGIBILITY_PREFIX}{code}",
            "display": translate(text, lang),
            "property": [{"code": "severity", "valueCode": reasons.Severity.REJECT.value}],
        }
        for code, text in RIGHTS_REASONS.items()
    ]
    return emit(
        {
            "resourceType": "CodeSystem",
            "id": "adjudication-reason",
            "url": codes.REASON,
            "name": "DamanAdjudicationReason",
            "title": "Reasons of the fund's decisions on claim lines",
            "status": "active",
            "content": "complete",
            "caseSensitive": True,
            "count": len(concepts),
            "property": [
                {
                    "code": "severity",
                    "type": "code",
                    "description": "info: paid as computed; reduce: paid less; review: waits "
                    "for a controller; reject: not paid",
                }
            ],
            "concept": concepts,
        }
    )


LINE_STATUSES = frozenset(s.value for s in LineStatus)
