"""Every API route x every role (and anonymous), generated from the app's route table.

A route must declare its rule (``allow(...)`` or ``PUBLIC``, see daman.auth.access): one
without fails here. For each route and caller the expected answer follows from the rule:
anonymous -> 401; a role outside the rule -> 403; a role inside it -> neither (the request
carries junk parameters, so 404 or 422 are typical) and never a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.auth import tokens
from daman.auth.access import _public, allow
from daman.auth.models import Role, TokenKind
from daman.core.hardening import CSP

API = "/api/v1"
ANONYMOUS = "anonymous"


def rule_of(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route admits, None for a public route; fails if it declares no rule."""
    found: list[Any] = []

    def walk(dependant: Any) -> None:
        for dep in dependant.dependencies:
            if isinstance(dep.call, allow) or dep.call is _public:
                found.append(dep.call)
            walk(dep)

    walk(route.dependant)
    assert found, f"{sorted(route.methods)} {route.path} declares no access rule"
    assert len(found) == 1, f"{route.path} declares {len(found)} access rules"
    return None if found[0] is _public else found[0].roles


def api_routes() -> list[tuple[str, str, frozenset[Role] | None]]:
    from daman.app import create_app

    out = []
    for context in iter_route_contexts(create_app().routes):  # included routers, flattened
        route, path = context.original_route, context.path
        if isinstance(route, APIRoute) and path and path.startswith(API):
            for method in sorted(context.methods or ()):
                out.append((method, path, rule_of(route)))
    return out


ROUTES = api_routes()


def test_every_route_declares_a_rule_and_the_table_is_not_empty():
    assert len(ROUTES) > 50
    assert any(rule is None for _, _, rule in ROUTES)  # health and sign-in are public
    # Nothing personal is open to every role: each rule open to the analyst is checked here.
    # The analyst's routes: reference data, their own account, aggregate figures; nothing
    # that names a person (a doctor in the provider directory included).
    open_to_analyst = {path for _, path, rule in ROUTES if rule and Role.ANALYST in rule}
    assert open_to_analyst, "the analyst can reach nothing"
    assert all(
        p.startswith((f"{API}/reference", f"{API}/auth", f"{API}/statistics"))
        for p in open_to_analyst
    ), open_to_analyst


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "X1", path)


@pytest.fixture
def credentials(session: Session) -> Iterator[dict[str, str]]:
    """A fresh bearer token per role, signed in as a user of that role."""
    users = {role: builders.user(session, role) for role in Role}
    yield {
        role.value: tokens.issue(session, TokenKind.BEARER, "test", user=user).token
        for role, user in users.items()
    }


def call(client: TestClient, method: str, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = {}
    return client.request(method, concrete(path), **kwargs)


def test_route_by_role_matrix(anonymous: TestClient, credentials: dict[str, str]):
    wrong = []
    for method, path, rule in ROUTES:
        for caller in [ANONYMOUS, *(r.value for r in Role)]:
            if method == "DELETE" or path.endswith("/auth/password"):
                continue  # would sign the caller out or change its password: below
            r = call(anonymous, method, path, credentials.get(caller))
            if rule is None:
                ok = r.status_code not in (401, 403)
            elif caller == ANONYMOUS:
                ok = r.status_code == 401
            elif Role(caller) in rule:
                ok = r.status_code not in (401, 403)
            else:
                ok = r.status_code == 403
            if not ok or r.status_code >= 500:
                wrong.append((method, path, caller, r.status_code, r.text[:120]))
    assert wrong == []


def test_sign_out_and_password_routes_follow_the_matrix(anonymous: TestClient, session: Session):
    assert call(anonymous, "DELETE", f"{API}/auth/tokens/current", None).status_code == 401
    assert call(anonymous, "POST", f"{API}/auth/password", None).status_code == 401
    for role in Role:
        user = builders.user(session, role)
        token = tokens.issue(session, TokenKind.BEARER, "test", user=user).token
        assert call(anonymous, "POST", f"{API}/auth/password", token).status_code == 422
        assert call(anonymous, "DELETE", f"{API}/auth/tokens/current", token).status_code == 204
        assert call(anonymous, "GET", f"{API}/auth/me", token).status_code == 401


def test_every_response_carries_the_security_headers(anonymous: TestClient):
    for path in (f"{API}/health", f"{API}/claims", "/nowhere"):
        r = anonymous.get(path)
        assert r.headers["content-security-policy"] == CSP
        assert "frame-ancestors 'none'" in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"


def test_field_level_rules_by_role(anonymous: TestClient, session: Session):
    """Within the routes a role may call: who may set a claim's deposit date and channel
    (staff keying in paper only), and who reads bank details (payment officers, and a
    provider its own account)."""
    from daman.core.dates import today
    from daman.providers import builders as pb

    clinic = pb.provider(session, kind="clinic")  # with a valid RIB
    paper = {
        "patient": "DM0000000000",
        "channel": "agency",
        "deposit_date": today().isoformat(),
        "lines": [
            {
                "category": "consultation",
                "care_date": today().isoformat(),
                "provider_inpe": clinic.inpe,
                "act_key": "C",
                "charged_centimes": 15_000,
            }
        ],
    }
    seen = {}
    for role in Role:
        own = clinic.inpe if role is Role.PROVIDER else None
        user = builders.user(session, role, provider=own)
        token = tokens.issue(session, TokenKind.BEARER, "test", user=user).token
        auth = {"Authorization": f"Bearer {token}"}
        r = anonymous.post(f"{API}/claims", json=paper, headers=auth)
        fields = {d["field"] for d in r.json()["detail"]} if r.status_code == 400 else set()
        listed = anonymous.get(f"{API}/providers/{clinic.inpe}", headers=auth)
        seen[role] = (
            r.status_code,
            {"deposit_date", "channel"} <= fields,
            listed.json().get("rib") if listed.status_code == 200 else listed.status_code,
        )
    assert seen[Role.INSURED][:2] == (400, True)
    assert seen[Role.PROVIDER][:2] == (400, True)
    assert seen[Role.AGENT][:2] == (400, False)  # refused for the unknown patient only
    for role in (Role.CONTROLLER, Role.ADMIN, Role.ANALYST):
        assert seen[role][0] == 403
    assert seen[Role.AGENT][2] == clinic.rib  # the payment officers
    assert seen[Role.PROVIDER][2] == clinic.rib  # its own account
    for role in (Role.INSURED, Role.CONTROLLER, Role.ADMIN):
        assert seen[role][2] is None
    assert seen[Role.ANALYST][2] == 403
