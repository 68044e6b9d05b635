"""Sign-in with a phone number and a one-time code sent by SMS (insured persons).

`send_code` looks for the one active insured account whose person has this phone number in
the registry, makes a code of ``CODE_DIGITS`` random digits and queues its SMS (the code
itself goes to the SMS delivery in memory, never to the database: see
daman.notifications.sms). `redeem` turns a right code into a web session. The rules:

- a code lives ``CODE_LIFETIME`` and serves once; a success voids the other live codes;
- ``MAX_WRONG`` wrong codes typed for a number void every live code of that account;
- at most ``MAX_CODES`` codes go to a number per ``CODES_WINDOW``; beyond, none is sent;
- only an HMAC of the code is kept (the app's secret, a salt per code);
- nothing tells a number that has an account from one that has none: the answer to asking
  for a code is the same (None is returned for both, and for a number over its limit),
  and a refused code is one refusal (`CodeRefused`) whatever the reason.

The pages add a limit per client address (daman.auth.throttle), as for passwords. A wrong
code is counted in the request's own transaction: `redeem` returns the refusal rather than
raising it, so that the caller commits the count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from daman.accounts import repository as repo
from daman.accounts.models import SignInCode
from daman.auth import tokens
from daman.auth.access import actor_of
from daman.auth.errors import LoginRefused
from daman.auth.models import TokenKind, User
from daman.config import get_settings
from daman.core.dates import now
from daman.core.errors import ValidationFailed
from daman.core.i18n import N_, translate
from daman.core.text import western_digits
from daman.notifications import sms

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODES = 3
CODES_WINDOW = timedelta(minutes=15)
MAX_WRONG = 5

MESSAGE = N_(
    "Daman: your sign-in code is %(code)s. It expires in %(minutes)s minutes. Never give it "
    "to anyone, not even the fund's staff."
)


class CodeRefused(LoginRefused):
    """A wrong, expired, used or unknown code: one refusal for all."""

    code = "code_refused"


@dataclass(frozen=True)
class CodeSent:
    sms_id: int
    code: str  # for the SMS delivery only: never stored, never shown


def phone_number(phone: str) -> str:
    """The number typed, in international form, or ValidationFailed naming ``phone``."""
    found = sms.international(phone)
    if found is None:
        raise ValidationFailed.one(
            "phone", "not a Moroccan mobile number: 10 digits starting 05, 06 or 07"
        )
    return found


def digest(salt: str, code: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"sign-in-code:{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _account(session: Session, phone: str) -> User | None:
    """The one account of this number (None when there is none, or more than one: a code
    must open one account, never a guess between two)."""
    found = repo.insured_users_by_phone(session, sms.stored_forms(phone))
    return found[0] if len(found) == 1 else None


def send_code(
    session: Session, phone: str, lang: str, *, at: datetime | None = None
) -> CodeSent | None:
    """Queue a sign-in code for this number (see the module's rules); None when none goes
    out. ValidationFailed (``phone``) when it is not a mobile number."""
    at = at or now()
    to = phone_number(phone)
    user = _account(session, to)
    if user is None:
        return None
    recent = session.scalar(
        select(func.count())
        .select_from(SignInCode)
        .where(SignInCode.phone == to, SignInCode.created_at > at - CODES_WINDOW)
    )
    if (recent or 0) >= MAX_CODES:
        return None
    code = new_code()
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    body = translate(MESSAGE, lang, code=sms.CODE, minutes=minutes)
    message = sms.queue(
        session,
        phone=to,
        body=body,
        topic="sign_in_code",
        reference=user.username,
        actor=actor_of(user),
    )
    assert message is not None  # the number was checked above
    salt = secrets.token_hex(16)
    session.add(
        SignInCode(
            user_id=user.id,
            phone=to,
            salt=salt,
            code_hash=digest(salt, code),
            created_at=at,
            expires_at=at + CODE_LIFETIME,
            failed_attempts=0,
            sms_id=message.id,
        )
    )
    session.flush()
    return CodeSent(message.id, code)


def _live(session: Session, user_id: int, at: datetime) -> list[SignInCode]:
    return list(
        session.scalars(
            select(SignInCode)
            .where(
                SignInCode.user_id == user_id,
                SignInCode.used_at.is_(None),
                SignInCode.expires_at > at,
                SignInCode.failed_attempts < MAX_WRONG,
            )
            .order_by(SignInCode.id.desc())
        )
    )


def redeem(
    session: Session, phone: str, code: str, *, label: str = "web", at: datetime | None = None
) -> tokens.Issued | CodeRefused:
    """A web session for the right code of this number, else the refusal, *returned* (the
    caller commits, so that a wrong code counts)."""
    at = at or now()
    refused = CodeRefused("wrong, expired or already used code")
    to = sms.international(phone)
    typed = western_digits(code).strip().replace(" ", "")
    user = _account(session, to) if to else None
    if user is None:
        return refused
    live = _live(session, user.id, at)
    for row in live:
        if hmac.compare_digest(row.code_hash, digest(row.salt, typed)):
            row.used_at = at
            for other in live:
                if other is not row:
                    other.used_at = at  # one sign-in voids the other codes sent
            session.flush()
            return tokens.issue(session, TokenKind.SESSION, actor_of(user), user=user, label=label)
    if live:  # counted by the database: wrong codes sent in parallel all count
        session.execute(
            update(SignInCode)
            .where(SignInCode.id.in_([row.id for row in live]))
            .values(failed_attempts=SignInCode.failed_attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return refused
