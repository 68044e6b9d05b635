"""The controller answers pre-authorisations in a real browser, in French and in Arabic, on
a desktop and on a phone: the queue with the 48-hour clock, a request, the answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from daman.core.dates import today
from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

CLINIC = "960000001"  # the demo's private clinic
PATIENT = "DM0000000194"  # the demo's first person


def ask(site: Server, diagnosis: str) -> str:
    """A clinic's request keyed in by the demo agent, through the API: its number."""
    start = today() + timedelta(days=3)
    body = {
        "patient": PATIENT,
        "provider_inpe": CLINIC,
        "care_kind": "hospitalisation",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(days=2)).isoformat(),
        "diagnosis": diagnosis,
        "lines": [
            {
                "category": "hospitalisation",
                "act_key": "HOSP_MED",
                "quantity": 3,
                "estimate_centimes": 300_000,
                "description": "séjour en chirurgie",
            }
        ],
    }
    with site.client(site.token("agent")) as api:
        r = api.post("/preauthorisations", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["number"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("preauth"))) as server:
        yield server


@pytest.mark.parametrize(
    ("lang", "phone", "action"),
    [
        ("fr", False, "agree"),
        ("ar", True, "ask_information"),
        ("ar", False, "refuse"),
        ("fr", True, "agree_partly"),
    ],
)
def test_a_controller_answers_a_request(
    browser: Any, site: Server, lang: str, phone: bool, action: str
) -> None:
    number = ask(site, f"cholécystectomie ({action})")
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "controller")
        page.goto(f"/office/preauthorisations?lang={lang}")
        assert page.locator(f"a:has-text('{number}')").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        accessible(page)
        screenshot(page, f"preauth-queue-{lang}-{'phone' if phone else 'desktop'}")
        page.click(f"a:has-text('{number}')")
        page.wait_for_load_state("networkidle")
        accessible(page)
        page.check(f"input[name=action][value={action}]")
        if action in ("agree", "agree_partly"):
            page.fill("#valid_to", (today() + timedelta(days=30)).isoformat())
        if action == "agree_partly":
            page.fill("#units_1", "2")
        if action in ("refuse", "ask_information"):
            page.fill("#reason", "compte rendu opératoire demandé")
        screenshot(page, f"preauth-request-{lang}-{'phone' if phone else 'desktop'}")
        page.click(f"form[action='/office/preauthorisations/{number}'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
    with site.client(site.token("controller")) as api:
        status = api.get(f"/preauthorisations/{number}").json()["status"]
    expected = {
        "agree": "agreed",
        "agree_partly": "partly_agreed",
        "refuse": "refused",
        "ask_information": "info_requested",
    }
    assert status == expected[action]
