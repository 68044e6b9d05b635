"""A doctor prescribes and a pharmacy dispenses from the prescription's number, in a real
browser on a phone (360 x 800), in French and in Arabic; then the fund's day runs on the
served database (`daman adjudicate`, `daman claims approve`, `daman payments run`, `daman
payments sent`) and the pharmacy sees its care sheet paid, the transfer and its remittance
advice. The patient has an ALD exemption: her medicines are billed to the fund (tiers
payant), so the fund pays the pharmacy. axe-core on every page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.served import Server, daman
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

ALD_PATIENT = "E100012"  # Latifa Cherkaoui's CNIE: CNOPS (MGEN), ALD09 diabetes exemption
# One medicine per journey: the same one twice on a day would be a duplicate the engine
# holds for review.
MEDICINE = {"fr": ("glucadem", "6118990000017"), "ar": ("insudem", "6118990000055")}
PHONE_VIEW = {"width": 360, "height": 800}
PAID = {"fr": "Payé", "ar": "مؤدى"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("care"))) as server:
        yield server


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def checked(page: Any, name: str) -> None:
    """Every page of the journey: laid out for a phone, accessible, pictured."""
    no_sideways_scroll(page)
    accessible(page)
    screenshot(page, name)


def prescribe(browser: Any, site: Server, lang: str) -> str:
    """The doctor finds the patient by CNIE, bills the consultation and prescribes two
    boxes for her ALD; the prescription's number."""
    with visit(browser, site, lang=lang, phone=True) as page:
        page.set_viewport_size(PHONE_VIEW)
        sign_in(page, "docteur")
        page.goto(f"/care?lang={lang}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        checked(page, f"doctor-desk-{lang}-phone")
        page.fill("#q", ALD_PATIENT)
        page.press("#q", "Enter")
        page.wait_for_url("**/care/visit?patient=*")
        assert "ALD09" in page.inner_text("main")  # her rights, with her exemption
        page.fill("#charged", "150")
        page.select_option("#ald_code", "ALD09")
        name, ean = MEDICINE[lang]
        page.locator("#line-0-drug").press_sequentially(name, delay=20)
        page.locator("#line-0-drug-list option").first.wait_for(state="attached")
        page.fill("#line-0-drug", ean)
        page.fill(
            "#line-0-dosage", "1 comprimé matin et soir" if lang == "fr" else "قرص صباحاً ومساءً"
        )
        page.fill("#line-0-days", "30")
        page.fill("#line-0-boxes", "2")
        checked(page, f"doctor-visit-{lang}-phone")
        page.click("#visit .actions button[value=save]")
        page.wait_for_url("**/care/prescriptions/RX*")
        number = page.url.rsplit("/", 1)[-1]
        assert re.fullmatch(r"RX[0-9]{14}", number)
        assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
        checked(page, f"doctor-prescription-{lang}-phone")
        printed = page.request.get(page.get_attribute("#print", "href"))
        assert printed.ok and printed.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.body())).pages)
        assert number in text
        return number


def dispense(browser: Any, site: Server, lang: str, number: str) -> str:
    """The pharmacy types the number, scans two boxes (a wedge scanner types the EAN and
    presses Enter), sees who pays what and dispenses; the care sheet's number."""
    with visit(browser, site, lang=lang, phone=True) as page:
        page.set_viewport_size(PHONE_VIEW)
        sign_in(page, "pharmacie")
        page.goto(f"/care?lang={lang}")
        checked(page, f"pharmacy-desk-{lang}-phone")
        page.fill("#number", f"{number[:6]} {number[6:10]} {number[10:]}")
        page.press("#number", "Enter")
        page.wait_for_url(f"**/care/dispense/{number}")
        accessible(page)
        for n in (1, 2):
            page.fill("#ean", MEDICINE[lang][1])
            page.press("#ean", "Enter")
            page.locator("#boxes .results li").nth(n - 1).wait_for()
        page.locator(".to-pay").wait_for()
        assert page.locator("table.valuation tbody tr:not(.why)").count() == 1
        assert page.locator(".error-summary").count() == 0
        checked(page, f"pharmacy-counter-{lang}-phone")
        page.click("#dispense")
        page.wait_for_url("**/care/claims/F*?done=dispensed")
        assert page.locator("#paid-now").count() == 1
        checked(page, f"pharmacy-dispensed-{lang}-phone")
        return page.url.split("/care/claims/", 1)[1].split("?", 1)[0]


def the_funds_day(site: Server) -> None:
    """The batch valuation, the day's approval, the payment run and its file sent."""
    cwd = site.workdir
    daman(site.env, cwd, "adjudicate")
    daman(site.env, cwd, "claims", "approve")
    ran = daman(site.env, cwd, "payments", "run", "--out", str(cwd / "bank"))
    batch = re.search(r"batch (PB[0-9]+)", ran.stdout)
    assert batch, ran.stdout
    daman(site.env, cwd, "payments", "sent", batch.group(1))


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_doctor_prescribes_and_the_pharmacy_dispenses_and_is_paid(
    browser: Any, site: Server, lang: str
) -> None:
    number = prescribe(browser, site, lang)
    claim = dispense(browser, site, lang, number)
    the_funds_day(site)
    with visit(browser, site, lang=lang, phone=True) as page:
        page.set_viewport_size(PHONE_VIEW)
        sign_in(page, "pharmacie")
        page.goto(f"/care/claims/{claim}?lang={lang}")
        assert page.inner_text("#status") == PAID[lang]
        checked(page, f"pharmacy-paid-{lang}-phone")
        page.goto("/care/claims")
        assert claim in page.inner_text("main")
        checked(page, f"pharmacy-claims-{lang}-phone")
        page.goto("/care/payments")
        checked(page, f"pharmacy-payments-{lang}-phone")
        page.locator("main table a").first.click()
        page.wait_for_url("**/care/payments/*")
        assert claim in page.inner_text("main")  # the remittance advice names the sheet
        checked(page, f"pharmacy-remittance-{lang}-phone")
