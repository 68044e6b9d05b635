"""Web sign-in: the form, its CSRF token, the session cookie, password change, sign-out."""

from __future__ import annotations

import re

from daman.accounts import builders
from daman.accounts.builders import PASSWORD
from daman.accounts.service import MAX_FAILED_LOGINS
from daman.auth.models import Role


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def sign_in(client, username, password=PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def test_the_sign_in_page_speaks_french_by_default_and_arabic_right_to_left(anonymous):
    fr = anonymous.get("/login")
    assert fr.status_code == 200 and 'lang="fr" dir="ltr"' in fr.text
    assert "Se connecter" in fr.text
    ar = anonymous.get("/login?lang=ar")
    assert 'lang="ar" dir="rtl"' in ar.text and "تسجيل الدخول" in ar.text
    assert "default-src 'self'" in ar.headers["content-security-policy"]
    # the choice is remembered
    assert 'dir="rtl"' in anonymous.get("/login").text


def test_signing_in_sets_an_httponly_strict_session_cookie(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    r = sign_in(anonymous, agent.username)
    assert r.status_code == 303 and r.headers["location"] == "/"  # then the role's first page
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("daman_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    account = anonymous.get("/account")
    assert agent.username in account.text and "Agent de la caisse" in account.text
    # the same cookie works for the API
    assert anonymous.get("/api/v1/auth/me").json()["via"] == "session"


def test_a_form_without_its_csrf_token_is_refused(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    anonymous.get("/login")
    r = anonymous.post(
        "/login",
        data={"username": agent.username, "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "daman_session" not in r.headers.get("set-cookie", "")


def test_a_wrong_password_shows_one_message_for_every_refusal(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    wrong = sign_in(anonymous, agent.username, "not the password")
    unknown = sign_in(anonymous, "nobody-at-all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in wrong.text
    assert "Identifiant ou mot de passe incorrect." in unknown.text


def test_password_change_and_sign_out(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    sign_in(anonymous, agent.username)
    csrf = csrf_of(anonymous.get("/account").text)
    short = anonymous.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "short", "csrf_token": csrf},
    )
    assert short.status_code == 400 and "12 caractères" in short.text
    ok = anonymous.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another long password",
            "csrf_token": csrf,
        },
    )
    assert ok.status_code == 200 and "Mot de passe modifié" in ok.text
    r = anonymous.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    back = "/login?next=%2Faccount"  # sent to sign in, and back to the account after
    assert anonymous.get("/account", follow_redirects=False).headers["location"] == back
    assert anonymous.get("/api/v1/auth/me").status_code == 401
    assert sign_in(anonymous, agent.username, "another long password").status_code == 303


def test_a_locked_account_gets_the_same_message_as_a_wrong_password(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    for _ in range(MAX_FAILED_LOGINS):
        assert sign_in(anonymous, agent.username, "not the password").status_code == 401
    locked = sign_in(anonymous, agent.username)  # the right password, locked
    unknown = sign_in(anonymous, "nobody-at-all")
    assert locked.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in locked.text
    assert "bloqué" not in locked.text


def test_wrong_current_passwords_on_the_account_page_lock_the_account(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    sign_in(anonymous, agent.username)
    csrf = csrf_of(anonymous.get("/account").text)

    def change(current: str):
        data = {"current_password": current, "new_password": "another long password"}
        return anonymous.post("/account/password", data={**data, "csrf_token": csrf})

    for attempt in range(MAX_FAILED_LOGINS):
        assert change(f"guess {attempt}").status_code == 400
    session.refresh(agent)
    assert agent.locked_until is not None  # counted and committed
    r = change(PASSWORD)
    assert r.status_code == 423 and "Ce compte est bloqué" in r.text
