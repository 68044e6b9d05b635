"""The care provider's pages, in process: a doctor finds a patient (by immatriculation or
CNIE), records a visit and writes a prescription (printed, sent by SMS); a pharmacy reads
it, scans boxes, sees who pays what and dispenses; their care sheets, a document the fund
asked for, payments; errors named per field in the reader's language; each kind of
provider kept to its own pages."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from daman.accounts import builders as accounts
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE, Principal
from daman.auth.models import Role, TokenKind
from daman.claims.models import Claim, ClaimDocument
from daman.claims.requests import ask_for_document
from daman.notifications.models import SmsMessage
from daman.prescriptions import builders
from daman.prescriptions.models import DispensedBox, Prescription
from daman.providers import builders as providers
from tests.claims.support import PDF, PNG, keep_documents_in
from tests.prescriptions.support import AMLODEM, BRAND, desk

__all__ = ["desk"]


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


def as_user(anonymous, session, provider, lang="fr") -> str:
    """The client signed in as a new user of the provider; its CSRF token."""
    user = accounts.user(session, Role.PROVIDER, provider=provider.inpe)
    token = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
    anonymous.cookies.set(SESSION_COOKIE, token)
    anonymous.headers["Accept-Language"] = lang
    return tokens.csrf_for(token)


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def visit_form(desk, csrf, **extra):
    form = {
        "csrf_token": csrf,
        "patient": desk.patient.immatriculation,
        "key": "form-1",
        "bill": "1",
        "act_key": "C",
        "charged": "150",
        "drug": [BRAND, ""],
        "dosage": ["1 comprimé matin et soir", ""],
        "days": ["30", ""],
        "boxes": ["2", ""],
    }
    return form | extra


def test_a_doctor_finds_the_patient_records_the_visit_and_prescribes(anonymous, session, desk):
    desk.patient.cnie = "ZZ998877"
    desk.patient.phone = "0661000042"
    session.flush()
    csrf = as_user(anonymous, session, desk.doctor)
    r = anonymous.get("/care?q=zz998877", follow_redirects=False)
    assert r.status_code == 303 and desk.patient.immatriculation in r.headers["location"]
    page = anonymous.get(r.headers["location"])
    assert page.status_code == 200 and "Couvert" in page.text  # rights shown, in French
    r = anonymous.post("/care/visit", data=visit_form(desk, csrf), follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    number = r.headers["location"].rsplit("/", 1)[-1]
    rx = session.scalars(select(Prescription).where(Prescription.number == number)).one()
    assert rx.visit_claim_id is not None and rx.lines[0].boxes == 2
    # the same form again (a double click): nothing more
    again = anonymous.post("/care/visit", data=visit_form(desk, csrf), follow_redirects=False)
    assert again.headers["location"] == r.headers["location"]
    assert count(session, Prescription) == 1
    page = anonymous.get(f"/care/prescriptions/{number}")
    assert "GLUCADEM" in page.text and "/qr.png" in page.text
    assert anonymous.get(f"/care/prescriptions/{number}/qr.png").content.startswith(b"\x89PNG")
    pdf = anonymous.get(f"/care/prescriptions/{number}/print.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert number in text and "GLUCADEM" in text
    sent = anonymous.post(
        f"/care/prescriptions/{number}/sms", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?sent=42")
    sms = session.scalars(select(SmsMessage).where(SmsMessage.reference == number)).one()
    assert sms.phone == "+212661000042" and number in sms.body


def test_the_visit_form_names_each_refused_field_and_saves_nothing(anonymous, session, desk):
    csrf = as_user(anonymous, session, desk.doctor, lang="ar")
    before = count(session, Claim), count(session, Prescription)
    form = visit_form(
        desk,
        csrf,
        charged="abc",
        drug=["6118990000000", AMLODEM],
        dosage=["x", ""],
        days=["30", "0"],
        boxes=["1", "1"],
    )
    r = anonymous.post("/care/visit", data=form)
    assert r.status_code == 400
    assert 'href="#charged"' in r.text and 'href="#line-1-days"' in r.text
    assert "There is a problem" not in r.text  # said in Arabic
    r = anonymous.post("/care/visit", data=visit_form(desk, csrf, drug=["6118990000000", ""]))
    assert r.status_code == 400 and 'href="#line-0-drug"' in r.text
    assert (count(session, Claim), count(session, Prescription)) == before
    # no phone recorded: printing is the way
    rx = builders.prescription(session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)])
    desk.patient.phone = None
    session.flush()
    r = anonymous.post(f"/care/prescriptions/{rx.number}/sms", data={"csrf_token": csrf})
    assert r.status_code == 400 and 'href="#phone"' in r.text


def test_a_pharmacy_reads_the_prescription_scans_values_and_dispenses(anonymous, session, desk):
    rx = builders.prescription(
        session, desk.doctor, desk.patient.immatriculation, [(BRAND, 2), (AMLODEM, 1)]
    )
    csrf = as_user(anonymous, session, desk.pharmacy)
    assert "RX" in anonymous.get("/care").text  # the pharmacy's desk
    spaced = f"{rx.number[:6]} {rx.number[6:]}"
    r = anonymous.get("/care/dispense", params={"number": spaced}, follow_redirects=False)
    assert r.headers["location"] == f"/care/dispense/{rx.number}"
    assert anonymous.get("/care/dispense", params={"number": "RX1"}).status_code == 400
    wrong = rx.number[:-2] + ("00" if rx.number[-2:] != "00" else "01")
    assert anonymous.get(f"/care/dispense/{'RX' + '0' * 14}").status_code == 404
    assert anonymous.get(f"/care/dispense/{wrong}").status_code == 404
    page = anonymous.get(f"/care/dispense/{rx.number}")
    assert page.status_code == 200 and "GLUCADEM" in page.text
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
    form = {"csrf_token": csrf, "key": key, "action": "scan", "ean": BRAND, "box": [BRAND]}
    valued = anonymous.post(f"/care/dispense/{rx.number}", data=form)
    assert valued.status_code == 200
    assert "64.00 MAD" in valued.text  # two boxes at 32.00: the patient pays all now
    assert count(session, Claim) == 0  # valued, nothing stored
    bad = anonymous.post(f"/care/dispense/{rx.number}", data=form | {"ean": "6118990000147"})
    assert bad.status_code == 400 and 'href="#box-1"' in bad.text
    done = anonymous.post(
        f"/care/dispense/{rx.number}",
        data=form | {"action": "dispense", "ean": "", "box": [BRAND, BRAND]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    claim_page = anonymous.get(done.headers["location"])
    assert 'id="paid-now"' in claim_page.text and "64.00 MAD" in claim_page.text
    assert count(session, DispensedBox) == 2
    # the same boxes again: refused by name, nothing saved
    again = anonymous.post(
        f"/care/dispense/{rx.number}",
        data=form | {"action": "dispense", "key": "other", "ean": "", "box": [BRAND]},
    )
    assert again.status_code == 400 and 'href="#box-0"' in again.text
    assert count(session, DispensedBox) == 2
    # with HTMX the answer sends the whole page to the care sheet
    htmx = anonymous.post(
        f"/care/dispense/{rx.number}",
        data=form | {"action": "dispense", "key": "k3", "ean": "", "box": [AMLODEM]},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"].startswith("/care/claims/")


def test_each_kind_of_provider_keeps_to_its_own_pages(anonymous, session, desk):
    rx = builders.prescription(session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)])
    as_user(anonymous, session, desk.doctor)
    for path in (f"/care/dispense/{rx.number}", "/care/dispense?number=" + rx.number):
        r = anonymous.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/care")
    as_user(anonymous, session, desk.pharmacy)
    r = anonymous.get(f"/care/visit?patient={desk.patient.immatriculation}", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/care")
    # a pharmacy does not print or send a doctor's prescription; another doctor neither
    assert anonymous.get(f"/care/prescriptions/{rx.number}").status_code == 404
    as_user(anonymous, session, providers.provider(session))
    assert anonymous.get(f"/care/prescriptions/{rx.number}/print.pdf").status_code == 404
    # staff and insured persons have none of these pages
    for role in (Role.AGENT, Role.INSURED):
        user = accounts.user(session, role)
        token = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
        anonymous.cookies.set(SESSION_COOKIE, token)
        assert anonymous.get("/care").status_code == 403


def test_a_provider_follows_its_care_sheets_and_sends_the_document_asked_for(
    anonymous, session, desk
):
    rx = builders.prescription(session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)])
    csrf = as_user(anonymous, session, desk.pharmacy, lang="ar")
    from daman.counter import pharmacy

    done, _ = pharmacy.dispense(session, rx.number, [BRAND], "k", desk.as_pharmacy)
    number = done.claim.number
    listed = anonymous.get("/care/claims")
    assert number in listed.text
    agent = Principal(actor="agent:amina", role=Role.AGENT, user_id=1)
    ask_for_document(session, number, "La facture de la pharmacie", None, agent)
    page = anonymous.get(f"/care/claims/{number}")
    assert "La facture de la pharmacie" in page.text
    empty = anonymous.post(f"/care/claims/{number}/documents", data={"csrf_token": csrf})
    assert empty.status_code == 400 and 'href="#files"' in empty.text
    sent = anonymous.post(
        f"/care/claims/{number}/documents",
        data={"csrf_token": csrf},
        files={"files": ("facture.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    # the request is answered and the care sheet goes back to review
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=answered")
    doc = session.scalars(select(ClaimDocument)).one()
    assert doc.provider_id == desk.pharmacy.id
    answered = anonymous.get(f"/care/claims/{number}").text
    assert "facture.pdf" in answered and 'class="answered"' in answered
    claim = session.scalars(select(Claim).where(Claim.number == number)).one()
    session.refresh(claim)
    assert claim.status == "pending_review"
    assert [e.reason for e in claim.events][-1] == "document received: facture.pdf"
    # another file, no request open: added, nothing answered
    more = anonymous.post(
        f"/care/claims/{number}/documents",
        data={"csrf_token": csrf},
        files={"files": ("ordonnance.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert more.headers["location"].endswith("?done=document")
    # another provider sees nothing of it
    as_user(anonymous, session, providers.provider(session, kind="pharmacy", specialty=None))
    assert anonymous.get(f"/care/claims/{number}").status_code == 404
    assert number not in anonymous.get("/care/claims").text
    assert anonymous.get("/care/payments").status_code == 200
    assert anonymous.get("/care/payments/NOPE").status_code == 404
