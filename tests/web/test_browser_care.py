"""A doctor prescribes and a pharmacy dispenses from the prescription's QR code, in a real
browser on a phone (360 x 800), in French and in Arabic, each language on a demo database
of its own (the same consultation twice on a day would be a duplicate); then the fund's
day runs on the served database (`daman adjudicate`, `daman claims approve`, `daman
payments run`, `daman payments sent`). The pharmacy sees its care sheet paid, the transfer
and its remittance advice; the patient, signed in to her portal, sees the doctor's
consultation paid to her and opens the payment's statement, and sees the pharmacy's sheet
paid to the pharmacy. The patient has an ALD exemption: her medicines are billed to the
fund (tiers payant), so the fund pays the pharmacy. The QR code is read as a scanner would
(zxing-cpp on the picture the doctor's page shows and on the printed PDF's) and typed into
the counter's field as a keyboard-wedge scanner types it. axe-core on every page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tests.claims.support import PDF
from tests.served import Server, daman
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

ALD_PATIENT = "E100012"  # Latifa Cherkaoui's CNIE: CNOPS (MGEN), ALD09 diabetes exemption
PATIENT_ACCOUNT = "latifa"  # her portal account on the demo
MEDICINE = {"fr": ("glucadem", "6118990000017"), "ar": ("insudem", "6118990000055")}
PHONE_VIEW = {"width": 360, "height": 800}
PAID = {"fr": "Payé", "ar": "مؤدى"}
PAID_TO_HER = {"fr": "Payée sur le compte bancaire", "ar": "دُفعت إلى الحساب البنكي"}
PHARMACY = "Pharmacie Al Amal"
PENDING_REVIEW = {"fr": "En attente de contrôle", "ar": "في انتظار المراقبة"}
EMPLOYEE = "DM0000000194"  # Youssef Benali, covered (no ALD: his medicines reimbursed to him)


@pytest.fixture(scope="module", params=["fr", "ar"])
def journey(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Server]]:
    """A language and a demo site of its own."""
    lang: str = request.param
    with demo_site(Path(tmp_path_factory.mktemp(f"care-{lang}"))) as server:
        yield lang, server


def scanned(picture: bytes) -> str:
    """What a scanner reads in the picture of one QR code."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture)))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def checked(page: Any, name: str) -> None:
    """Every page of the journey: laid out for a phone, accessible, pictured."""
    no_sideways_scroll(page)
    accessible(page)
    screenshot(page, name)


def prescribe(browser: Any, site: Server, lang: str) -> tuple[str, str, str]:
    """The doctor finds the patient by CNIE, bills the consultation and prescribes two
    boxes for her ALD; the prescription's number, what its QR code holds and the number of
    the consultation's care sheet."""
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
        visit_claim = page.inner_text("#visit-claim").split()[-1]  # the consultation billed
        assert re.fullmatch(r"F[0-9]{10}", visit_claim)
        checked(page, f"doctor-prescription-{lang}-phone")
        # the QR code on the screen, as the patient's phone would show it to the pharmacy
        shown = page.request.get(page.get_attribute("img.qr", "src"))
        assert shown.ok and shown.headers["content-type"] == "image/png"
        held = scanned(shown.body())
        printed = page.request.get(page.get_attribute("#print", "href"))
        assert printed.ok and printed.headers["content-type"] == "application/pdf"
        pdf = PdfReader(io.BytesIO(printed.body()))
        text = "".join(p.extract_text() for p in pdf.pages)
        assert number in text
        assert scanned(pdf.pages[0].images[0].data) == held  # the printed one holds the same
        return number, held, visit_claim


def dispense(browser: Any, site: Server, lang: str, number: str, held: str) -> str:
    """The pharmacy scans the prescription's QR code (a wedge scanner types what it holds
    and presses Enter), scans two boxes the same way, sees who pays what and dispenses;
    the care sheet's number."""
    with visit(browser, site, lang=lang, phone=True) as page:
        page.set_viewport_size(PHONE_VIEW)
        sign_in(page, "pharmacie")
        page.goto(f"/care?lang={lang}")
        checked(page, f"pharmacy-desk-{lang}-phone")
        page.focus("#number")  # the desk's field has the focus, where the scanner types
        page.keyboard.type(held, delay=5)
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/care/dispense/{number}")
        accessible(page)
        for n in (1, 2):
            page.focus("#ean")
            page.keyboard.type(MEDICINE[lang][1], delay=5)
            page.keyboard.press("Enter")
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


def the_pharmacy_is_paid(browser: Any, site: Server, lang: str, claim: str) -> None:
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


