"""The insured's statement (PDF, French and Arabic) and the provider's remittance advice."""

from __future__ import annotations

import io
import sys
import unicodedata
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from daman.core.money import format_mad
from daman.payments import documents, service
from daman.payments.models import PaymentTransfer
from daman.providers import builders as pb
from daman.registry import builders as rb
from daman.registry.models import Person
from tests.claims.support import BRAND, act, medicine, paper
from tests.payments.support import CARE, approve, facility_payee, insured


def pdf_text(content: bytes) -> str:
    """The text of every page, Arabic presentation forms folded back to letters."""
    reader = PdfReader(io.BytesIO(content))
    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))


def embedded_fonts(content: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(content))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/FontFile2" in descriptor:
                names.add(str(font["/BaseFont"]).split("+")[-1])
    return names


@pytest.fixture
def karim_paid(session):
    """Karim (CNOPS, mutual MGPAP) and his daughter's claims, paid in one transfer."""
    karim = insured(
        session,
        regime="CNOPS",
        first_name="Karim",
        last_name="Bennani",
        first_name_ar="كريم",
        last_name_ar="بناني",
    )
    daughter = rb.dependent(session, karim, first_name="Salma")
    doctor, pharmacy = pb.provider(session), pb.provider(session, kind="pharmacy", specialty=None)
    claims = approve(
        session,
        [
            paper(
                karim,
                [act(doctor, CARE, 15_000), medicine(pharmacy, doctor, CARE, BRAND, 3_200)],
            ),
            paper(daughter, [act(doctor, CARE + timedelta(days=4), 20_000)]),
        ],
    )
    batch = service.run(session, "test").batch
    transfer = session.scalars(
        select(PaymentTransfer).where(PaymentTransfer.batch_id == batch.id)
    ).one()
    return transfer, claims


