"""Test data: employers with employees, members of each regime, declaration files and
bank files, written straight to the session (flushed only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy.orm import Session

from daman.contributions.collection.models import MemberCategory
from daman.registry import builders as registry
from daman.registry.models import Employer, Person

START = date(2024, 1, 1)


def workforce(
    session: Session,
    size: int = 3,
    *,
    employer: Employer | None = None,
    valid_from: date = START,
) -> tuple[Employer, list[Person]]:
    """An employer and `size` employees affiliated to CNSS_SAL with it."""
    employer = employer or registry.employer(session)
    people = [
        registry.insured(session, regime="CNSS_SAL", valid_from=valid_from, employer_id=employer.id)
        for _ in range(size)
    ]
    return employer, people


def member(
    session: Session,
    regime: str,
    *,
    valid_from: date = START,
    rsu_score: str | None = None,
    category: str | None = None,
) -> Person:
    """A principal insured of the regime; a TNS member with a category when given."""
    person = registry.insured(session, regime=regime, valid_from=valid_from, rsu_score=rsu_score)
    if category is not None:
        member_category(session, person, category, valid_from)
    return person


def member_category(session: Session, person: Person, category: str, valid_from: date) -> None:
    """A TNS member's category from a date, as the liaison body gave it."""
    session.add(
        MemberCategory(
            person_id=person.id,
            category_code=category,
            valid_from=valid_from,
            liaison="DGI",
            created_by="test",
            updated_by="test",
        )
    )
    session.flush()


def declaration(
    rows: Iterable[Sequence[object]],
    header: Sequence[str] = ("immatriculation", "days", "gross_wage"),
    delimiter: str = ",",
) -> bytes:
    """A declaration file: a header and rows of cells."""
    lines = [delimiter.join(header)]
    lines += [delimiter.join("" if c is None else str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def camt054_credits(
    credits: Iterable[tuple[str, int, str, date]],
    *,
    message: str = "MSG-1",
    document: str = "camt.054.001.08",
    end_to_end: Sequence[str | None] | None = None,
) -> bytes:
    """A bank's credit notification (or, with document camt.053.001.08, a statement): one
    booked credit per (bank reference, centimes, remittance text, value date)."""
    statement = document.startswith("camt.053")
    outer, inner = ("BkToCstmrStmt", "Stmt") if statement else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    entries = []
    for n, (reference, centimes, remittance, value) in enumerate(credits):
        e2e = (end_to_end or [None] * (n + 1))[n] or "NOTPROVIDED"
        amount = f"{centimes // 100}.{centimes % 100:02d}"
        entries.append(
            f"""<Ntry><Amt Ccy="MAD">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
  <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{value.isoformat()}</Dt></BookgDt>
  <ValDt><Dt>{value.isoformat()}</Dt></ValDt><AcctSvcrRef>{reference}</AcctSvcrRef>
  <BkTxCd><Prtry><Cd>RCDT</Cd></Prtry></BkTxCd>
  <NtryDtls><TxDtls><Refs><AcctSvcrRef>{reference}</AcctSvcrRef>
  <EndToEndId>{e2e}</EndToEndId></Refs>
  <Amt Ccy="MAD">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
  <RltdPties><Dbtr><Pty><Nm>Payeur</Nm></Pty></Dbtr></RltdPties>
  <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{document}">
<{outer}><GrpHdr><MsgId>{message}</MsgId><CreDtTm>2025-02-05T10:00:00</CreDtTm></GrpHdr>
<{inner}><Id>{message}-1</Id><CreDtTm>2025-02-05T10:00:00</CreDtTm>
<Acct><Id><Othr><Id>011780000012345678901299</Id></Othr></Id></Acct>
{"".join(entries)}
</{inner}></{outer}></Document>""".encode()
