"""The agent's pages, in process: finding a person (forgiving, as you type, without
JavaScript), a person's file, a claim's page with its actions, the role rules and errors."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from daman.accounts import builders
from daman.adjudication.service import adjudicate_claims
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE
from daman.auth.models import ReadLog, Role, TokenKind
from daman.claims.builders import received
from daman.claims.models import Claim, ClaimStatus, ClaimStatusEvent
from daman.notifications.models import Notification
from daman.reference.models import Agency
from daman.registry import builders as rb
from tests.claims.support import act, cnss_insured, paper, provider

CARE = date(2024, 6, 3)


def signed_in(anonymous, session, role=Role.AGENT, agency=None):
    """The client signed in as a new user of the role (with the agency given)."""
    user = builders.user(session, role)
    user.agency_code = agency
    session.flush()
    token = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
    anonymous.cookies.set(SESSION_COOKIE, token)
    anonymous.headers["Accept-Language"] = "fr"
    return anonymous, user


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def family(session):
    """Youssef Benaïssa (يوسف بنعيسى), his wife Fatima (فاطمة) and their son."""
    father = cnss_insured(
        session,
        last_name="Benaïssa",
        first_name="Youssef",
        last_name_ar="بنعيسى",
        first_name_ar="يوسف",
        cnie="QK12345",
        sex="M",
    )
    wife = rb.dependent(
        session,
        father,
        relationship="spouse",
        first_name="Fatima",
        sex="F",
        birth_date=date(1990, 5, 1),
    )
    son = rb.dependent(session, father, first_name="Adam")
    wife.first_name_ar, son.first_name_ar = "فاطمة", "آدم"  # a name change: the key follows
    session.flush()
    return father, wife, son


def test_a_person_is_found_by_part_of_a_name_in_either_script_forgiving_accents_and_hamza(
    anonymous, session, family
):
    father, wife, _ = family
    client, _ = signed_in(anonymous, session)
    for typed in ("benaiss", "BENAÏSSA youss", "بنعيس", "بنعيسي", "فاطمه", "ادم", "qk123"):
        page = client.get("/office/persons", params={"q": typed})
        assert page.status_code == 200
        assert "/office/persons/" in page.text, typed
    page = client.get("/office/persons", params={"q": "فاطمة"})  # ta marbuta as typed
    assert wife.immatriculation in page.text and father.immatriculation not in page.text
    # an immatriculation typed in full comes first, Eastern Arabic digits accepted
    typed = father.immatriculation[:2] + father.immatriculation[2:].translate(
        str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    )
    found = client.get("/office/persons", params={"q": typed}).text
    assert re.search(r'href="/office/persons/(\w+)"', found).group(1) == father.immatriculation


def test_results_as_you_type_come_alone_for_htmx_and_the_plain_form_needs_no_script(
    anonymous, session, family
):
    client, _ = signed_in(anonymous, session)
    page = client.get("/office/persons")
    assert 'hx-trigger="input changed delay:250ms' in page.text
    assert '<form method="get" action="/office/persons"' in page.text
    partial = client.get(
        "/office/persons",
        params={"q": "benaissa"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert partial.text.lstrip().startswith('<div id="results"') and "<html" not in partial.text
    assert "Benaïssa" in partial.text
    assert "deux lettres" in client.get("/office/persons", params={"q": "b"}).text
    assert "Aucune personne" in client.get("/office/persons", params={"q": "zzqx"}).text


def test_an_agent_sees_the_paper_claims_of_their_agency_first(anonymous, session, family):
    session.add(
        Agency(
            code="TST-01",
            name_fr="Agence Test",
            name_ar="وكالة الاختبار",
            city="Rabat",
            region="Rabat-Salé-Kénitra",
            valid_from=date(2020, 1, 1),
            created_by="test",
            updated_by="test",
        )
    )
    (claim,) = received(session, [paper(family[0], [act(provider(session), CARE, 15_000)])])
    claim.agency_code = "TST-01"
    session.flush()
    client, _ = signed_in(anonymous, session, agency="TST-01")
    page = client.get("/office/persons").text
    assert "Agence Test" in page and f"/office/claims/{claim.number}" in page
    other, _ = signed_in(anonymous, session, Role.CONTROLLER)
    assert f"/office/claims/{claim.number}" not in other.get("/office/persons").text


def test_the_file_shows_the_family_with_rights_contributions_and_claims_and_is_logged(
    anonymous, session, family
):
    father, wife, son = family
    (claim,) = received(session, [paper(father, [act(provider(session), CARE, 15_000)])])
    client, user = signed_in(anonymous, session)
    page = client.get(f"/office/persons/{wife.immatriculation}")
    assert page.status_code == 200
    text = page.text
    for member in (father, son):  # the family, each linked
        assert f'href="/office/persons/{member.immatriculation}"' in text
    assert "Assuré principal" in text and "Conjoint" in text and "Enfant" in text
    assert "Couvert comme ayant droit" in text and "Couvert comme assuré principal" in text
    assert "Cotisations par mois" in text
    father_page = client.get(f"/office/persons/{father.immatriculation}").text
    assert f'href="/office/claims/{claim.number}"' in father_page
    logged = session.scalars(
        select(ReadLog.what).where(ReadLog.actor == f"agent:{user.username}")
    ).all()
    assert "person" in logged and "eligibility" in logged
    arabic = client.get(f"/office/persons/{wife.immatriculation}?lang=ar").text
    assert 'dir="rtl"' in arabic and "الأسرة والحقوق اليوم" in arabic


def test_an_unknown_person_or_claim_is_a_page_not_found(anonymous, session):
    client, _ = signed_in(anonymous, session)
    missing = client.get("/office/persons/DM9999999999")
    assert missing.status_code == 404 and "Aucune personne" in missing.text
    assert client.get("/office/claims/F9999999999").status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST, Role.INSURED, Role.PROVIDER])
def test_only_agents_and_controllers_read_persons_and_claims_here(anonymous, session, role, family):
    client, _ = signed_in(anonymous, session, role)
    for path in ("/office/persons?q=benaissa", f"/office/persons/{family[0].immatriculation}"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 403, (role, path)
        assert "Benaïssa" not in r.text


@pytest.fixture
def adjudicated(session, family):
    (claim,) = received(session, [paper(family[0], [act(provider(session), CARE, 15_000)])])
    adjudicate_claims(session, [claim.id], "batch")
    session.refresh(claim)
    assert claim.status == ClaimStatus.ADJUDICATED and claim.payable_centimes > 0
    return claim


def test_the_claim_page_explains_each_decision_in_the_reader_s_language(
    anonymous, session, adjudicated
):
    client, user = signed_in(anonymous, session, Role.CONTROLLER)
    fr = client.get(f"/office/claims/{adjudicated.number}").text
    ar = client.get(f"/office/claims/{adjudicated.number}?lang=ar").text
    assert "Lignes et décisions" in fr and "الأسطر والقرارات" in ar
    reasons_fr = re.findall(r'<ul class="reasons"><li>([^<]+)', fr)
    reasons_ar = re.findall(r'<ul class="reasons"><li>([^<]+)', ar)
    assert reasons_fr and reasons_ar and reasons_fr != reasons_ar
    assert re.search(r"[\u0600-\u06FF]", reasons_ar[0])
    assert "Approuver pour paiement" in fr and "Demander un document" in fr
    assert session.scalars(
        select(ReadLog).where(
            ReadLog.actor == f"controller:{user.username}", ReadLog.what == "claim"
        )
    ).first()


def test_approving_a_claim_from_its_page(anonymous, session, adjudicated):
    client, _ = signed_in(anonymous, session)
    page = client.get(f"/office/claims/{adjudicated.number}")
    r = client.post(
        f"/office/claims/{adjudicated.number}/approve",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=approved")
    session.refresh(adjudicated)
    assert adjudicated.status == ClaimStatus.APPROVED
    again = client.post(
        f"/office/claims/{adjudicated.number}/approve", data={"csrf_token": csrf_of(page.text)}
    )
    assert again.status_code == 409 and "Seul un dossier liquidé" in again.text
    assert "Approuver pour paiement" not in client.get(f"/office/claims/{adjudicated.number}").text


def test_asking_for_a_document_is_recorded_and_told_in_the_patient_s_language(
    anonymous, session, adjudicated
):
    adjudicated.patient.preferred_language = "ar"
    client, user = signed_in(anonymous, session)
    token = csrf_of(client.get(f"/office/claims/{adjudicated.number}").text)
    r = client.post(
        f"/office/claims/{adjudicated.number}/ask-document",
        data={
            "csrf_token": token,
            "document": "L'ordonnance originale",
            "notify_email": "a@example.ma",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    event = session.scalars(
        select(ClaimStatusEvent)
        .where(ClaimStatusEvent.claim_id == adjudicated.id)
        .order_by(ClaimStatusEvent.id.desc())
    ).first()
    assert (event.from_status, event.to_status, event.by) == (
        "adjudicated",
        "adjudicated",
        f"agent:{user.username}",
    )
    message = session.scalars(
        select(Notification).where(Notification.reference == adjudicated.number)
    ).one()
    assert message.recipient == "a@example.ma" and "ورقة العلاج" in message.subject
    assert "L'ordonnance originale" in message.body
    page = client.get(r.headers["location"]).text
    assert "Document demandé" in page and "L&#39;ordonnance originale" in page
    # the claim waits for the document: it is not approved meanwhile
    assert "Approuver pour paiement" not in page
    refused = client.post(
        f"/office/claims/{adjudicated.number}/approve", data={"csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 409 and "pas encore arrivé" in refused.text
    session.refresh(adjudicated)
    assert adjudicated.status == ClaimStatus.ADJUDICATED


def test_a_refused_request_names_its_fields_and_saves_nothing(anonymous, session, adjudicated):
    client, _ = signed_in(anonymous, session)
    token = csrf_of(client.get(f"/office/claims/{adjudicated.number}").text)
    before = len(adjudicated.events)
    r = client.post(
        f"/office/claims/{adjudicated.number}/ask-document",
        data={"csrf_token": token, "document": "  ", "notify_email": "not an address"},
    )
    assert r.status_code == 400
    assert 'href="#document"' in r.text and 'href="#notify_email"' in r.text
    assert 'aria-invalid="true"' in r.text and "not an address" in r.text  # kept as typed
    session.expire_all()
    assert len(session.get(Claim, adjudicated.id).events) == before
    assert session.scalars(select(Notification)).all() == []