def the_patient_sees_both_paid(
    browser: Any, site: Server, lang: str, consultation: str, medicines: str
) -> None:
    """The patient signs in to her portal: the consultation's care sheet paid to her, with
    the payment's statement naming it; the pharmacy's, paid to the pharmacy."""
    with visit(browser, site, lang=lang, phone=True) as page:
        page.set_viewport_size(PHONE_VIEW)
        sign_in(page, PATIENT_ACCOUNT)
        page.goto(f"/me/claims?lang={lang}")
        for claim in (consultation, medicines):
            card = page.locator(".card", has=page.locator(f"a[href='/me/claims/{claim}']"))
            assert card.locator(".badge.good").inner_text() == PAID[lang]
            assert card.locator(".paid-to").count() == (claim == medicines)
        checked(page, f"patient-claims-{lang}-phone")

        page.goto(f"/me/claims/{medicines}")
        assert page.locator("#paid-to-provider").count() == 1  # paid to the pharmacy
        assert PHARMACY in page.inner_text("#paid-to-provider")
        assert PHARMACY in page.inner_text("ol.timeline li.current")
        assert page.locator("a[href$='/statement.pdf']").count() == 0  # not her payment
        checked(page, f"patient-pharmacy-sheet-{lang}-phone")

        page.goto(f"/me/claims/{consultation}")
        assert page.inner_text("ol.timeline li.current").startswith(PAID_TO_HER[lang])
        statement = page.locator("a[href$='/statement.pdf']")
        assert statement.count() == 1
        checked(page, f"patient-consultation-paid-{lang}-phone")
        pdf = page.request.get(statement.get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
        assert consultation in text  # the statement names the care sheet it pays
        assert medicines not in text  # the pharmacy's is not paid to her

        page.goto("/me/payments")
        assert page.locator(f"a[href='{statement.get_attribute('href')}']").count() == 1
        checked(page, f"patient-payments-{lang}-phone")


def test_a_doctor_prescribes_the_pharmacy_dispenses_from_the_qr_code_and_both_are_paid(
    browser: Any, journey: tuple[str, Server]
) -> None:
    lang, site = journey
    number, held, consultation = prescribe(browser, site, lang)
    medicines = dispense(browser, site, lang, number, held)
    the_funds_day(site)
    the_pharmacy_is_paid(browser, site, lang, medicines)
    the_patient_sees_both_paid(browser, site, lang, consultation, medicines)


def dispensed_through_the_api(site: Server, ean: str) -> str:
    """A prescription of one box for Youssef Benali, dispensed through the API; the care
    sheet's number (valued at once: adjudicated)."""
    with site.client(site.token("docteur")) as doctor:
        line = {"drug_code": ean, "dosage": "1 par jour", "duration_days": 30, "boxes": 1}
        written = doctor.post("/prescriptions", json={"patient": EMPLOYEE, "lines": [line]})
        assert written.status_code == 201, written.text
    number = written.json()["number"]
    with site.client(site.token("pharmacie")) as pharmacy:
        done = pharmacy.post(
            f"/prescriptions/{number}/dispensings",
            json={"boxes": [ean]},
            headers={"Idempotency-Key": f"document-{number}"},
        )
        assert done.status_code == 201, done.text
    claim = done.json()["claim"]
    assert claim["status"] == "adjudicated", claim
    return str(claim["number"])


def test_the_fund_asks_the_pharmacy_for_a_document_and_it_answers_from_its_page(
    browser: Any, journey: tuple[str, Server]
) -> None:
    """A controller asks for a document on the pharmacy's care sheet; the pharmacy sends it
    from the care sheet's page (no agency); the request is answered, the care sheet goes
    back to review, and the controller finds its line in the queue and accepts it."""
    lang, site = journey
    claim = dispensed_through_the_api(site, MEDICINE[lang][1])
    asked = "Facture de la pharmacie" if lang == "fr" else "فاتورة الصيدلية"
    with visit(browser, site, lang=lang) as office:
        sign_in(office, "controller")
        office.goto(f"/office/claims/{claim}?lang={lang}")
        office.fill("#document", asked)
        office.click("form[action$='/ask-document'] button[type=submit]")
        office.wait_for_url(f"**/office/claims/{claim}?done=asked")

    with visit(browser, site, lang=lang, phone=True) as page:
        page.set_viewport_size(PHONE_VIEW)
        sign_in(page, "pharmacie")
        page.goto(f"/care/claims/{claim}?lang={lang}")
        assert asked in page.inner_text("#asked li.open")
        checked(page, f"pharmacy-document-asked-{lang}-phone")
        page.set_input_files(
            "#files", {"name": "facture.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.click(f"form[action='/care/claims/{claim}/documents'] button[type=submit]")
        page.wait_for_url(f"**/care/claims/{claim}?done=answered")
        assert page.locator("#asked li.open").count() == 0
        assert page.locator("#asked li.answered").count() == 1
        assert page.inner_text("#status") == PENDING_REVIEW[lang]  # back to review
        assert "facture.pdf" in page.inner_text("main")
        checked(page, f"pharmacy-document-sent-{lang}-phone")

    with visit(browser, site, lang=lang) as office:
        sign_in(office, "controller")
        office.goto("/office/review?reason=document_received")
        row = office.locator("table tbody tr", has_text=claim)
        assert row.count() == 1
        accessible(office)
        row.locator("a").first.click()
        office.wait_for_load_state("networkidle")
        assert "facture.pdf" in office.inner_text("main")  # the document beside the line
        office.check("input[name=action][value=accept]")
        office.select_option("#reason", "document_checked")
        office.fill("#note", "facture reçue")
        office.click("form[action^='/office/review/'] button[type=submit]")
        office.wait_for_load_state("networkidle")
        assert office.locator(".error-summary").count() == 0, office.content()[:3000]
        office.goto(f"/office/claims/{claim}")
        assert "facture.pdf" in office.inner_text("main")
    with site.client(site.token("pharmacie")) as pharmacy:
        settled = pharmacy.get(f"/claims/{claim}").json()
    assert settled["status"] == "adjudicated", settled  # decided again, with the document
