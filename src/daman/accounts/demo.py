"""The demo accounts: one per role, all with the published ``DEMO_PASSWORD``.

``daman demo`` creates them in development only. A database loaded in development can
still be served in production, so outside development the app refuses to start while any
of them is active and still opens with that password (``refuse_open_demo_accounts``, run
by ``daman serve`` and by the app factory); the operator disables them (``daman users
disable NAME``) or gives them real passwords. The check is on the stored hash, not on a
name or a mark: an account called ``admin`` with a real password is fine, and nothing
needs a new column. Outside development the demo password is also refused as anyone's
new password (``daman.accounts.service``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.models import Role, User
from daman.core.db import unit_of_work
from daman.core.errors import DamanError

DEMO_PASSWORD = "daman-demo-2026"  # noqa: S105 - published: never opens an account in production
DEMO_ACCOUNTS = (
    ("admin", Role.ADMIN, "Demo administrator"),
    ("agent", Role.AGENT, "Demo fund agent"),
    ("controller", Role.CONTROLLER, "Demo medical controller"),
    ("analyst", Role.ANALYST, "Demo analyst"),
    ("youssef", Role.INSURED, "Youssef Benali"),  # the first demo person, DM0000000194
    ("latifa", Role.INSURED, "Latifa Cherkaoui"),  # the ALD09 demo patient, DM0000001261
    ("pharmacie", Role.PROVIDER, "Demo pharmacy"),  # the demo pharmacy, INPE 930000001
    ("docteur", Role.PROVIDER, "Dr Nadia Berrada"),  # the demo GP, INPE 910000001
    ("atlas", Role.EMPLOYER, "Atlas Textiles SARL"),  # declares for employer 10000001
)
DEMO_USERNAMES = tuple(username for username, _, _ in DEMO_ACCOUNTS)


class DemoAccountsOpen(DamanError):
    """Outside development, a demo account still opens with the published password."""

    code = "demo_accounts_open"
    status = 503


def open_demo_accounts(session: Session) -> list[str]:
    """The active demo accounts whose password is still the demo password, by username
    (one password check per demo account present: a few argon2 verifications)."""
    from daman.accounts.service import password_matches

    rows = session.execute(
        select(User.username, User.password_hash)
        .where(User.username.in_(DEMO_USERNAMES), User.active.is_(True))
        .order_by(User.username)
    )
    return [name for name, hashed in rows if password_matches(hashed, DEMO_PASSWORD)]


def refuse_open_demo_accounts(session: Session | None = None) -> None:
    """Raise DemoAccountsOpen, naming the accounts, if any demo account is still open (in
    a transaction of its own when no session is given)."""
    if session is None:
        with unit_of_work() as own:
            return refuse_open_demo_accounts(own)
    if names := open_demo_accounts(session):
        raise DemoAccountsOpen(
            f"demo accounts {', '.join(names)} still have the published demo password: "
            f"disable them (daman users disable NAME) or change their passwords before "
            f"serving outside development"
        )
