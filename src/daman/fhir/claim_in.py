"""A FHIR Claim (alone or in a Bundle) read into what the counter takes: a care sheet
(`ClaimIn`, Claim.use = claim) or a pre-authorisation request (`PreauthIn`, use =
preauthorization). Each element Daman reads, and where it reads it:

- patient: ``Claim.patient`` as ``Patient/<immatriculation>``, a logical reference by
  immatriculation or CNIE identifier, or a Patient of the Bundle carrying one;
- provider: ``Claim.provider`` (Practitioner or Organization by INPE); a line's own
  provider is the care team member its ``careTeamSequence`` names (role other than
  prescriber), its prescriber the member of role ``prescriber`` (care-team-role);
- a line: ``item.category`` (care-category), ``item.productOrService`` (a TNR key, an act
  code, or a medicine's EAN-13 as a GS1 GTIN), ``item.servicedDate``, ``item.quantity``,
  ``item.net`` (MAD), the TNR coefficient as extension tnr-coefficient, the prescription
  date as a supportingInfo of category ``prescription`` (its timingDate), the ALD as a
  diagnosis coded in the ALD code system;
- a pre-authorisation: ``Claim.subType`` (care-kind), ``Claim.billablePeriod`` (planned
  start and end), the diagnosis texts; each item's ``net`` is the estimate.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.claims.schemas import ClaimIn
from daman.fhir import codes
from daman.fhir.outcome import FhirError, Issue
from daman.fhir.parse import (
    Checks,
    coding_code,
    identifier_value,
    loads,
    model,
    money_centimes,
    reference_id,
)
from daman.preauth.models import CareKind
from daman.preauth.schemas import PreauthIn
from daman.registry.repository import person_by_cnie

PRESCRIBER = "prescriber"
PRESCRIPTION = "prescription"


@dataclass(frozen=True)
class Submitted:
    """A Claim as read: what it asks for, its identifier and the element paths of the
    fields the domains name in their errors."""

    use: str  # claim | preauthorization
    identifier: str  # system|value
    draft: ClaimIn | PreauthIn
    root: str  # "Claim" or "Bundle.entry[2].resource"
    line_paths: dict[int, str]  # line index -> FHIRPath of its item
    digest: str

    def path_of(self, field: str) -> str:
        return field_path(self.root, self.line_paths, field)


def field_path(root: str, line_paths: dict[int, str], field: str) -> str:
    """The element a domain's field name points at (``lines[1].charged_centimes`` ->
    ``Claim.item[1].net``)."""
    match = re.fullmatch(r"lines(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?(?:\..*)?", field)
    if match:
        index = int(match.group(1) or match.group(2))
        item = line_paths.get(index, f"{root}.item[{index}]")
        return f"{item}.{_ITEM_FIELD.get(match.group(3) or '', '')}".rstrip(".")
    return f"{root}.{_CLAIM_FIELD.get(field, field)}".rstrip(".")


_ITEM_FIELD = {
    "category": "category",
    "care_date": "servicedDate",
    "provider_inpe": "careTeamSequence",
    "charged_centimes": "net",
    "estimate_centimes": "net",
    "quantity": "quantity",
    "act_key": "productOrService",
    "act_code": "productOrService",
    "drug_code": "productOrService",
    "coefficient": "extension",
    "prescriber_inpe": "careTeamSequence",
    "prescription_date": "informationSequence",
    "ald_code": "diagnosisSequence",
    "description": "productOrService.text",
}
_CLAIM_FIELD = {
    "patient": "patient",
    "provider_inpe": "provider",
    "ald_code": "diagnosis",
    "lines": "item",
    "planned_start": "billablePeriod.start",
    "planned_end": "billablePeriod.end",
    "care_kind": "subType",
    "diagnosis": "diagnosis",
}


def read(session: Session, body: bytes) -> Submitted:
    """The Claim of a request body: a Claim, or a Bundle with exactly one Claim."""
    data = loads(body)
    if data["resourceType"] == "Bundle":
        return from_bundle(session, data)
    if data["resourceType"] != "Claim":
        raise FhirError.one(
            "not-supported",
            f"Claim/$submit takes a Claim or a Bundle, not a {data['resourceType']}",
            "resourceType",
        )
    return from_claim(session, data, "Claim", {})


def from_bundle(session: Session, data: dict[str, Any]) -> Submitted:
    bundle = model(data)
    entries = getattr(bundle, "entry", None) or []
    resolved: dict[str, Any] = {}
    found: list[tuple[int, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        resource = entry.resource
        if resource is None:
            continue
        kind = resource.get_resource_type()
        if entry.fullUrl:
            resolved[str(entry.fullUrl)] = resource
        if resource.id:
            resolved[f"{kind}/{resource.id}"] = resource
        if kind == "Claim":
            found.append((i, data["entry"][i]["resource"]))
    if len(found) != 1:
        raise FhirError.one(
            "invalid", f"the Bundle holds {len(found)} Claims: one is expected", "Bundle.entry"
        )
    i, claim = found[0]
    return from_claim(session, claim, f"Bundle.entry[{i}].resource", resolved)


def from_claim(
    session: Session, data: dict[str, Any], root: str, resolved: dict[str, Any]
) -> Submitted:
    claim = model(data, root)
    checks = Checks()
    checks.code_in(claim.status, codes.FINANCIAL_STATUS, f"{root}.status")
    if claim.status not in (None, "active") and claim.status in codes.FINANCIAL_STATUS:
        checks.add("business-rule", "only an active Claim is submitted", f"{root}.status")
    use = checks.code_in(claim.use, codes.CLAIM_USE, f"{root}.use")
    if use == "predetermination":
        checks.add("not-supported", "the fund does not answer predeterminations", f"{root}.use")
    claim_type = coding_code(claim.type, codes.CLAIM_TYPE)
    checks.code_in(claim_type, codes.CLAIM_TYPES, f"{root}.type")
    identifier = _identifier(claim, root, checks)
    patient = _patient(session, claim.patient, resolved, f"{root}.patient", checks)
    provider = _inpe(claim.provider, resolved, f"{root}.provider", checks)
    items = claim.item or []
    if not items:
        checks.add("required", "a Claim needs at least one item", f"{root}.item")
    line_paths = {i: f"{root}.item[{i}]" for i in range(len(items))}
    draft: ClaimIn | PreauthIn | None = None
    if use == "claim":
        lines = [
            _line(claim, item, i, resolved, provider, root, checks) for i, item in enumerate(items)
        ]
        checks.raise_any()
        draft = _validated(
            ClaimIn,
            {"patient": patient, "ald_code": _claim_ald(claim), "lines": lines},
            root,
        )
    elif use == "preauthorization":
        lines = [_planned(item, i, root, checks) for i, item in enumerate(items)]
        kind = coding_code(claim.subType, codes.CARE_KIND)
        checks.code_in(kind, frozenset(k.value for k in CareKind), f"{root}.subType")
        start, end = _period(claim.billablePeriod)
        if start is None:
            checks.add("required", "the planned start of the care", f"{root}.billablePeriod.start")
        checks.raise_any()
        draft = _validated(
            PreauthIn,
            {
                "patient": patient,
                "provider_inpe": provider,
                "care_kind": kind,
                "planned_start": start,
                "planned_end": end,
                "ald_code": _claim_ald(claim),
                "diagnosis": "; ".join(
                    d.diagnosisCodeableConcept.text
                    for d in claim.diagnosis or []
                    if d.diagnosisCodeableConcept is not None and d.diagnosisCodeableConcept.text
                ),
                "lines": lines,
            },
            root,
        )
    checks.raise_any()
    assert draft is not None and use is not None and identifier is not None
    digest = hashlib.sha256(
        json.dumps(draft.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    return Submitted(use, identifier, draft, root, line_paths, digest)


def _validated(cls: type[ClaimIn] | type[PreauthIn], values: dict[str, Any], root: str) -> Any:
    """The domain's own schema (bounds, safe text): a problem named by element path."""
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        issues = [
            Issue("value", str(e["msg"]), field_path(root, {}, _field(e["loc"])))
            for e in exc.errors()
        ]
        raise FhirError(issues) from exc


