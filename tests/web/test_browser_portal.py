"""The insured person's portal in a real browser, on a phone (360 x 800) and a desktop, in
French and in Arabic: sign in with a code read from the SMS the server wrote (or with a
password), the family's rights, a care sheet sent with two photos after seeing the expected
reimbursement, its timeline, the certificate whose QR code is scanned and checked by
someone signed out, and a changed reference that does not verify; axe-core on every page."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from daman.core.dates import today
from tests.served import Server
from tests.web.browser import accessible, demo_site, screenshot, sign_in, visit

EMPLOYEE = "DM0000000194"  # Youssef Benali, the demo's insured account (youssef)
GP = "910000001"
PHONE_VIEW = {"width": 360, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_site(Path(tmp_path_factory.mktemp("portal"))) as server:
        yield server


def youssef_phone(site: Server) -> str:
    engine = create_engine(site.database_url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT phone FROM persons WHERE immatriculation = :n"), {"n": EMPLOYEE}
        ).scalar_one()
    engine.dispose()
    assert found, "the demo person has a mobile number"
    return str(found)


def last_sms(site: Server, count_before: int) -> str:
    outbox = site.workdir / "var" / "sms" / "outbox.jsonl"
    lines = outbox.read_text().splitlines() if outbox.exists() else []
    assert len(lines) > count_before, "no SMS written"
    return str(json.loads(lines[-1])["text"])


def sms_count(site: Server) -> int:
    outbox = site.workdir / "var" / "sms" / "outbox.jsonl"
    return len(outbox.read_text().splitlines()) if outbox.exists() else 0


def photo(seed: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((1600, 1200), 40 + seed).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def sign_in_by_code(page: Any, site: Server, lang: str) -> None:
    page.goto(f"/login?lang={lang}")
    page.click("a[href^='/login/code']")
    page.wait_for_load_state("networkidle")
    accessible(page)
    before = sms_count(site)
    page.fill("#phone", youssef_phone(site))
    page.click("form[action='/login/code'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    accessible(page)
    message = last_sms(site, before)
    code = next(word for word in message.replace(".", " ").split() if word.isdigit())
    assert len(code) == 6, message
    page.fill("#code", code)
    page.click("form[action='/login/code/verify'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()[:2000]


@pytest.mark.parametrize(
    ("lang", "phone", "by_code"),
    [("fr", True, True), ("ar", True, True), ("ar", False, False), ("fr", False, False)],
    ids=["fr-phone-code", "ar-phone-code", "ar-desktop-password", "fr-desktop-password"],
)
def test_an_insured_person_sends_a_claim_and_checks_a_certificate(
    browser: Any, site: Server, lang: str, phone: bool, by_code: bool
) -> None:
    device = "phone" if phone else "desktop"
    with visit(browser, site, lang=lang, phone=phone) as page:
        if phone:
            page.set_viewport_size(PHONE_VIEW)
        if by_code:
            sign_in_by_code(page, site, lang)
        else:
            sign_in(page, "youssef")
        page.goto(f"/me/family?lang={lang}")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator(".card .badge.good").count() >= 2  # Youssef and his family
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"portal-family-{lang}-{device}")

        # a GP consultation with two photos of the care sheet: checked, valued, then sent
        page.goto("/me/send-claim")
        accessible(page)
        page.check("#kind-consultation")
        care = (today() - timedelta(days=2 + (not phone) * 2 + (lang == "ar"))).isoformat()
        page.fill("#care_date", care)
        page.fill(
            "#provider",
            GP if lang == "fr" else GP.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        )
        page.fill("#charged", "150")
        assert page.locator("#boxes").is_hidden()  # the kind of care shows its own fields
        page.set_input_files(
            "#care_sheet",
            [
                {"name": "recto.jpg", "mimeType": "image/jpeg", "buffer": photo(1)},
                {"name": "verso.jpg", "mimeType": "image/jpeg", "buffer": photo(2)},
            ],
        )
        page.click(".actions button[value=check]")
        page.wait_for_load_state("networkidle")
        estimate = page.locator("#estimate")
        estimate.wait_for()
        assert "MAD" in estimate.inner_text()
        assert page.locator("input[name=kept]").count() == 2  # both photos kept
        assert page.locator("ul.checklist.for-consultation li.missing").count() == 0
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"portal-estimate-{lang}-{device}")
        page.click(".actions button[value=send]")
        page.wait_for_load_state("networkidle")
        assert "/me/claims/" in page.url, page.content()[:3000]
        assert page.locator("ol.timeline li").count() >= 2
        assert page.locator(".card.line").count() == 1
        accessible(page)
        no_sideways_scroll(page)
        screenshot(page, f"portal-claim-{lang}-{device}")

        for path in ("/me/claims", "/me/payments", "/me/messages"):
            page.goto(path)
            accessible(page)
            no_sideways_scroll(page)
        if not phone:  # a question to the fund, answered by an agent from the person's file
            page.fill("#body", f"Question ({lang}): quand serai-je payé ?")
            page.click("form[action='/me/messages'] button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert page.locator("ol.thread li.mine").count() >= 1
            accessible(page)
            with visit(browser, site, lang=lang, phone=False) as agent:
                sign_in(agent, "agent")
                agent.goto(f"/office/persons/{EMPLOYEE}/messages")
                assert f"Question ({lang})" in agent.inner_text("ol.thread")
                accessible(agent)
                agent.fill("#body", "Votre dossier est décidé ; le paiement suit.")
                agent.click("main form button[type=submit]")
                agent.wait_for_load_state("networkidle")
                assert agent.locator(".notice").count() == 1
            page.goto("/me/messages")
            assert page.locator("ol.thread li.fund").count() >= 1

        # the certificate: its QR code scanned, and checked by someone signed out
        page.goto("/me/family")
        link = page.locator(f"a[href='/me/family/{EMPLOYEE}/certificate.pdf']")
        pdf = page.request.get(link.get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        picture = PdfReader(io.BytesIO(pdf.body())).pages[0].images[0]
        scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture.data)))
        address = scanned[0].text
        assert address.startswith(site.url + "/verify/")
    with visit(browser, site, lang=lang, phone=phone) as anyone:
        if phone:
            anyone.set_viewport_size(PHONE_VIEW)
        anyone.goto(address + f"?lang={lang}")
        assert anyone.locator(".verdict.good").count() == 1
        assert "Benali" in anyone.inner_text(".verdict") or "بنعلي" in anyone.inner_text(".verdict")
        accessible(anyone)
        no_sideways_scroll(anyone)
        screenshot(anyone, f"portal-verify-{lang}-{device}")
        reference = address.rsplit("/", 1)[1]
        tampered = reference[:-1] + ("Q" if reference[-1] != "Q" else "R")
        anyone.goto(f"/verify?reference={tampered}")
        assert anyone.locator(".verdict.bad").count() == 1
        assert "Benali" not in anyone.inner_text("main")
        accessible(anyone)
