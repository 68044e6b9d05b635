"""Builders of FHIR payloads for the tests: a Claim as a pharmacy's or a doctor's
software sends it, and the same care as the REST API's JSON."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from daman.fhir import codes

FHIR = {"Content-Type": codes.MEDIA_TYPE}


def money(centimes: int) -> dict[str, Any]:
    return {"value": float(Decimal(centimes) / 100), "currency": "MAD"}


def consultation(provider: str, on: date, charged: int, key: str = "C") -> dict[str, Any]:
    return {
        "category": {"coding": [{"system": codes.CARE_CATEGORY, "code": "consultation"}]},
        "productOrService": {"coding": [{"system": codes.TNR_KEY, "code": key}]},
        "servicedDate": on.isoformat(),
        "net": money(charged),
        "_provider": provider,
    }


def medicine(
    pharmacy: str, on: date, ean: str, quantity: int, charged: int, prescriber: str
) -> dict[str, Any]:
    return {
        "category": {"coding": [{"system": codes.CARE_CATEGORY, "code": "medicine"}]},
        "productOrService": {"coding": [{"system": codes.EAN13, "code": ean}]},
        "servicedDate": on.isoformat(),
        "quantity": {"value": quantity},
        "net": money(charged),
        "_provider": pharmacy,
        "_prescriber": prescriber,
        "_prescribed": on.isoformat(),
    }


def claim(
    patient: str,
    provider: str,
    items: list[dict[str, Any]],
    *,
    identifier: str = "rx-0001",
    use: str = "claim",
    claim_type: str = "professional",
    created: date | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Claim: each item's provider and prescriber become care team members, a
    prescription date a supportingInfo."""
    team: list[dict[str, Any]] = []
    info: list[dict[str, Any]] = []
    out_items = []
    for n, item in enumerate(items, start=1):
        item = dict(item)
        seqs = []
        who = item.pop("_provider", None)
        if who:
            member = {"sequence": len(team) + 1, "provider": {"reference": f"Organization/{who}"}}
            team.append(member)
            seqs.append(len(team))
        prescriber = item.pop("_prescriber", None)
        if prescriber:
            team.append(
                {
                    "sequence": len(team) + 1,
                    "provider": {"reference": f"Practitioner/{prescriber}"},
                    "role": {"coding": [{"system": codes.CARE_TEAM_ROLE, "code": "prescriber"}]},
                }
            )
            seqs.append(len(team))
        prescribed = item.pop("_prescribed", None)
        if prescribed:
            info.append(
                {
                    "sequence": len(info) + 1,
                    "category": {
                        "coding": [{"system": codes.INFORMATION_CATEGORY, "code": "prescription"}]
                    },
                    "timingDate": prescribed,
                }
            )
            item["informationSequence"] = [len(info)]
        if seqs:
            item["careTeamSequence"] = seqs
        out_items.append({"sequence": n, **item})
    data: dict[str, Any] = {
        "resourceType": "Claim",
        "identifier": [{"system": "https://pharmacy.example/claims", "value": identifier}],
        "status": "active",
        "type": {"coding": [{"system": codes.CLAIM_TYPE, "code": claim_type}]},
        "use": use,
        "patient": {"reference": f"Patient/{patient}"},
        "created": (created or date.today()).isoformat(),
        "provider": {"reference": f"Organization/{provider}"},
        "priority": {"coding": [{"system": codes.PROCESS_PRIORITY, "code": "normal"}]},
        "insurance": [
            {"sequence": 1, "focal": True, "coverage": {"reference": f"Coverage/{patient}"}}
        ],
        "item": out_items,
        **extra,
    }
    if team:
        data["careTeam"] = team
    if info:
        data["supportingInfo"] = info
    return data


def adjudication(item: dict[str, Any]) -> dict[str, Any]:
    """An item's adjudications by category code: amounts in centimes, the rate in %."""
    out: dict[str, Any] = {}
    for a in item["adjudication"]:
        code = a["category"]["coding"][0]["code"]
        if "amount" in a:
            out[code] = round(Decimal(str(a["amount"]["value"])) * 100)
        else:
            out[code] = Decimal(str(a["value"]))
    return out


def preauth_claim(patient: str, clinic: str, identifier: str = "pa-1") -> dict[str, Any]:
    """A clinic's pre-authorisation request: a three-day stay starting in ten days."""
    start = date.today() + timedelta(days=10)
    return claim(
        patient,
        clinic,
        [
            {
                "category": {
                    "coding": [{"system": codes.CARE_CATEGORY, "code": "hospitalisation"}]
                },
                "productOrService": {"text": "appendectomy stay"},
                "quantity": {"value": 3},
                "net": {"value": 9000, "currency": "MAD"},
            }
        ],
        use="preauthorization",
        claim_type="institutional",
        identifier=identifier,
        subType={"coding": [{"system": codes.CARE_KIND, "code": "hospitalisation"}]},
        billablePeriod={"start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat()},
    )
