"""The insured person's portal in process: the family's rights and certificates, the public
check of a certificate, sending a care sheet with photos (checklist, dry run, send), a
claim's page (timeline, decisions in words, documents, the read recorded), payments with
their statements, and messages answered by an agent. Errors are named per field in the
reader's language; nothing is half-saved; nobody reaches another family."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE
from daman.auth.models import Role, TokenKind
from daman.claims import service as claims
from daman.claims.models import Claim, ClaimDocument
from daman.core.dates import today
from daman.documents import images, store
from daman.notifications.models import SmsMessage
from daman.payments import service as payments
from daman.portal.models import DecisionRead, Message
from daman.registry import builders as rb
from daman.registry import certificate
from tests.claims.support import BRAND, cnss_insured, keep_documents_in, provider
from tests.payments.support import rib


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


@pytest.fixture
def family(session: Session) -> dict:
    principal = cnss_insured(session, rib=rib())
    principal.phone = "0661234567"
    child = rb.dependent(session, principal, first_name="Adam")
    session.flush()
    user = builders.user(session, Role.INSURED, person=principal.immatriculation)
    return {"principal": principal, "child": child, "user": user}


def sign_in(client: TestClient, session: Session, user) -> str:
    token = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
    client.cookies.set(SESSION_COOKIE, token)
    return tokens.csrf_for(token)


def jpeg(width: int = 2400, height: int = 1800) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((width, height), 50).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


def tokens_of(page: str) -> list[str]:
    return re.findall(r'name="kept" value="([^"]+)"', page)


def consultation(member: str, doctor: str, **extra: str) -> dict:
    return {
        "member": member,
        "kind": "consultation",
        "care_date": (today() - timedelta(days=2)).isoformat(),
        "provider": doctor,
        "doctor": "C",
        "charged": "150",
        **extra,
    }


def test_the_family_page_shows_each_member_s_rights_and_certificates(
    anonymous, session, family
) -> None:
    sign_in(anonymous, session, family["user"])
    page = anonymous.get("/me/family?lang=ar")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert family["child"].immatriculation in page.text and "مشمول" in page.text
    pdf = anonymous.get(f"/me/family/{family['child'].immatriculation}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    stranger = cnss_insured(session)
    refused = anonymous.get(f"/me/family/{stranger.immatriculation}/certificate.pdf")
    assert refused.status_code == 404


def test_anyone_checks_a_certificate_and_a_changed_one_is_not_valid(
    anonymous, session, family
) -> None:
    issued = certificate.issue(session, family["principal"].immatriculation, None, "fr")
    good = anonymous.get(f"/verify/{issued.reference}")
    assert good.status_code == 200 and "Attestation valide" in good.text
    assert family["principal"].last_name in good.text
    shown = good.text
    assert family["principal"].birth_date.isoformat() not in shown  # only name and dates
    assert (family["principal"].cnie or "?") not in shown and "Adam" not in shown
    tampered = issued.reference[:-1] + ("A" if issued.reference[-1] != "A" else "B")
    bad = anonymous.get(f"/verify?reference={tampered}")
    assert bad.status_code == 404 and "Attestation non valide" in bad.text
    assert family["principal"].last_name not in bad.text


def test_a_care_sheet_with_two_photos_is_checked_valued_then_sent(
    anonymous, session, family
) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    doctor = provider(session)
    form = consultation(family["child"].immatriculation, doctor.inpe, csrf_token=csrf)
    photos = [
        ("care_sheet", ("sheet.jpg", jpeg(), "image/jpeg")),
        ("care_sheet", ("back.jpg", jpeg(1200, 1600), "image/jpeg")),
    ]
    checked = anonymous.post("/me/send-claim", data={**form, "action": "check"}, files=photos)
    assert checked.status_code == 200, checked.text[:3000]
    assert "Remboursement prévu" in checked.text
    kept = tokens_of(checked.text)
    assert len(kept) == 2
    before = session.scalar(select(func.count()).select_from(Claim))
    sent = anonymous.post(
        "/me/send-claim",
        data={**form, "action": "send", "kept": kept},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:3000]
    number = sent.headers["location"].split("/")[3].split("?")[0]
    assert session.scalar(select(func.count()).select_from(Claim)) == before + 1
    claim = claims.get(session, number)
    assert claim.channel == "electronic" and claim.patient_id == family["child"].id
    assert len(claim.documents) == 2
    for d in claim.documents:  # reduced on the server
        assert d.content_type == "image/jpeg"
        with Image.open(store.path_for(d.sha256)) as kept_photo:
            assert max(kept_photo.size) <= images.LONGEST
    listed = anonymous.get("/me/claims")
    assert listed.status_code == 200 and number in listed.text and "Adam" in listed.text
    page = anonymous.get(sent.headers["location"])
    assert page.status_code == 200 and "Où en est le dossier" in page.text
    assert "Que faire" in page.text
    read = session.scalars(select(DecisionRead).where(DecisionRead.claim_id == claim.id)).all()
    assert len(read) == 1


def test_a_missing_photo_is_flagged_and_nothing_is_sent(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    doctor = provider(session)
    form = consultation(family["principal"].immatriculation, doctor.inpe, csrf_token=csrf)
    before = session.scalar(select(func.count()).select_from(Claim))
    r = anonymous.post("/me/send-claim", data={**form, "action": "send"})
    assert r.status_code == 400 and 'href="#checklist"' in r.text
    assert "Manquant" in r.text and "Remboursement prévu" in r.text  # valued all the same
    assert session.scalar(select(func.count()).select_from(Claim)) == before


def test_each_refused_field_is_named_in_the_reader_s_language(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    r = anonymous.post(
        "/me/send-claim?lang=ar",
        data={
            "csrf_token": csrf,
            "action": "check",
            "member": "DM9999999999",
            "kind": "medicine",
            "care_date": "demain",
            "ean": ["6118990000018", ""],
            "quantity": ["1", "1"],
            "price": ["32", ""],
        },
    )
    assert r.status_code == 400
    for anchor in ("member", "care_date", "provider", "prescriber", "prescribed_on", "box-0-ean"):
        assert f'href="#{anchor}"' in r.text, anchor
    assert "الرمز الشريطي" in r.text


def test_medicines_are_valued_box_by_box(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    pharmacy, doctor = provider(session, kind="pharmacy"), provider(session)
    day = (today() - timedelta(days=1)).isoformat()
    r = anonymous.post(
        "/me/send-claim",
        data={
            "csrf_token": csrf,
            "action": "check",
            "member": family["principal"].immatriculation,
            "kind": "medicine",
            "care_date": day,
            "provider": pharmacy.inpe,
            "prescriber": doctor.inpe,
            "prescribed_on": day,
            "ean": [BRAND, ""],
            "quantity": ["2", "1"],
            "price": ["64", ""],
        },
    )
    assert r.status_code == 200, r.text[:2000]
    assert BRAND in r.text and "Remboursement prévu" in r.text
    added = anonymous.post(
        "/me/send-claim",
        data={"csrf_token": csrf, "action": "add_box", "kind": "medicine", "ean": ["", ""]},
    )
    assert added.text.count('name="ean"') == 3


def test_a_forged_photo_token_is_refused(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    doctor = provider(session)
    form = consultation(family["principal"].immatriculation, doctor.inpe, csrf_token=csrf)
    forged = "care_sheet:" + "a" * 64 + ":.jpg:" + "0" * 32
    r = anonymous.post("/me/send-claim", data={**form, "action": "send", "kept": [forged]})
    assert r.status_code == 400 and 'href="#kept"' in r.text


def test_documents_can_be_added_while_the_claim_is_settled(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    doctor = provider(session)
    form = consultation(family["principal"].immatriculation, doctor.inpe, csrf_token=csrf)
    photo = [("care_sheet", ("sheet.jpg", jpeg(300, 200), "image/jpeg"))]
    checked = anonymous.post("/me/send-claim", data={**form, "action": "check"}, files=photo)
    sent = anonymous.post(
        "/me/send-claim",
        data={**form, "action": "send", "kept": tokens_of(checked.text)},
        follow_redirects=False,
    )
    url = sent.headers["location"].split("?")[0]
    bad = anonymous.post(
        f"{url}/documents",
        data={"csrf_token": csrf},
        files=[("documents", ("x.txt", b"hello", "text/plain"))],
    )
    assert bad.status_code == 400 and 'href="#documents"' in bad.text
    added = anonymous.post(
        f"{url}/documents",
        data={"csrf_token": csrf},
        files=[("documents", ("invoice.png", jpeg(500, 400), "image/jpeg"))],
        follow_redirects=False,
    )
    assert added.status_code == 303
    count = session.scalar(select(func.count()).select_from(ClaimDocument))
    assert count == 2


def test_another_family_s_claim_is_not_found(anonymous, session, family) -> None:
    stranger = cnss_insured(session)
    other = builders.user(session, Role.INSURED, person=stranger.immatriculation)
    csrf = sign_in(anonymous, session, other)
    doctor = provider(session)
    form = consultation(stranger.immatriculation, doctor.inpe, csrf_token=csrf)
    photo = [("care_sheet", ("s.jpg", jpeg(300, 200), "image/jpeg"))]
    checked = anonymous.post("/me/send-claim", data={**form, "action": "check"}, files=photo)
    sent = anonymous.post(
        "/me/send-claim",
        data={**form, "action": "send", "kept": tokens_of(checked.text)},
        follow_redirects=False,
    )
    url = sent.headers["location"].split("?")[0]
    sign_in(anonymous, session, family["user"])
    assert anonymous.get(url).status_code == 404
    # and a stranger's photo token does not carry over to another account
    csrf = sign_in(anonymous, session, family["user"])
    form = consultation(family["principal"].immatriculation, doctor.inpe, csrf_token=csrf)
    r = anonymous.post(
        "/me/send-claim", data={**form, "action": "send", "kept": tokens_of(checked.text)}
    )
    assert r.status_code == 400 and 'href="#kept"' in r.text


def test_payments_with_their_statements(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    doctor = provider(session)
    form = consultation(family["principal"].immatriculation, doctor.inpe, csrf_token=csrf)
    photo = [("care_sheet", ("s.jpg", jpeg(300, 200), "image/jpeg"))]
    checked = anonymous.post("/me/send-claim", data={**form, "action": "check"}, files=photo)
    sent = anonymous.post(
        "/me/send-claim",
        data={**form, "action": "send", "kept": tokens_of(checked.text)},
        follow_redirects=False,
    )
    number = sent.headers["location"].split("/")[3].split("?")[0]
    claims.approve(session, number, "agent:amina")
    report = payments.run(session, "test", execution_date=today() + timedelta(days=1))
    assert report.batch is not None
    page = anonymous.get("/me/payments")
    assert page.status_code == 200
    reference = re.search(r"/me/payments/([^/]+)/statement.pdf", page.text)
    assert reference is not None
    pdf = anonymous.get(f"/me/payments/{reference.group(1)}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    claim_page = anonymous.get(f"/me/claims/{number}")
    assert reference.group(1) in claim_page.text
    assert anonymous.get("/me/payments/NOPE/statement.pdf").status_code == 404


def test_a_message_is_answered_by_an_agent_and_told_by_sms(anonymous, session, family) -> None:
    csrf = sign_in(anonymous, session, family["user"])
    empty = anonymous.post("/me/messages", data={"csrf_token": csrf, "body": " "})
    assert empty.status_code == 400 and 'href="#body"' in empty.text
    sent = anonymous.post(
        "/me/messages",
        data={"csrf_token": csrf, "body": "Où en est mon dossier ?"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    agent = builders.user(session, Role.AGENT)
    csrf = sign_in(anonymous, session, agent)
    number = family["principal"].immatriculation
    thread = anonymous.get(f"/office/persons/{number}/messages")
    assert thread.status_code == 200 and "Où en est mon dossier" in thread.text
    answered = anonymous.post(
        f"/office/persons/{number}/messages",
        data={"csrf_token": csrf, "body": "Il est en contrôle médical."},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    assert session.scalar(select(func.count()).select_from(Message)) == 2
    told = session.scalars(select(SmsMessage).where(SmsMessage.topic == "message_answered"))
    assert len(told.all()) == 1
    sign_in(anonymous, session, family["user"])
    assert "Il est en contrôle médical." in anonymous.get("/me/messages").text


def test_staff_and_providers_cannot_open_the_portal(anonymous, session, family) -> None:
    for role in (Role.AGENT, Role.PROVIDER, Role.CONTROLLER):
        sign_in(anonymous, session, builders.user(session, role))
        assert anonymous.get("/me/family").status_code == 403
        assert anonymous.get("/me/send-claim").status_code == 403
    sign_in(anonymous, session, family["user"])
    number = family["principal"].immatriculation
    assert anonymous.get(f"/office/persons/{number}/messages").status_code == 403