def _field(loc: tuple[Any, ...]) -> str:
    """('lines', 0, 'charged_centimes') -> lines[0].charged_centimes"""
    if len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
        rest = ".".join(str(p) for p in loc[2:])
        return f"lines[{loc[1]}]" + (f".{rest}" if rest else "")
    return ".".join(str(p) for p in loc)


def _identifier(claim: Any, root: str, checks: Checks) -> str | None:
    for ident in claim.identifier or []:
        if ident.value:
            system = str(ident.system or "")
            text = f"{system}|{ident.value}"
            if len(text) > 300:
                checks.add("too-long", "at most 300 characters", f"{root}.identifier")
                return None
            return text
    checks.add(
        "required",
        "a Claim names itself (system and value): a resubmission with the same identifier "
        "answers the same ClaimResponse",
        f"{root}.identifier",
    )
    return None


def _target(reference: Any, resolved: dict[str, Any]) -> Any:
    text = getattr(reference, "reference", None)
    return resolved.get(str(text)) if text else None


def _patient(
    session: Session, reference: Any, resolved: dict[str, Any], where: str, checks: Checks
) -> str | None:
    found = _target(reference, resolved)
    idents = found.identifier if found is not None else getattr(reference, "identifier", None)
    number = identifier_value(idents, codes.IMMATRICULATION) if idents else None
    if number:
        return number
    cnie = identifier_value(idents, codes.CNIE) if idents else None
    if cnie:
        person = person_by_cnie(session, cnie.upper())
        if person is None:
            checks.add("not-found", f"no insured person with CNIE {cnie}", where)
            return None
        return person.immatriculation
    if found is None and (number := reference_id(reference, "Patient")):
        return number
    checks.add(
        "required",
        f"name the patient by immatriculation ({codes.IMMATRICULATION}) or CNIE ({codes.CNIE})",
        where,
    )
    return None


