"""Patient and Coverage from the registry, Organization and Practitioner from the
providers, through those domains' services (their scope rules included)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.core.dates import today
from daman.core.enums import ProviderKind
from daman.core.errors import NotFound
from daman.core.i18n import DEFAULT
from daman.fhir import codes
from daman.fhir.parse import emit
from daman.providers import service as providers
from daman.providers.models import Provider
from daman.providers.schemas import ProviderOut
from daman.registry import service as registry
from daman.registry.schemas import EligibilityOut, InsuredSummary, PersonOut

FUND_ID = "fund"
FUND_NAME = "Daman - Assurance Maladie Obligatoire"
# Providers who are persons (a Practitioner); every other kind is an Organization.
PRACTITIONERS = frozenset({ProviderKind.DOCTOR, ProviderKind.DENTIST, ProviderKind.PARAMEDICAL})


def fund() -> dict[str, Any]:
    return emit(
        {
            "resourceType": "Organization",
            "id": FUND_ID,
            "identifier": [{"system": codes.FUND, "value": "AMO"}],
            "active": True,
            "type": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                            "code": "pay",
                            "display": "Payer",
                        }
                    ]
                }
            ],
            "name": FUND_NAME,
        }
    )


def fund_reference() -> dict[str, Any]:
    return {"reference": f"Organization/{FUND_ID}", "display": FUND_NAME}


def patient(person: PersonOut | InsuredSummary) -> dict[str, Any]:
    identifiers = [{"system": codes.IMMATRICULATION, "value": person.immatriculation}]
    if person.cnie:
        identifiers.append({"system": codes.CNIE, "value": person.cnie})
    names: list[dict[str, Any]] = [
        {"use": "official", "family": person.last_name, "given": [person.first_name]}
    ]
    if person.last_name_ar or person.first_name_ar:
        arabic = f"{person.first_name_ar or ''} {person.last_name_ar or ''}".strip()
        names.append({"use": "usual", "text": arabic})
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": person.immatriculation,
        "identifier": identifiers,
        "name": names,
        "gender": "male" if person.sex == "M" else "female",
        "birthDate": person.birth_date.isoformat(),
    }
    if person.death_date is not None:
        data["deceasedDateTime"] = person.death_date.isoformat()
    return emit(data)


def patient_reference(immatriculation: str) -> dict[str, Any]:
    return {
        "reference": f"Patient/{immatriculation}",
        "identifier": {"system": codes.IMMATRICULATION, "value": immatriculation},
    }


def coverage(person: PersonOut, rights: EligibilityOut, on: date) -> dict[str, Any]:
    """The person's AMO cover as it stands on ``on``: regime (plan), mutual (sub-plan)."""
    relationship = "self"
    subscriber = person.immatriculation
    if rights.as_dependent and rights.principal_immatriculation:
        subscriber = rights.principal_immatriculation
        relationship = "other"
    classes: list[dict[str, Any]] = []
    if rights.regime_code:
        classes.append(
            {
                "type": {"coding": [{"system": codes.COVERAGE_CLASS, "code": "plan"}]},
                "value": rights.regime_code,
                "name": f"AMO {rights.regime_code}",
            }
        )
    if rights.mutual_code:
        classes.append(
            {
                "type": {"coding": [{"system": codes.COVERAGE_CLASS, "code": "subplan"}]},
                "value": rights.mutual_code,
                "name": f"mutual {rights.mutual_code}",
            }
        )
    period: dict[str, str] = {}
    if rights.covered and rights.rights_until:
        period["end"] = rights.rights_until.isoformat()
    data: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": person.immatriculation,
        "identifier": [{"system": codes.IMMATRICULATION, "value": person.immatriculation}],
        "status": "active" if rights.covered else "cancelled",
        "type": {"text": "AMO"},
        "subscriber": {"reference": f"Patient/{subscriber}"},
        "subscriberId": subscriber,
        "beneficiary": patient_reference(person.immatriculation),
        "relationship": {
            "coding": [{"system": codes.SUBSCRIBER_RELATIONSHIP, "code": relationship}]
        },
        "payor": [fund_reference()],
        "class": classes or None,
        "period": period or None,
        "extension": [
            {
                "url": f"{codes.BASE}/StructureDefinition/rights-on",
                "valueDate": on.isoformat(),
            },
            {
                "url": f"{codes.BASE}/StructureDefinition/rights-reason",
                "valueString": f"{rights.reason}: {rights.explanation}",
            },
        ],
    }
    return emit({k: v for k, v in data.items() if v is not None})


def provider(row: Provider | ProviderOut) -> dict[str, Any]:
    identifier = [{"system": codes.INPE, "value": row.inpe}]
    if row.kind in PRACTITIONERS:
        data: dict[str, Any] = {
            "resourceType": "Practitioner",
            "id": row.inpe,
            "identifier": identifier,
            "active": row.valid_to is None or row.valid_to >= today(),
            "name": [{"text": row.name}],
            "qualification": [{"code": {"text": row.specialty or str(row.kind)}}],
        }
        if row.city:
            data["address"] = [{"city": row.city, "country": "MA"}]
        return emit(data)
    data = {
        "resourceType": "Organization",
        "id": row.inpe,
        "identifier": identifier,
        "active": row.valid_to is None or row.valid_to >= today(),
        "type": [{"text": str(row.kind)}],
        "name": row.name,
    }
    if row.city:
        data["address"] = [{"city": row.city, "country": "MA"}]
    return emit(data)


def provider_reference(row: Provider | None, inpe: str) -> dict[str, Any]:
    kind = "Practitioner" if row is not None and row.kind in PRACTITIONERS else "Organization"
    return {"reference": f"{kind}/{inpe}", "identifier": {"system": codes.INPE, "value": inpe}}


def read_provider(session: Session, kind: str, inpe: str) -> Provider:
    """A provider as the resource kind asked for (a doctor is no Organization)."""
    row = providers.get_provider(session, inpe)
    if (row.kind in PRACTITIONERS) != (kind == "Practitioner"):
        raise NotFound(f"no {kind} with id {inpe}", code="not_found")
    return row


def search_providers(
    session: Session, kind: str, q: str | None, limit: int, offset: int, who: Principal
) -> tuple[list[ProviderOut], int]:
    """Providers of the resource kind whose name, specialty, city or INPE match ``q``, kind
    by kind (a page runs across kinds in the order of ProviderKind)."""
    wanted = [k for k in ProviderKind if (k in PRACTITIONERS) == (kind == "Practitioner")]
    found: list[ProviderOut] = []
    total = 0
    for k in wanted:
        first = max(0, offset - total)
        page = providers.search_providers(session, q, k, None, None, limit, first, who)
        if len(found) < limit and offset < total + page.total:
            found += page.items[: limit - len(found)]
        total += page.total
    return found, total


def person(session: Session, number: str, who: Principal) -> PersonOut:
    return registry.person_out(registry.get_person(session, number, who), who)


def rights(
    session: Session, number: str, on: date, who: Principal, lang: str = DEFAULT
) -> EligibilityOut:
    found = registry.eligibility(session, number, on, who, lang)
    assert isinstance(found, EligibilityOut)  # only the counter gets the short answer
    return found


def searchset(resources: Sequence[dict[str, Any]], total: int, base: str) -> dict[str, Any]:
    return emit(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "entry": [
                {
                    "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in resources
            ],
        }
    )
