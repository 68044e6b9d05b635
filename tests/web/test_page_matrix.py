"""Every page x every role (and anonymous), from the app's route table, as the API's matrix.

A page declares its rule with ``page(...)`` (daman.web.shell) unless it is one of the open
pages listed here. Anonymous -> sent to sign in (303 to /login?next=...); a role outside the
rule -> 403; a role inside it -> neither, and never a server error. A form posted without
its CSRF token is refused (403) for every role.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE
from daman.auth.models import Role, TokenKind
from daman.web.shell import _form_csrf, page

# Pages anyone may open (the sign-in flow and the home page); each checks what it must.
OPEN = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    # an insured person signs in with a code sent by SMS; anyone checks a rights certificate
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("POST", "/login/code/verify"),
    ("GET", "/verify"),
    ("GET", "/verify/{reference}"),
}


def rule_of(route: APIRoute) -> tuple[frozenset[Role] | None, bool]:
    found: list[Any] = []
    form = False

    def walk(dependant: Any) -> None:
        nonlocal form
        for dep in dependant.dependencies:
            if isinstance(dep.call, page):
                found.append(dep.call)
            form = form or dep.call is _form_csrf
            walk(dep)

    walk(route.dependant)
    assert len(found) <= 1, f"{route.path} declares {len(found)} page rules"
    return (found[0].roles if found else None), form


def page_routes() -> list[tuple[str, str, frozenset[Role] | None, bool]]:
    from daman.app import create_app

    out = []
    for context in iter_route_contexts(create_app().routes):
        route, path = context.original_route, context.path
        if isinstance(route, APIRoute) and route.endpoint.__module__.startswith("daman.web"):
            for method in sorted(context.methods or ()):
                roles, form = rule_of(route)
                if roles is None:
                    assert (method, path) in OPEN, f"{method} {path} declares no page rule"
                else:
                    assert method == "GET" or form, f"{method} {path} changes without FORM"
                out.append((method, path, roles, form))
    return out


PAGES = page_routes()


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "X1", path)


def test_every_page_declares_a_rule() -> None:
    assert any(roles is not None for _, _, roles, _ in PAGES)


@pytest.fixture
def cookies(session: Session) -> dict[str, str]:
    """A web session per role."""
    out = {}
    for role in Role:
        user = builders.user(session, role)
        out[role.value] = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
    return out


def test_page_by_role_matrix(anonymous: TestClient, cookies: dict[str, str]) -> None:
    wrong = []
    for method, path, roles, _ in PAGES:
        if roles is None:
            continue
        for caller in ["anonymous", *(r.value for r in Role)]:
            anonymous.cookies.clear()
            headers = {}
            if caller != "anonymous":
                token = cookies[caller]
                anonymous.cookies.set(SESSION_COOKIE, token)
                headers["X-CSRF-Token"] = tokens.csrf_for(token)
            r = anonymous.request(method, concrete(path), headers=headers, follow_redirects=False)
            if caller == "anonymous":
                ok = r.status_code == 303 and r.headers["location"].startswith("/login?next=")
            elif Role(caller) in roles:
                ok = r.status_code not in (401, 403)
            else:
                ok = r.status_code == 403
            if not ok or r.status_code >= 500:
                wrong.append((method, path, caller, r.status_code, r.text[:100]))
    anonymous.cookies.clear()
    assert wrong == []


def test_a_form_without_its_csrf_token_is_refused(
    anonymous: TestClient, cookies: dict[str, str]
) -> None:
    for method, path, roles, form in PAGES:
        if roles is None or not form:
            continue
        role = next(iter(roles))
        anonymous.cookies.set(SESSION_COOKIE, cookies[role.value])
        r = anonymous.request(method, concrete(path), data={}, follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code)
    anonymous.cookies.clear()