def _inpe(reference: Any, resolved: dict[str, Any], where: str, checks: Checks) -> str | None:
    found = _target(reference, resolved)
    idents = found.identifier if found is not None else getattr(reference, "identifier", None)
    if idents and (inpe := identifier_value(idents, codes.INPE)):
        return inpe
    if found is None:
        for kind in ("Practitioner", "Organization", "PractitionerRole"):
            if inpe := reference_id(reference, kind):
                return inpe
    checks.add("required", f"name the provider by its INPE ({codes.INPE})", where)
    return None


def _period(period: Any) -> tuple[date | None, date | None]:
    if period is None:
        return None, None
    return _day(period.start), _day(period.end)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _claim_ald(claim: Any) -> str | None:
    for d in claim.diagnosis or []:
        if code := coding_code(d.diagnosisCodeableConcept, codes.ALD):
            return code
    return None


def _care_team(claim: Any, item: Any, role: str | None) -> tuple[Any, int] | None:
    """The care team member the item names with this role (None: any other role)."""
    team = {m.sequence: m for m in claim.careTeam or []}
    for seq in item.careTeamSequence or []:
        member = team.get(seq)
        if member is None:
            continue
        is_prescriber = coding_code(member.role, codes.CARE_TEAM_ROLE) == PRESCRIBER
        if is_prescriber == (role == PRESCRIBER):
            return member, seq
    return None


def _line(
    claim: Any,
    item: Any,
    i: int,
    resolved: dict[str, Any],
    claim_provider: str | None,
    root: str,
    checks: Checks,
) -> dict[str, Any]:
    at = f"{root}.item[{i}]"
    category = checks.code_in(
        coding_code(item.category, codes.CARE_CATEGORY), codes.CATEGORIES, f"{at}.category"
    )
    care_date = _day(item.servicedDate) or _period(item.servicedPeriod)[0]
    if care_date is None:
        care_date = _period(claim.billablePeriod)[0]
    if care_date is None:
        checks.add("required", "the date of care", f"{at}.servicedDate")
    provider = claim_provider
    if (member := _care_team(claim, item, None)) is not None:
        provider = _inpe(member[0].provider, resolved, f"{root}.careTeam.provider", checks)
    prescriber = None
    if (member := _care_team(claim, item, PRESCRIBER)) is not None:
        prescriber = _inpe(member[0].provider, resolved, f"{root}.careTeam.provider", checks)
    prescription_date = None
    info = {s.sequence: s for s in claim.supportingInfo or []}
    for seq in item.informationSequence or []:
        found = info.get(seq)
        if (
            found is not None
            and coding_code(found.category, codes.INFORMATION_CATEGORY) == PRESCRIPTION
        ):
            prescription_date = _day(found.timingDate)
    diagnoses = {d.sequence: d for d in claim.diagnosis or []}
    ald = None
    for seq in item.diagnosisSequence or []:
        if seq in diagnoses:
            ald = coding_code(diagnoses[seq].diagnosisCodeableConcept, codes.ALD) or ald
    return {
        "category": category,
        "care_date": care_date,
        "provider_inpe": provider or "",
        "charged_centimes": money_centimes(item.net, f"{at}.net", checks),
        "quantity": _quantity(item, at, checks),
        "act_key": coding_code(item.productOrService, codes.TNR_KEY),
        "act_code": coding_code(item.productOrService, codes.ACT_CODE),
        "drug_code": coding_code(item.productOrService, codes.EAN13),
        "coefficient": _coefficient(item, at, checks),
        "prescriber_inpe": prescriber,
        "prescription_date": prescription_date,
        "ald_code": ald,
    }


def _planned(item: Any, i: int, root: str, checks: Checks) -> dict[str, Any]:
    at = f"{root}.item[{i}]"
    category = checks.code_in(
        coding_code(item.category, codes.CARE_CATEGORY), codes.CATEGORIES, f"{at}.category"
    )
    return {
        "category": category,
        "act_key": coding_code(item.productOrService, codes.TNR_KEY),
        "act_code": coding_code(item.productOrService, codes.ACT_CODE),
        "coefficient": _coefficient(item, at, checks),
        "description": (item.productOrService.text or "") if item.productOrService else "",
        "quantity": _quantity(item, at, checks),
        "estimate_centimes": money_centimes(item.net, f"{at}.net", checks),
    }


def _quantity(item: Any, at: str, checks: Checks) -> int:
    if item.quantity is None or item.quantity.value is None:
        return 1
    value = Decimal(item.quantity.value)
    if value != value.to_integral_value():
        checks.add("value", "a whole number of units", f"{at}.quantity.value")
        return 1
    return int(value)


def _coefficient(item: Any, at: str, checks: Checks) -> Decimal | None:
    for n, ext in enumerate(item.extension or []):
        if ext.url == codes.COEFFICIENT:
            if ext.valueDecimal is None:
                checks.add("required", "valueDecimal: the coefficient", f"{at}.extension[{n}]")
                return None
            return Decimal(ext.valueDecimal)
    return None