def test_the_statement_pdf_shows_every_amount_in_french_and_arabic(client, session, karim_paid):
    transfer, claims = karim_paid
    r = client.get(f"/api/v1/payments/transfers/{transfer.reference}/statement.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)

    # both languages, shaped Arabic extracted back to its letters
    for phrase in (
        "Décompte de remboursement AMO",
        "كشف التعويض عن مصاريف العلاج",
        "المبلغ المحول",
        "بناني كريم",
        "تم قبول السطر",
        "يتحمل المريض الفرق",
        "Ligne acceptée : l'AMO rembourse",
    ):
        assert phrase in text, phrase
    # each line: charged, base, rate, AMO, mutual, what the patient kept
    lines = [ln for c in claims for ln in c.lines]
    assert len(lines) == 3
    for ln in lines:
        row = " ".join(
            [
                format_mad(ln.charged_centimes),
                format_mad(ln.base_centimes),
                f"{ln.rate_bp // 100} %",
                format_mad(ln.amo_centimes),
                format_mad(ln.complementary_centimes),
                format_mad(ln.patient_centimes),
            ]
        )
        assert row in text, row
    # the worked figures of the medicine line: 32.00 charged, 18.50 base at 70 %,
    # AMO 12.95, the mutual 16 % of the base (2.96), the patient keeps 16.09
    assert "32.00 18.50 70 % 12.95 2.96 16.09" in text
    total = format_mad(transfer.amount_centimes)
    assert f"Total viré : {total} MAD" in text
    # the extractor gives the Arabic words in reading order but puts the number, a
    # left-to-right run, where it stands on the page: "<total> :المجموع المحول"
    assert f"{total} :المجموع المحول" in text
    assert {c.number for c in claims} <= set(text.replace("·", " ").split())
    assert embedded_fonts(r.content) == {"IBMPlexSansArabic", "IBMPlexSansArabicBold"}


def test_statement_is_for_insured_payees_and_remittance_for_providers(client, karim_paid):
    transfer, _ = karim_paid
    r = client.get(f"/api/v1/payments/transfers/{transfer.reference}/remittance")
    assert r.status_code == 409 and r.json()["error"] == "not_a_provider_payee"
    missing = client.get("/api/v1/payments/transfers/PB00000000-0000001/statement.pdf")
    assert missing.status_code == 404 and missing.json()["error"] == "transfer_not_found"


def test_a_missing_font_is_a_clear_error(client, karim_paid, monkeypatch):
    transfer, _ = karim_paid
    monkeypatch.setitem(sys.modules, "fontpkg_ibm_plex_sans_arabic", None)
    r = client.get(f"/api/v1/payments/transfers/{transfer.reference}/statement.pdf")
    assert r.status_code == 503
    assert r.json()["error"] == "pdf_font_missing"  # as for every PDF of the fund
    assert "fontpkg-ibm-plex-sans-arabic" in r.json()["detail"]


def test_remittance_advice_lists_the_claims_a_provider_payment_pays(client, session):
    clinic = pb.provider(session, kind="clinic", name="Clinique Atlas", specialty=None)
    lab = pb.provider(session, kind="lab", name="Laboratoire Anfa", specialty=None)
    no_rib = pb.provider(session, kind="clinic", name="Clinique Sans RIB", rib=None)
    people = [insured(session) for _ in range(3)]
    claims = approve(
        session,
        [
            paper(people[0], [act(clinic, CARE, 15_000)]),
            paper(people[1], [act(clinic, CARE, 18_000), act(lab, CARE, 15_000, key="Cs")]),
            paper(people[2], [act(no_rib, CARE, 15_000)]),
        ],
    )
    report = service.run(session, "test", payee_rule=facility_payee)
    assert (report.claims_paid, len(report.held)) == (2, 1)
    held, _ = service.held(session, "fr", limit=10, offset=0)
    assert [(h.payee_kind, h.payee, h.reason_code) for h in held] == [
        ("provider", no_rib.inpe, "rib_missing")
    ]
    by_payee = {
        t.provider_id: t
        for t in session.scalars(
            select(PaymentTransfer).where(PaymentTransfer.batch_id == report.batch.id)
        )
    }
    assert set(by_payee) == {clinic.id, lab.id}
    to_clinic = by_payee[clinic.id]
    assert (to_clinic.payee_kind, to_clinic.rib, to_clinic.claims_count) == (
        "provider",
        clinic.rib,
        2,
    )

    r = client.get(f"/api/v1/payments/transfers/{to_clinic.reference}/remittance")
    assert r.status_code == 200, r.text
    advice = r.json()
    assert (advice["payee"], advice["name"], advice["status"]) == (
        clinic.inpe,
        "Clinique Atlas",
        "in_payment",  # the file is written, not sent
    )
    assert [c["number"] for c in advice["claims"]] == [claims[0].number, claims[1].number]
    # the clinic's remittance lists only its own line of the second claim
    assert [len(c["lines"]) for c in advice["claims"]] == [1, 1]
    assert sum(c["paid_centimes"] for c in advice["claims"]) == advice["amount_centimes"]
    assert sum(ln["paid_centimes"] for c in advice["claims"] for ln in c["lines"]) == (
        to_clinic.amount_centimes
    )
    line = advice["claims"][1]["lines"][0]
    assert (line["charged_centimes"], line["paid_centimes"]) == (
        18_000,
        line["amo_centimes"] + line["complementary_centimes"],
    )
    statement = client.get(f"/api/v1/payments/transfers/{to_clinic.reference}/statement.pdf")
    assert statement.status_code == 409 and statement.json()["error"] == "not_a_person_payee"


def test_statement_data_names_the_patient_of_each_claim(session, karim_paid):
    transfer, _ = karim_paid
    data = documents.statement(session, transfer.reference)
    assert [c.patient_name for c in data.claims] == ["Bennani Karim", "Bennani Salma"]
    assert data.payee_name_ar == "بناني كريم"
    assert (data.batch, data.amount_centimes) == (transfer.batch.number, transfer.amount_centimes)
    assert sum(c.paid_centimes for c in data.claims) == transfer.amount_centimes


def test_bidi_controls_stored_before_they_were_refused_do_not_reorder_the_statement(
    client, session, karim_paid
):
    """A name saved with U+202E (right-to-left override) before text was checked at the
    door is written without it: the PDF shows the letters in their own order."""
    transfer, _ = karim_paid
    karim = session.get(Person, transfer.person_id)
    karim.last_name = "\u202eInanneB"  # shown reversed ("Bennani") were the control kept
    session.flush()
    text = pdf_text(
        client.get(f"/api/v1/payments/transfers/{transfer.reference}/statement.pdf").content
    )
    assert "InanneB" in text and "\u202e" not in text
