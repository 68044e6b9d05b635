"""A payer's statement of account as a PDF, in French and Arabic on the same page: the
balance at the start of the period, every entry of the period with the running balance,
the balance at its end, and the calls still owed. Texts from the catalogue; the font and
the right-to-left handling of the payments' statement (daman.payments.statement).
`render` is a pure function of the data; `statement` gathers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.contributions.collection.errors import StatementTooLong
from daman.contributions.collection.texts import (
    ACCOUNT,
    CALL_LINE,
    CLOSING,
    CREDIT,
    ENTRY_KINDS,
    HEAD,
    NOTHING_OWED,
    OPENING,
    OWES,
    PAYER,
    PERIOD,
    STATEMENT_FUND,
    STATEMENT_TITLE,
    UNPAID,
)
from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import Call, Entry, EntryKind, Part, PayerAccount, Receipt
from daman.core.i18n import translate
from daman.core.money import format_mad
from daman.core.pdf import TwoLanguages

FRENCH, ARABIC = "fr", "ar"
WIDTHS = (22, 46, 52, 22, 22, 22)  # mm, 186 in all
MAX_ENTRIES = 5_000


@dataclass(frozen=True)
class Line:
    value_date: date
    kind: EntryKind
    reference: str
    amount_centimes: int  # + owed, - paid
    balance_centimes: int


@dataclass(frozen=True)
class Owed:
    number: str
    due_date: date
    total_centimes: int
    owed_centimes: int


@dataclass(frozen=True)
class Statement:
    fund_name: str
    account: str
    payer: str
    start: date
    end: date
    opening_centimes: int
    closing_centimes: int
    lines: tuple[Line, ...]
    owed: tuple[Owed, ...]


def statement(session: Session, account: PayerAccount, start: date, end: date) -> Statement:
    """The statement data of an account for a period (both days included)."""
    opening = repo.balance(session, account.id, start - timedelta(days=1))
    rows = session.execute(
        select(Entry, Call.number, Receipt.bank_reference)
        .outerjoin(Call, Call.id == Entry.call_id)
        .outerjoin(Receipt, Receipt.id == Entry.receipt_id)
        .where(Entry.account_id == account.id, Entry.value_date >= start, Entry.value_date <= end)
        .order_by(Entry.value_date, Entry.id)
        .limit(MAX_ENTRIES + 1)
    ).all()
    if len(rows) > MAX_ENTRIES:
        raise StatementTooLong(f"more than {MAX_ENTRIES} entries: ask for a shorter period")
    running, lines = opening, []
    for entry, call_number, bank_reference in rows:
        running += entry.amount_centimes
        reference = call_number or bank_reference or entry.reason
        lines.append(
            Line(entry.value_date, entry.kind, reference[:60], entry.amount_centimes, running)
        )
    calls = repo.open_calls(session, [account.id]).get(account.id, [])
    owed_by_call = repo.owed_on_calls(session, [c.id for c in calls])
    owed = tuple(
        Owed(
            c.number,
            c.due_date,
            c.total_centimes,
            owed_by_call.get((c.id, Part.PRINCIPAL), 0) + owed_by_call.get((c.id, Part.PENALTY), 0),
        )
        for c in calls
        if owed_by_call.get((c.id, Part.PRINCIPAL), 0) + owed_by_call.get((c.id, Part.PENALTY), 0)
        > 0
    )
    return Statement(
        fund_name=get_settings().fund_name,
        account=account.number,
        payer=account.name,
        start=start,
        end=end,
        opening_centimes=opening,
        closing_centimes=running,
        lines=tuple(lines),
        owed=owed,
    )


class _Pdf(TwoLanguages):
    WIDTHS = WIDTHS
    ALIGN = "LLLRRR"


def _both(message: str, **values: object) -> tuple[str, str]:
    return translate(message, FRENCH, **values), translate(message, ARABIC, **values)


def _signed(centimes: int) -> tuple[str, str]:
    """The balance and what it means, in French and Arabic."""
    sense = OWES if centimes > 0 else CREDIT
    amount = format_mad(abs(centimes))
    if centimes == 0:
        return amount, amount
    return (
        f"{amount} ({translate(sense, FRENCH)})",
        f"{amount} ({translate(sense, ARABIC)})",
    )


def render(data: Statement) -> bytes:
    pdf = _Pdf(data.fund_name, data.account)
    pdf.set_title(f"{translate(STATEMENT_TITLE, FRENCH)} {data.account}")
    pdf.set_author(data.fund_name)
    pdf.set_creator("Daman")
    pdf.add_page()
    pdf.pair(*_both(STATEMENT_TITLE), size=14, style="B")
    pdf.pair(data.fund_name, translate(STATEMENT_FUND, ARABIC))
    pdf.ln(2)
    pdf.pair(*_both(ACCOUNT, number=data.account))
    pdf.pair(*_both(PAYER, name=data.payer))
    pdf.pair(*_both(PERIOD, start=data.start, end=data.end))
    opening_fr, opening_ar = _signed(data.opening_centimes)
    before = data.start - timedelta(days=1)
    pdf.pair(
        translate(OPENING, FRENCH, date=before, amount=opening_fr),
        translate(OPENING, ARABIC, date=before, amount=opening_ar),
        style="B",
    )
    pdf.ln(2)
    pdf.set_fill_color(235, 238, 242)
    pdf.row([translate(h, FRENCH) for h in HEAD], style="B", fill=True)
    pdf.row([translate(h, ARABIC) for h in HEAD], style="B", fill=True)
    for line in data.lines:
        kind = ENTRY_KINDS[line.kind]
        debit = format_mad(line.amount_centimes) if line.amount_centimes > 0 else ""
        credit = format_mad(-line.amount_centimes) if line.amount_centimes < 0 else ""
        label = f"{translate(kind, FRENCH)} / {translate(kind, ARABIC)}"
        pdf.row(
            [
                line.value_date.isoformat(),
                label,
                line.reference,
                debit,
                credit,
                format_mad(line.balance_centimes),
            ]
        )
    pdf.ln(2)
    closing_fr, closing_ar = _signed(data.closing_centimes)
    pdf.pair(
        translate(CLOSING, FRENCH, date=data.end, amount=closing_fr),
        translate(CLOSING, ARABIC, date=data.end, amount=closing_ar),
        size=10,
        style="B",
    )
    pdf.ln(3)
    pdf.pair(*_both(UNPAID), style="B")
    if not data.owed:
        pdf.pair(*_both(NOTHING_OWED))
    for call in data.owed:
        pdf.pair(
            *_both(
                CALL_LINE,
                number=call.number,
                due=call.due_date,
                owed=format_mad(call.owed_centimes),
                total=format_mad(call.total_centimes),
            ),
            size=8.5,
        )
    return bytes(pdf.output())
