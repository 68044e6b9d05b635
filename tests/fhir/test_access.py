"""Every FHIR (and HCX) route declares its role rule, and answers by it: anonymous 401,
a role outside the rule 403, as OperationOutcome (FHIR) or the protocol's error (HCX)."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from daman.auth.models import Role
from tests.auth.test_route_matrix import concrete, credentials, rule_of  # noqa: F401

PREFIXES = ("/fhir", "/hcx")


def standards_routes() -> list[tuple[str, str, frozenset[Role] | None]]:
    from daman.app import create_app

    out = []
    for context in iter_route_contexts(create_app().routes):
        route, path = context.original_route, context.path
        if isinstance(route, APIRoute) and path.startswith(PREFIXES):
            for method in sorted(context.methods or ()):
                out.append((method, path, rule_of(route)))
    return out


def test_every_route_answers_by_its_rule(anonymous: TestClient, credentials: dict[str, str]):  # noqa: F811
    routes = standards_routes()
    assert len(routes) >= 18
    wrong = []
    for method, path, rule in routes:
        for caller in ["anonymous", *(r.value for r in Role)]:
            token = credentials.get(caller)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            r = anonymous.request(method, concrete(path), headers=headers, content=b"{}")
            if rule is None:
                ok = r.status_code not in (401, 403)
            elif caller == "anonymous":
                ok = r.status_code == 401
            elif Role(caller) in rule:
                ok = r.status_code not in (401, 403)
            else:
                ok = r.status_code == 403
            if path.startswith("/fhir") and r.status_code >= 400:
                ok = ok and r.json().get("resourceType") == "OperationOutcome"
            if not ok or r.status_code >= 500:
                wrong.append((method, path, caller, r.status_code, r.text[:160]))
    assert wrong == []


def test_the_analyst_reaches_nothing_personal():
    for _, path, rule in standards_routes():
        if rule is not None:
            assert Role.ANALYST not in rule, path
