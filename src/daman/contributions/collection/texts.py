"""The texts of the contributions a person reads (reminders, statements), from the catalogue
(daman.core.i18n), in the payer's language."""

from __future__ import annotations

from daman.contributions.ledger.models import EntryKind
from daman.core.i18n import N_, translate
from daman.notifications.texts import FOOTER

REMINDER_SUBJECT = N_("Contributions overdue on account %(account)s")
REMINDER_BODY = N_(
    "Dear %(name)s,\n"
    "%(calls)s call(s) of account %(account)s are unpaid past their due date; the oldest, "
    "%(oldest)s, was due on %(due)s.\n"
    "Balance owed: %(amount)s.\n"
    "Pay by bank transfer giving the call number, or at a partner's counter. Where the "
    "rules provide it, paying late adds penalties; unpaid contributions close rights."
)

ENTRY_KINDS = {
    EntryKind.CALL: N_("Call"),
    EntryKind.PENALTY: N_("Late-payment penalty"),
    EntryKind.RECEIPT: N_("Payment received"),
    EntryKind.DIRECT_DEBIT: N_("Direct debit"),
    EntryKind.RETURN: N_("Direct debit returned"),
    EntryKind.ADJUSTMENT: N_("Adjustment"),
    EntryKind.WAIVER: N_("Waiver"),
    EntryKind.TRANSFER: N_("Transfer"),
}

STATEMENT_TITLE = N_("Contributions statement")
STATEMENT_FUND = N_("Mandatory health insurance")
ACCOUNT = N_("Account: %(number)s")
PAYER = N_("Payer: %(name)s")
PERIOD = N_("Period: %(start)s to %(end)s")
OPENING = N_("Balance on %(date)s: %(amount)s MAD")
CLOSING = N_("Balance on %(date)s: %(amount)s MAD")
OWES = N_("owed by the payer")
CREDIT = N_("in the payer's favour")
HEAD = (N_("Date"), N_("Entry"), N_("Reference"), N_("Debit"), N_("Credit"), N_("Balance"))
UNPAID = N_("Calls still owed")
CALL_LINE = N_("%(number)s, due on %(due)s: %(owed)s MAD owed of %(total)s MAD")
NOTHING_OWED = N_("No call is owed.")


def reminder(lang: str, **values: object) -> tuple[str, str]:
    """(subject, body) of a reminder in `lang`."""
    body = translate(REMINDER_BODY, lang, **values)
    return (
        translate(REMINDER_SUBJECT, lang, **values),
        body + "\n\n-- \n" + translate(FOOTER, lang),
    )
