"""The agent keys in a paper care sheet in a real browser, in French and in Arabic, on a
desktop and on a phone: the patient's rights as the number is typed, a two-line sheet with
look-ups as one types (a line added with HTMX), its valuation without saving, the save,
a scan attached, and the receipt PDF with the claim's number in it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from daman.core.dates import today
from tests.claims.support import BRAND, PDF
from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

EMPLOYEE = "DM0000000194"  # Youssef Benali, covered (README: the demo persons)
GP, PHARMACY = "910000001", "930000001"
EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("paper"))) as server:
        yield server


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def offered(page: Any, field: str, typed: str) -> int:
    """Type into a field of the form and wait for the look-up's options; how many."""
    page.locator(f"#{field}").press_sequentially(typed, delay=20)
    options = page.locator(f"#{field}-list option")
    options.first.wait_for(state="attached")
    return options.count()


@pytest.mark.parametrize(
    ("lang", "phone", "days_ago"),
    [("fr", False, 2), ("ar", True, 3), ("ar", False, 4), ("fr", True, 5)],
)
def test_an_agent_keys_in_values_saves_and_prints_a_paper_care_sheet(
    browser: Any, site: Server, lang: str, phone: bool, days_ago: int
) -> None:
    device = "phone" if phone else "desktop"
    care = (today() - timedelta(days=days_ago)).isoformat()  # one day of care per journey
    with visit(browser, site, lang=lang, phone=phone) as page:
        sign_in(page, "agent")
        page.goto(f"/office/claims/new?lang={lang}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.input_value("#deposit_date") == today().isoformat()
        accessible(page)

        # the patient: name and rights as the number is typed (Eastern Arabic digits too)
        typed = EMPLOYEE if lang == "fr" else EMPLOYEE[:2] + EMPLOYEE[2:].translate(EASTERN)
        page.fill("#patient", typed)
        page.locator("#patient-info .badge.good").wait_for()
        assert "Benali" in page.inner_text("#patient-info")

        # a GP consultation, found by INPE and act key as one types
        assert offered(page, "line-0-provider", GP[:6]) >= 1
        page.fill("#line-0-provider", GP)
        page.fill("#line-0-care_date", care)
        assert offered(page, "line-0-act_key", "C") >= 1
        assert "150.00 MAD" in page.inner_html("#line-0-act_key-list")  # C for CNSS_SAL
        page.fill("#line-0-act_key", "C")
        page.fill("#line-0-charged", "150" if lang == "fr" else "١٥٠")

        # a box of medicine found by name
        page.select_option("#line-1-category", "medicine")
        page.fill("#line-1-care_date", care)
        page.fill("#line-1-provider", PHARMACY)
        assert offered(page, "line-1-drug", "glucadem") >= 1
        page.fill("#line-1-drug", BRAND)
        page.fill("#line-1-charged", "32.00")
        page.fill("#line-1-prescriber", GP)
        page.fill("#line-1-prescribed_on", care)

        # a third row added in place (HTMX), left empty: it is left out
        page.click("button[value=add_line]")
        page.locator("#line-2-category").wait_for()
        assert page.input_value("#line-1-provider") == PHARMACY  # the rows typed stay
        screenshot(page, f"paper-sheet-{lang}-{device}")

        # valued without saving: the engine's figures for each line
        page.click("#sheet .actions button[value=value]")
        page.locator("table.valuation").wait_for()
        assert page.locator("table.valuation tbody tr:not(.why)").count() == 2
        assert page.locator(".error-summary").count() == 0
        assert page.locator("table.valuation .badge.good").count() == 2  # both accepted
        assert "150.00 MAD" in page.inner_text("table.valuation")
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"paper-valued-{lang}-{device}")

        # saved: the receipt page of the new claim
        page.click("button[value=save]")
        page.wait_for_url("**/receipt")
        number = page.url.rsplit("/", 2)[-2]
        assert number.startswith("F") and number in page.inner_text("h1")
        accessible(page)
        no_sideways_scroll(page)

        # a scan brought along, attached on the receipt page
        page.set_input_files(
            "#files", files=[{"name": "feuille.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        page.click("form[action$='/scans'] button[type=submit]")
        page.wait_for_url("**/receipt?done=scans")
        assert "feuille.pdf" in page.inner_text("main")
        accessible(page)
        screenshot(page, f"paper-receipt-{lang}-{device}")

        # the receipt PDF, in the agent's language, carries the claim's number
        answer = page.request.get(page.get_attribute("#receipt-pdf", "href"))
        assert answer.ok and answer.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(answer.body()))
        text = "".join(p.extract_text() for p in reader.pages)
        assert number in text
        assert ("Récépissé" in text) if lang == "fr" else ("Récépissé" not in text)
