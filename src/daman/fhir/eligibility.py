"""CoverageEligibilityRequest/$submit: the patient's rights on the date of care, their
regime and mutual, and the AMO rates in force for each category of care.

A provider gets the counter's answer of the REST API (covered or not, regime, mutual,
ALD codes in force; dates within the filing deadline); staff and the insured family also
get the reason. Every look-up is logged as the REST API logs it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.core.dates import now, today
from daman.core.enums import CareCategory, Exemption
from daman.core.errors import DamanError
from daman.core.i18n import DEFAULT
from daman.fhir import codes
from daman.fhir.claim_in import _patient
from daman.fhir.directory import fund_reference, patient_reference
from daman.fhir.outcome import FhirError, from_domain
from daman.fhir.parse import Checks, emit, loads, model
from daman.reference import service as reference
from daman.registry import service as registry
from daman.registry.schemas import CounterEligibilityOut, EligibilityOut


def _request(session: Session, body: bytes) -> tuple[Any, str, dict[str, Any]]:
    """The CoverageEligibilityRequest of a body (alone or in a Bundle), its path and the
    Bundle's resources by reference."""
    data = loads(body)
    resolved: dict[str, Any] = {}
    if data["resourceType"] == "Bundle":
        bundle = model(data)
        found = []
        for i, entry in enumerate(getattr(bundle, "entry", None) or []):
            resource = entry.resource
            if resource is None:
                continue
            kind = resource.get_resource_type()
            if entry.fullUrl:
                resolved[str(entry.fullUrl)] = resource
            if resource.id:
                resolved[f"{kind}/{resource.id}"] = resource
            if kind == "CoverageEligibilityRequest":
                found.append((i, resource))
        if len(found) != 1:
            raise FhirError.one(
                "invalid",
                f"the Bundle holds {len(found)} CoverageEligibilityRequests: one is expected",
                "Bundle.entry",
            )
        return found[0][1], f"Bundle.entry[{found[0][0]}].resource", resolved
    if data["resourceType"] != "CoverageEligibilityRequest":
        raise FhirError.one(
            "not-supported",
            f"CoverageEligibilityRequest/$submit takes a CoverageEligibilityRequest or a "
            f"Bundle, not a {data['resourceType']}",
            "resourceType",
        )
    return model(data), "CoverageEligibilityRequest", resolved


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def submit(session: Session, body: bytes, who: Principal, lang: str = DEFAULT) -> dict[str, Any]:
    request, root, resolved = _request(session, body)
    checks = Checks()
    checks.code_in(request.status, codes.FINANCIAL_STATUS, f"{root}.status")
    purposes = list(request.purpose or [])
    for n, purpose in enumerate(purposes):
        checks.code_in(purpose, codes.ELIGIBILITY_PURPOSE, f"{root}.purpose[{n}]")
    number = _patient(session, request.patient, resolved, f"{root}.patient", checks)
    on = _day(request.servicedDate)
    if on is None and request.servicedPeriod is not None:
        on = _day(request.servicedPeriod.start)
    on = on or today()
    checks.raise_any()
    assert number is not None
    try:
        rights = registry.eligibility(session, number, on, who, lang)
    except DamanError as exc:
        dated = "servicedDate" if request.servicedDate is not None else "servicedPeriod.start"
        where = {"date": f"{root}.{dated}", "patient": f"{root}.patient"}
        found = from_domain(exc, lambda f: where.get(f, f"{root}.patient"))
        if exc.status == 404:  # the patient the request names
            found = FhirError.one("not-found", str(exc.detail), f"{root}.patient", status=404)
        raise found from exc
    identifier = [
        {"system": i.system, "value": i.value} if i.system else {"value": i.value}
        for i in request.identifier or []
        if i.value
    ]
    return emit(_response(session, request, rights, purposes, on, identifier))


def _response(
    session: Session,
    request: Any,
    rights: EligibilityOut | CounterEligibilityOut,
    purposes: list[str],
    on: date,
    identifier: list[dict[str, Any]],
) -> dict[str, Any]:
    insurance: dict[str, Any] = {
        "coverage": {"reference": f"Coverage/{rights.immatriculation}"},
        "inforce": rights.covered,
        "benefitPeriod": {"start": on.isoformat(), "end": on.isoformat()},
    }
    if rights.covered and rights.regime_code and "benefits" in purposes:
        insurance["item"] = _benefits(session, rights.regime_code, on)
    extension = (
        [{"url": f"{codes.BASE}/StructureDefinition/regime", "valueCode": rights.regime_code}]
        if rights.regime_code
        else []
    )
    if rights.mutual_code:
        extension.append(
            {"url": f"{codes.BASE}/StructureDefinition/mutual", "valueCode": rights.mutual_code}
        )
    if isinstance(rights, CounterEligibilityOut):
        extension += [
            {"url": f"{codes.BASE}/StructureDefinition/ald", "valueCode": code}
            for code in rights.ald_codes
        ]
        disposition = "covered" if rights.covered else "not covered"
    else:
        disposition = f"{rights.reason}: {rights.explanation}"
    data: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "status": "active",
        "purpose": purposes or ["validation"],
        "patient": patient_reference(rights.immatriculation),
        "servicedDate": on.isoformat(),
        "created": now().isoformat(),
        "request": {"reference": f"CoverageEligibilityRequest/{request.id}"}
        if request.id
        else {"display": "the request of this exchange"},
        "outcome": "complete",
        "disposition": disposition[:1000],
        "insurer": fund_reference(),
        "insurance": [insurance],
    }
    if identifier:
        data["identifier"] = identifier
    if extension:
        data["extension"] = extension
    return data


def _benefits(session: Session, regime: str, on: date) -> list[dict[str, Any]]:
    """The AMO rate in force for each care category (any sector, no exemption)."""
    items = []
    for category in CareCategory:
        rate = reference.rate_at(session, regime, category, None, Exemption.NONE, on)
        if rate is None:
            continue
        percent = f"{Decimal(rate.rate_bp).scaleb(-2).normalize():f} %"
        items.append(
            {
                "category": {"coding": [{"system": codes.CARE_CATEGORY, "code": category.value}]},
                "benefit": [
                    {
                        "type": {"coding": [{"system": codes.BENEFIT_TYPE, "code": "benefit"}]},
                        "allowedString": f"AMO {percent} of the reference base",
                    }
                ],
            }
        )
    return items
