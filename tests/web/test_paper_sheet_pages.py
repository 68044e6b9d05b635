"""The agent keys in a paper care sheet, in process: the form (lines added without
JavaScript), look-ups as one types, the valuation without saving (the amounts saving gives,
nothing written), saving once per form whatever the clicks, the scans, the receipt PDF, the
errors named per field in the reader's language, the role rules."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from daman.accounts import builders
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE
from daman.auth.audit import append_pending
from daman.auth.models import ReadLog, Role, TokenKind
from daman.claims.models import Claim, ClaimDocument
from daman.core.dates import today
from daman.core.db import Base
from daman.reference.models import Agency
from tests.claims.support import (
    BRAND,
    GP_FEE,
    PDF,
    PNG,
    cnss_insured,
    keep_documents_in,
    provider,
    recent,
)

EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


@pytest.fixture
def agency(session):
    row = Agency(
        code="TST-RBT",
        name_fr="Agence d'essai Rabat",
        name_ar="وكالة تجريبية الرباط",
        city="Rabat",
        region="Rabat-Salé-Kénitra",
        valid_from=recent(800),
        created_by="test",
        updated_by="test",
    )
    session.add(row)
    session.flush()
    return row


def signed_in(anonymous, session, role=Role.AGENT, agency=None, lang="fr"):
    """The client signed in as a new user of the role (of the agency given); its CSRF."""
    user = builders.user(session, role)
    user.agency_code = agency.code if agency else None
    session.flush()
    token = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
    anonymous.cookies.set(SESSION_COOKIE, token)
    anonymous.headers["Accept-Language"] = lang
    return tokens.csrf_for(token), user


@pytest.fixture
def sheet(session):
    """A two-line paper sheet: a GP consultation and two boxes of a medicine."""
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    patient = cnss_insured(session, last_name="Alaoui", first_name="Salma")
    care = recent(4).isoformat()
    return {
        "patient": patient.immatriculation,
        "deposit_date": recent(1).isoformat(),
        "key": "sheet-1",
        "category": ["consultation", "medicine"],
        "care_date": [care, care],
        "provider": [doctor.inpe, pharmacy.inpe],
        "act_key": ["C", ""],
        "coefficient": ["", ""],
        "drug": ["", BRAND],
        "quantity": ["1", "2"],
        "charged": ["150", "64.00"],
        "prescriber": ["", doctor.inpe],
        "prescribed_on": ["", care],
    }


def post(client, csrf, form, action, files=None):
    data = {**form, "action": action, "csrf_token": csrf}
    return client.post("/office/claims/new", data=data, files=files, follow_redirects=False)


def claims_of(session, immatriculation):
    return list(
        session.scalars(select(Claim).where(Claim.patient.has(immatriculation=immatriculation)))
    )


def figures(html):
    """The amounts of the valuation table, row by row (MAD as shown)."""
    table = html.split('class="valuation"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("</tr>")[:-1]
    amounts = [row for row in rows if 'class="why"' not in row]  # the reasons' rows aside
    return [re.findall(r"<bdi>([0-9.]+ MAD|[0-9.]+ %)</bdi>", row) for row in amounts]


def test_the_form_opens_in_the_menu_with_today_as_deposit_date_and_a_key(
    anonymous, session, agency
):
    signed_in(anonymous, session, agency=agency)
    page = anonymous.get("/office/claims/new")
    assert page.status_code == 200
    assert "Feuille de soins papier" in page.text  # the menu, in French
    assert f'name="deposit_date" type="date" value="{today().isoformat()}"' in page.text
    assert re.search(r'name="key" value="[0-9a-f]{32}"', page.text)
    assert page.text.count('class="line"') == 2
    assert "Agence d&#39;essai Rabat" in page.text  # the agent's agency


def test_a_line_is_added_without_javascript_keeping_what_was_typed(
    anonymous, session, agency, sheet
):
    csrf, _ = signed_in(anonymous, session, agency=agency)
    page = post(anonymous, csrf, sheet, "add_line")
    assert page.status_code == 200
    assert page.text.count('class="line"') == 3
    assert f'value="{sheet["provider"][1]}"' in page.text and 'value="64.00"' in page.text
    assert 'id="line-2-category" name="category" autofocus' in page.text
    assert claims_of(session, sheet["patient"]) == []


def test_the_patient_s_name_and_rights_today_as_the_number_is_typed(
    anonymous, session, agency, sheet
):
    signed_in(anonymous, session, agency=agency)
    typed = sheet["patient"][:2] + sheet["patient"][2:].translate(EASTERN)
    panel = anonymous.get("/office/claims/new/patient", params={"patient": typed.lower()})
    assert panel.status_code == 200
    assert "Alaoui Salma" in panel.text and "Couvert" in panel.text
    logged = session.scalars(select(ReadLog).where(ReadLog.what == "eligibility")).all()
    assert any(sheet["patient"] in r.key for r in logged)  # a staff read, logged
    unknown = anonymous.get("/office/claims/new/patient", params={"patient": "DM9999999999"})
    assert "Aucun assuré" in unknown.text
    short = anonymous.get("/office/claims/new/patient", params={"patient": "DM00"})
    assert "12 caractères" in short.text


def test_look_ups_offer_act_keys_with_their_value_medicines_and_providers(
    anonymous, session, agency, sheet
):
    signed_in(anonymous, session, agency=agency)

    def options(**params):
        r = anonymous.get("/office/claims/new/lookup", params=params)
        assert r.status_code == 200
        return r.text

    on = recent(4).isoformat()
    general = options(field="act_key", act_key="c", care_date=on)
    assert '<option value="C">' in general and '<option value="Cs">' in general
    cnss = options(field="act_key", act_key="C", care_date=on, patient=sheet["patient"])
    assert "150.00 MAD" in cnss.split('value="Cs"')[0]  # C for CNSS_SAL: the 2020 convention
    assert "80.00 MAD" in options(field="act_key", act_key="C", care_date="2019-06-01")
    by_name = options(field="drug", drug="glucadem", care_date=on)
    assert f'<option value="{BRAND}">' in by_name and "18.50 MAD" in by_name
    assert f'value="{BRAND}"' in options(field="drug", drug=BRAND[:12].translate(EASTERN))
    inpe = sheet["provider"][1]
    assert f'value="{inpe}"' in options(field="provider", provider=inpe[:5], care_date=on)
    assert f'value="{inpe}"' in options(field="prescriber", prescriber="test pharmacy")
    assert "<option" not in options(field="provider", provider="zzzz nobody")


def table_rows(session):
    counts = {
        t.name: session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }
    counts["counters"] = sorted(session.execute(select(Base.metadata.tables["counters"])).all())
    return counts


def test_valuing_without_saving_shows_what_saving_gives_and_writes_nothing(
    anonymous, session, agency, sheet
):
    csrf, _ = signed_in(anonymous, session, agency=agency)
    anonymous.get("/office/claims/new")  # the session's first use is recorded on its token
    append_pending(session)
    before = table_rows(session)
    dry = post(anonymous, csrf, sheet, "value")
    assert dry.status_code == 200, dry.text[:3000]
    assert "Liquidée sans enregistrer" in dry.text  # said in French: nothing stored yet
    session.flush()
    assert append_pending(session) == 0 and table_rows(session) == before  # nothing written
    valued = figures(dry.text)
    assert len(valued) == 2 and valued[0][0] == "150.00 MAD"

    saved = post(anonymous, csrf, sheet, "save")
    assert saved.status_code == 303
    receipt = anonymous.get(saved.headers["location"])
    assert receipt.status_code == 200
    assert figures(receipt.text) == valued  # the same amounts, line by line


def test_saving_stores_one_paper_claim_of_the_agent_s_agency_whatever_the_clicks(
    anonymous, session, agency, sheet
):
    csrf, user = signed_in(anonymous, session, agency=agency)
    first = post(anonymous, csrf, sheet, "save")
    second = post(anonymous, csrf, sheet, "save")  # a double click: the same key
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    stored = claims_of(session, sheet["patient"])
    assert len(stored) == 1
    claim = stored[0]
    assert (claim.channel, claim.agency_code) == ("agency", agency.code)
    assert claim.created_by == f"agent:{user.username}"
    assert claim.deposit_date.isoformat() == sheet["deposit_date"]
    assert first.headers["location"] == f"/office/claims/{claim.number}/receipt"
    # the same form changed after saving: a conflict, said on the page, nothing stored
    changed = {**sheet, "charged": ["200", "64.00"]}
    conflict = post(anonymous, csrf, changed, "save")
    assert conflict.status_code == 409 and 'href="#key"' in conflict.text
    assert len(claims_of(session, sheet["patient"])) == 1
    again = re.search(r'name="key" value="([^"]+)"', conflict.text).group(1)
    assert again != sheet["key"]  # the form now stands for a new sheet


def test_every_refused_field_is_named_in_the_reader_s_language_and_nothing_is_saved(
    anonymous, session, agency, sheet
):
    csrf, _ = signed_in(anonymous, session, agency=agency)
    bad = {
        **sheet,
        "charged": ["abc", "64.00"],
        "quantity": ["1", "deux"],
        "prescribed_on": ["", "hier"],
    }
    page = post(anonymous, csrf, bad, "save")
    assert page.status_code == 400
    for anchor in ("line-0-charged", "line-1-quantity", "line-1-prescribed_on"):
        assert f'href="#{anchor}"' in page.text and f'id="{anchor}"' in page.text
    assert "Ligne 1 · Montant facturé (MAD)" in page.text  # the field named, in French
    # what the service refuses is named the same way: unknown patient, provider, future date
    later = (today() + timedelta(days=3)).isoformat()
    refused = {
        **sheet,
        "patient": "DM9999999999",
        "provider": ["123404", sheet["provider"][1]],
        "deposit_date": later,
    }
    page = post(anonymous, csrf, refused, "value")
    assert page.status_code == 400
    for anchor in ("patient", "deposit_date", "line-0-provider"):
        assert f'href="#{anchor}"' in page.text
    anonymous.headers["Accept-Language"] = "ar"
    page = post(anonymous, csrf, refused, "save")
    assert page.status_code == 400 and 'dir="rtl"' in page.text
    assert "رقم تسجيل المريض" in page.text  # the patient's field named in Arabic
    empty = post(anonymous, csrf, {"key": "k-empty"}, "save")
    assert empty.status_code == 400 and 'href="#lines"' in empty.text
    assert claims_of(session, sheet["patient"]) == []


def test_eastern_arabic_digits_are_read_in_every_number_field(anonymous, session, agency, sheet):
    csrf, _ = signed_in(anonymous, session, agency=agency)

    def eastern(value):
        return value.translate(EASTERN)

    typed = {
        **sheet,
        "patient": sheet["patient"][:2] + eastern(sheet["patient"][2:]),
        "deposit_date": eastern(sheet["deposit_date"]),
        "care_date": [eastern(d) for d in sheet["care_date"]],
        "provider": [eastern(p) for p in sheet["provider"]],
        "drug": ["", eastern(BRAND)],
        "quantity": ["١", "٢"],
        "charged": ["١٥٠", "٦٤٫٠٠"],
        "prescriber": ["", eastern(sheet["prescriber"][1])],
        "prescribed_on": ["", eastern(sheet["prescribed_on"][1])],
    }
    assert post(anonymous, csrf, typed, "save").status_code == 303
    (claim,) = claims_of(session, sheet["patient"])
    assert [ln.charged_centimes for ln in claim.lines] == [GP_FEE, 6_400]
    assert claim.lines[1].quantity == 2


def test_an_agent_without_an_agency_values_a_sheet_but_cannot_save_it(anonymous, session, sheet):
    csrf, _ = signed_in(anonymous, session, agency=None)
    assert post(anonymous, csrf, sheet, "value").status_code == 200
    page = post(anonymous, csrf, sheet, "save")
    assert page.status_code == 400 and 'href="#agency"' in page.text
    assert claims_of(session, sheet["patient"]) == []


def test_scans_go_with_the_sheet_or_after_it_and_a_bad_file_is_refused(
    anonymous, session, agency, sheet
):
    csrf, _ = signed_in(anonymous, session, agency=agency)
    text = [("scans", ("notes.txt", b"not a scan", "text/plain"))]
    refused = post(anonymous, csrf, sheet, "save", files=text)
    assert refused.status_code == 400 and 'href="#files"' in refused.text
    assert claims_of(session, sheet["patient"]) == []
    scan = [("scans", ("feuille.pdf", PDF, "application/pdf"))]
    saved = post(anonymous, csrf, sheet, "save", files=scan)
    assert saved.status_code == 303
    (claim,) = claims_of(session, sheet["patient"])
    number = claim.number
    more = anonymous.post(
        f"/office/claims/{number}/scans",
        data={"csrf_token": csrf},
        files=[("scans", ("ordonnance.png", PNG, "image/png"))],
        follow_redirects=False,
    )
    assert more.status_code == 303
    page = anonymous.get(more.headers["location"])
    assert "feuille.pdf" in page.text and "ordonnance.png" in page.text
    names = session.scalars(
        select(ClaimDocument.filename).where(ClaimDocument.claim_id == claim.id)
    )
    assert sorted(names) == ["feuille.pdf", "ordonnance.png"]
    bad = anonymous.post(f"/office/claims/{number}/scans", data={"csrf_token": csrf}, files=text)
    assert bad.status_code == 400 and 'href="#files"' in bad.text


def read_qr(pdf: bytes) -> list[str]:
    import zxingcpp

    images = [img.image for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]
    return [code.text for image in images for code in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_receipt_pdf_carries_the_number_written_and_as_a_qr_code(
    anonymous, session, agency, sheet, lang
):
    csrf, _ = signed_in(anonymous, session, agency=agency, lang=lang)
    assert post(anonymous, csrf, sheet, "save").status_code == 303
    (claim,) = claims_of(session, sheet["patient"])
    r = anonymous.get(f"/office/claims/{claim.number}/receipt.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert claim.number in text and sheet["deposit_date"] in text
    assert read_qr(r.content) == [claim.number]
    if lang == "fr":
        assert "Récépissé de dépôt" in text and agency.name_fr in text
    assert anonymous.get("/office/claims/F0000000000/receipt.pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.CONTROLLER, Role.ANALYST, Role.INSURED, Role.PROVIDER])
def test_only_an_agent_keys_in_a_paper_sheet(anonymous, session, role):
    signed_in(anonymous, session, role=role)
    assert anonymous.get("/office/claims/new").status_code == 403
    assert "/office/claims/new" not in anonymous.get("/").text
