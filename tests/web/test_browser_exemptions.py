"""The controller decides an ALD exemption request in a real browser, in French and in
Arabic, on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit


def ask(site: Server, ald_code: str) -> str:
    body = {
        "patient": "DM0000000194",
        "ald_code": ald_code,
        "icd10": "E11",
        "evidence": "HbA1c 9,1 % à deux reprises ; metformine depuis 2024",
    }
    with site.client(site.token("agent")) as api:
        r = api.post("/ald-exemption-requests", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["number"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("ald"))) as server:
        yield server


@pytest.mark.parametrize(
    ("lang", "phone", "ald_code"), [("fr", False, "ALD09"), ("ar", True, "ALD12")]
)
def test_a_controller_grants_an_exemption(
    browser: Any, site: Server, lang: str, phone: bool, ald_code: str
) -> None:
    number = ask(site, ald_code)
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "controller")
        page.goto(f"/office/exemptions?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        accessible(page)
        page.click(f"a:has-text('{number}')")
        page.wait_for_load_state("networkidle")
        accessible(page)
        page.check("input[name=action][value=grant]")
        page.check("input[name=for_life]")
        screenshot(page, f"exemption-request-{lang}-{'phone' if phone else 'desktop'}")
        page.click(f"form[action='/office/exemptions/{number}'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
    with site.client(site.token("controller")) as api:
        assert api.get(f"/ald-exemption-requests/{number}").json()["status"] == "granted"
