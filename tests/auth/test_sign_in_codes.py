"""Sign-in with a phone number and a one-time code: the code arrives by SMS (the file
gateway, read here as a phone would), opens one session once, expires, dies after wrong
tries, is never stored in clear, and nothing tells a known number from an unknown one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.accounts import builders, codes
from daman.accounts.models import SignInCode
from daman.auth.access import SESSION_COOKIE
from daman.auth.models import Role
from daman.auth.throttle import Throttle
from daman.config import get_settings
from daman.core.dates import now
from daman.core.errors import ValidationFailed
from daman.notifications import sms
from daman.notifications.models import SmsMessage
from daman.registry import builders as rb

PHONE = "0661234567"


@pytest.fixture
def insured(session: Session):
    person = rb.insured(session)
    person.phone = PHONE
    session.flush()
    return builders.user(session, Role.INSURED, person=person.immatriculation)


def texts(phone: str = PHONE) -> list[str]:
    return [line["text"] for line in sms.sent_to(get_settings().sms_dir, phone)]


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def ask(client: TestClient, phone: str, lang: str = "fr") -> tuple[int, str]:
    form = client.get(f"/login/code?lang={lang}")
    r = client.post(
        "/login/code", data={"phone": phone, "csrf_token": csrf_of(form.text), "next": "/me/family"}
    )
    return r.status_code, r.text


def test_a_code_sent_by_sms_opens_a_session_once(anonymous, session, insured) -> None:
    status, page = ask(anonymous, "+212 661-234567")
    assert status == 200 and "Code reçu par SMS" in page
    received = texts()
    assert len(received) == 1 and "Daman" in received[0]
    code = code_in(received[0])
    r = anonymous.post(
        "/login/code/verify",
        data={"phone": PHONE, "code": code, "csrf_token": csrf_of(page), "next": "/me/family"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/me/family"
    assert anonymous.cookies.get(SESSION_COOKIE)
    assert anonymous.get("/me/family").status_code == 200
    # the same code again: refused, with the field named
    anonymous.cookies.clear()
    _, page = ask(anonymous, PHONE)  # a fresh form (and a second code)
    again = anonymous.post(
        "/login/code/verify",
        data={"phone": PHONE, "code": code, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert again.status_code == 401 and 'href="#code"' in again.text


def test_the_code_is_kept_only_as_a_hash(session, insured) -> None:
    sent = codes.send_code(session, PHONE, "ar")
    assert sent is not None
    row = session.scalars(select(SignInCode)).one()
    assert sent.code not in (row.code_hash, row.salt) and len(row.code_hash) == 64
    message = session.get(SmsMessage, sent.sms_id)
    assert message is not None and sent.code not in message.body and sms.CODE in message.body
    assert "ضمان" in message.body  # in the reader's language


def test_the_code_expires(session, insured) -> None:
    start = now()
    sent = codes.send_code(session, PHONE, "fr", at=start)
    assert sent is not None
    late = start + codes.CODE_LIFETIME + timedelta(seconds=1)
    assert isinstance(codes.redeem(session, PHONE, sent.code, at=late), codes.CodeRefused)
    in_time = start + codes.CODE_LIFETIME - timedelta(seconds=1)
    assert not isinstance(codes.redeem(session, PHONE, sent.code, at=in_time), codes.CodeRefused)


def test_wrong_codes_void_the_code_and_a_success_voids_the_others(session, insured) -> None:
    sent = codes.send_code(session, PHONE, "fr")
    assert sent is not None
    wrong = "000000" if sent.code != "000000" else "111111"
    for _ in range(codes.MAX_WRONG):
        assert isinstance(codes.redeem(session, PHONE, wrong), codes.CodeRefused)
    assert isinstance(codes.redeem(session, PHONE, sent.code), codes.CodeRefused)
    first = codes.send_code(session, PHONE, "fr")
    second = codes.send_code(session, PHONE, "fr")
    assert first and second
    assert not isinstance(codes.redeem(session, PHONE, second.code), codes.CodeRefused)
    assert isinstance(codes.redeem(session, PHONE, first.code), codes.CodeRefused)


def test_a_number_gets_a_few_codes_then_none_and_unknown_numbers_get_none(session, insured) -> None:
    sent = [codes.send_code(session, PHONE, "fr") for _ in range(codes.MAX_CODES + 1)]
    assert all(sent[: codes.MAX_CODES]) and sent[-1] is None
    assert codes.send_code(session, "0699999999", "fr") is None
    with pytest.raises(ValidationFailed) as refused:
        codes.send_code(session, "12345", "fr")
    assert refused.value.detail[0].field == "phone"


def test_a_number_shared_by_two_accounts_opens_neither(session, insured) -> None:
    other = rb.insured(session)
    other.phone = "+212661234567"
    session.flush()
    builders.user(session, Role.INSURED, person=other.immatriculation)
    assert codes.send_code(session, PHONE, "fr") is None


def test_the_page_says_the_same_for_an_unknown_number(anonymous, session, insured) -> None:
    known_status, known = ask(anonymous, PHONE)
    unknown_status, unknown = ask(anonymous, "0699999999")
    assert known_status == unknown_status == 200
    strip = re.compile(
        r'value="[^"]*"|"X-CSRF-Token": "[^"]*"|<bdi dir="ltr">[^<]*</bdi>|\?phone=[^"]*"'
    )
    assert strip.sub("", known) == strip.sub("", unknown)
    assert texts("0699999999") == []


def test_a_malformed_number_is_named_and_attempts_are_limited_per_address(
    anonymous, session, insured
) -> None:
    status, page = ask(anonymous, "06 12", lang="ar")
    assert status == 400 and 'href="#phone"' in page and 'dir="rtl"' in page
    anonymous.app.state.sign_ins = Throttle(limit=1)
    assert ask(anonymous, PHONE)[0] == 200
    assert ask(anonymous, PHONE)[0] == 429
    form = anonymous.get("/login/code")
    r = anonymous.post(
        "/login/code/verify",
        data={"phone": PHONE, "code": "123456", "csrf_token": csrf_of(form.text)},
    )
    assert r.status_code == 429 and r.headers["retry-after"]


def test_a_form_without_its_token_is_refused(anonymous, session, insured) -> None:
    r = anonymous.post("/login/code", data={"phone": PHONE})
    assert r.status_code == 403 and texts() == []
