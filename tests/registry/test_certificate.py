"""The rights certificate: issued for a member covered today, as a PDF in the reader's
language with its reference and a QR code of the verification address; the reference
verifies while in force, is "genuine but past" after, and is invalid once changed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.auth import tokens
from daman.auth.access import principal_of
from daman.auth.models import Role, TokenKind
from daman.core.dates import today
from daman.core.errors import NotFound
from daman.registry import builders as rb
from daman.registry import certificate
from tests.claims.support import cnss_insured

URL = "https://daman.example.ma/verify"


def insured_principal(session: Session, person_number: str):
    user = builders.user(session, Role.INSURED, person=person_number)
    row = tokens.issue(session, TokenKind.SESSION, "test", user=user).row
    return principal_of(session, row)


def test_a_covered_member_gets_a_certificate_that_verifies(session: Session) -> None:
    principal = cnss_insured(session)
    child = rb.dependent(session, principal)
    who = insured_principal(session, principal.immatriculation)
    issued = certificate.issue(session, child.immatriculation, who, "fr")
    assert issued.issued_on == today() and issued.valid_until > today()
    assert issued.valid_until <= today() + timedelta(days=certificate.VALID_DAYS)
    assert issued.principal_name and "Alaoui" in issued.principal_name
    verdict = certificate.verify(session, issued.reference)
    assert verdict.valid and verdict.genuine and verdict.name == issued.name
    assert (verdict.issued_on, verdict.valid_until) == (issued.issued_on, issued.valid_until)
    # typed by hand: lower case, spaces, Eastern Arabic digits
    typed = issued.reference.lower().replace("-", " - ", 1).replace("0", "٠")
    assert certificate.verify(session, typed).valid


@pytest.mark.parametrize("where", [0, 5, 15, 20, -1])
def test_a_changed_reference_is_invalid_and_shows_nothing(session: Session, where: int) -> None:
    person = cnss_insured(session)
    reference = certificate.issue(session, person.immatriculation, None, "fr").reference
    chars = list(reference)
    chars[where] = "7" if chars[where] != "7" else "8"
    verdict = certificate.verify(session, "".join(chars))
    assert not verdict.valid and not verdict.genuine and verdict.name == ""
    assert not certificate.verify(session, "not a reference").genuine


def test_a_certificate_past_its_date_is_genuine_but_not_valid(session: Session) -> None:
    person = cnss_insured(session)
    issued = certificate.issue(session, person.immatriculation, None, "fr")
    later = issued.valid_until + timedelta(days=1)
    verdict = certificate.verify(session, issued.reference, on=later)
    assert verdict.genuine and not verdict.valid and verdict.name


def test_no_certificate_for_someone_not_covered_or_outside_the_family(session: Session) -> None:
    uncovered = rb.person(session)
    with pytest.raises(certificate.NotCovered):
        certificate.issue(session, uncovered.immatriculation, None, "fr")
    principal = cnss_insured(session)
    stranger = cnss_insured(session)
    who = insured_principal(session, principal.immatriculation)
    with pytest.raises(NotFound):
        certificate.issue(session, stranger.immatriculation, who, "fr")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_pdf_carries_the_reference_and_a_qr_code_of_the_check(
    session: Session, lang: str
) -> None:
    person = cnss_insured(session)
    issued = certificate.issue(session, person.immatriculation, None, lang)
    pdf = PdfReader(io.BytesIO(certificate.render(issued, lang, URL)))
    text = pdf.pages[0].extract_text()
    assert issued.reference in text.replace("\n", "")
    assert ("شهادة" in text) if lang == "ar" else ("Attestation de droits" in text)
    picture = pdf.pages[0].images[0]
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture.data)))
    assert [b.text for b in found] == [f"{URL}/{issued.reference}"]
