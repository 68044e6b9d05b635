"""The CapabilityStatement: what this server does, for provider software to discover."""

from __future__ import annotations

from typing import Any

from daman import __version__
from daman.fhir import codes
from daman.fhir.parse import emit

_READ = [{"code": "read"}, {"code": "search-type"}]


def _resource(
    kind: str, params: list[tuple[str, str]], operations: tuple[str, ...] = ()
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": kind,
        "interaction": _READ,
        "searchParam": [{"name": n, "type": t} for n, t in params],
    }
    if operations:
        out["operation"] = [
            {"name": op, "definition": f"{codes.BASE}/OperationDefinition/{kind}-{op}"}
            for op in operations
        ]
    return out


def capability_statement(base_url: str) -> dict[str, Any]:
    return emit(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-12-08",
            "publisher": "Daman",
            "kind": "instance",
            "software": {"name": "Daman", "version": __version__},
            "implementation": {"description": "Daman: the AMO fund's FHIR API", "url": base_url},
            "fhirVersion": codes.FHIR_VERSION,
            "format": [codes.MEDIA_TYPE, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Provider API keys (Authorization: Bearer dmk_...) and "
                    "API tokens, as the REST API; money in MAD; errors as OperationOutcome "
                    "naming the element path.",
                    "security": {
                        "service": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/"
                                        "restful-security-service",
                                        "code": "OAuth",
                                    }
                                ],
                                "text": "Bearer token",
                            }
                        ]
                    },
                    "resource": [
                        _resource(
                            "Patient",
                            [("_id", "token"), ("identifier", "token"), ("name", "string")],
                        ),
                        _resource(
                            "Coverage",
                            [
                                ("_id", "token"),
                                ("beneficiary", "reference"),
                                ("identifier", "token"),
                            ],
                        ),
                        _resource(
                            "Organization",
                            [("_id", "token"), ("identifier", "token"), ("name", "string")],
                        ),
                        _resource(
                            "Practitioner",
                            [("_id", "token"), ("identifier", "token"), ("name", "string")],
                        ),
                        {
                            "type": "CoverageEligibilityRequest",
                            "operation": [
                                {
                                    "name": "submit",
                                    "definition": f"{codes.BASE}/OperationDefinition/"
                                    "CoverageEligibilityRequest-submit",
                                }
                            ],
                        },
                        {
                            "type": "Claim",
                            "operation": [
                                {
                                    "name": op,
                                    "definition": f"{codes.BASE}/OperationDefinition/Claim-{op}",
                                }
                                for op in ("submit", "cancel", "reprocess")
                            ],
                        },
                        _resource(
                            "ClaimResponse",
                            [
                                ("_id", "token"),
                                ("request", "reference"),
                                ("patient", "reference"),
                                ("use", "token"),
                                ("status", "token"),
                            ],
                        ),
                        _resource(
                            "ExplanationOfBenefit", [("_id", "token"), ("patient", "reference")]
                        ),
                        _resource("PaymentReconciliation", [("_id", "token")]),
                        {"type": "CodeSystem", "interaction": [{"code": "read"}]},
                    ],
                }
            ],
        }
    )
