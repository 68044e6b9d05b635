"""A payer's statement: opening balance, entries with the running balance, closing
balance and the calls still owed, in French and Arabic in one PDF."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts, receipts
from daman.contributions.collection import builders as b
from daman.contributions.collection import statement as pdf
from daman.contributions.collection.declarations import declare
from daman.contributions.ledger.models import Call, EntryKind


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))


def test_an_employers_statement_in_french_and_arabic(session: Session) -> None:
    employer, people = b.workforce(session, 2)
    for n, month in enumerate((date(2025, 1, 1), date(2025, 2, 1))):
        data = b.declaration([(p.immatriculation, 26, "5000") for p in people])
        declare(
            session,
            data,
            filename=f"{n}.csv",
            month=month,
            actor="test",
            employer=employer,
            issued_on=month.replace(day=28),
        )
    january = session.scalars(select(Call).order_by(Call.month)).first()
    assert january is not None
    paid = b.camt054_credits([("B-1", 63_700, january.number, date(2025, 2, 5))])
    receipts.import_bank_file(session, paid, "n.xml", "test")
    account = accounts.of_employer(session, employer, "test")

    data = pdf.statement(session, account, date(2025, 1, 1), date(2025, 3, 31))
    assert data.opening_centimes == 0
    assert [(line.kind, line.balance_centimes) for line in data.lines] == [
        (EntryKind.CALL, 63_700),
        (EntryKind.RECEIPT, 0),
        (EntryKind.CALL, 63_700),
    ]
    assert data.closing_centimes == 63_700
    assert [o.owed_centimes for o in data.owed] == [63_700]

    text = pdf_text(pdf.render(data))
    assert "Relevé de compte des cotisations" in text
    assert "كشف حساب الاشتراكات" in text
    assert "637.00" in text and account.number in text
    assert "Appels restant dus" in text
    later = pdf.statement(session, account, date(2025, 3, 1), date(2025, 3, 31))
    assert later.opening_centimes == 63_700 and later.lines == ()
