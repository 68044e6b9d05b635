"""Reading the bank's return: an ISO 20022 camt.054 notification or a rejected-payment list.

Both are reduced to notices, one per transfer the bank speaks of, keyed by EndToEndId:

* camt.054 (any version from .02): each entry's transaction details. A booked debit is a
  settlement; a detail with return information (`RtrInf`), a reversal, or a booked
  credit is a rejection, with the return reason code and its text. Entries not booked
  (pending, information) are counted and ignored.
* a rejected-payment list: CSV (comma or semicolon) with the header
  ``end_to_end_id,reason_code,reason``; each row is a rejection.

The XML parser resolves no entity and reads nothing from the network. Malformed content is
a ValidationFailed naming the place and the reason.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from enum import StrEnum

from lxml import etree

from daman.core.errors import FieldError, ValidationFailed
from daman.core.money import MoneyError, parse_mad
from daman.payments.models import ReturnFormat

CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054."
CSV_COLUMNS = ("end_to_end_id", "reason_code", "reason")

# ExternalReturnReason1Code: the codes banks use most, for when no text comes with them.
RETURN_REASONS = {
    "AC01": "incorrect account number",
    "AC03": "invalid creditor account number",
    "AC04": "closed account number",
    "AC06": "blocked account",
    "AG01": "transaction forbidden on this type of account",
    "AG02": "invalid bank operation code",
    "AM04": "insufficient funds",
    "AM05": "duplicate payment",
    "BE04": "missing creditor address",
    "BE05": "unrecognised initiating party",
    "DT01": "invalid date",
    "ED05": "settlement failed",
    "FF01": "invalid file format",
    "MD07": "end customer deceased",
    "MS02": "reason not specified by the customer",
    "MS03": "reason not specified by the agent",
    "RC01": "bank identifier incorrect",
    "RR01": "missing debtor account or identification",
    "TM01": "received after the cut-off time",
}


# What a rejection's reason means for the next run. A temporary or technical reason (the
# fund's side, the bank's processing, a cut-off) is retried with the same RIB in the next
# run; every other reason (a closed, wrong or blocked account, an unknown or unspecified
# reason) holds the payee until their RIB changes, as a person must act.
RETRIED = frozenset(
    {
        "AM04",  # insufficient funds (on the fund's account)
        "AM05",  # duplicate payment: the bank refused a second copy; the line was not paid
        "AG02",  # invalid bank operation code
        "DT01",  # invalid date
        "ED05",  # settlement failed
        "FF01",  # invalid file format
        "TM01",  # received after the cut-off time
    }
)


def retried(code: str | None) -> bool:
    """Will the next run pay a transfer rejected for this reason again, to the same RIB?"""
    return (code or "").upper() in RETRIED


class Outcome(StrEnum):
    SETTLED = "settled"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Notice:
    place: str  # where in the file, for error messages
    end_to_end_id: str
    outcome: Outcome
    amount_centimes: int | None = None
    reason_code: str | None = None
    reason: str | None = None


@dataclass
class ParsedReturn:
    format: ReturnFormat
    message_id: str | None = None
    notices: list[Notice] = field(default_factory=list)
    ignored: int = 0  # entries not booked


def parse(data: bytes, currency: str) -> ParsedReturn:
    """A camt.054 document (XML) or a rejected-payment list (CSV)."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return parse_camt054(data, currency)
    return parse_rejected_list(data)


# ---------------------------------------------------------------------------------------
# camt.054


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _child(element: etree._Element | None, path: str) -> etree._Element | None:
    """The first element along `a/b/c` (local names, any namespace)."""
    for name in path.split("/"):
        if element is None:
            return None
        element = next((c for c in element if isinstance(c.tag, str) and _local(c) == name), None)
    return element


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _text(element: etree._Element | None, path: str) -> str | None:
    found = _child(element, path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _amount(element: etree._Element | None, place: str, currency: str) -> int | None:
    if element is None or element.text is None:
        return None
    if element.get("Ccy") != currency:
        raise ValidationFailed.one(
            f"{place}.Amt", f"currency {element.get('Ccy')!r}: only {currency} is paid"
        )
    try:
        return parse_mad(element.text)
    except MoneyError as exc:
        raise ValidationFailed.one(f"{place}.Amt", str(exc)) from exc


def _status(entry: etree._Element) -> str | None:
    # <Sts>BOOK</Sts> up to camt.054.001.04, <Sts><Cd>BOOK</Cd></Sts> from .05 on
    return _text(entry, "Sts/Cd") or _text(entry, "Sts")


def _return_reason(detail: etree._Element) -> tuple[str | None, str | None]:
    info = _child(detail, "RtrInf")
    code = _text(info, "Rsn/Cd") or _text(info, "Rsn/Prtry")
    texts = [t.text.strip() for t in _children(info, "AddtlInf") if t.text and t.text.strip()]
    return code, " ".join(texts) or RETURN_REASONS.get(code or "")


def parse_camt054(data: bytes, currency: str) -> ParsedReturn:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValidationFailed.one("file", f"not well-formed XML: {exc}") from exc
    namespace = etree.QName(root).namespace or ""
    if _local(root) != "Document" or not namespace.startswith(CAMT054):
        raise ValidationFailed.one(
            "file", f"not a camt.054 document (root {_local(root)}, namespace {namespace!r})"
        )
    message = _child(root, "BkToCstmrDbtCdtNtfctn")
    if message is None:
        raise ValidationFailed.one("file", "no BkToCstmrDbtCdtNtfctn element")
    out = ParsedReturn(format=ReturnFormat.CAMT_054, message_id=_text(message, "GrpHdr/MsgId"))
    for n, notification in enumerate(_children(message, "Ntfctn"), 1):
        for e, entry in enumerate(_children(notification, "Ntry"), 1):
            _read_entry(out, entry, f"Ntfctn[{n}].Ntry[{e}]", currency)
    return out


def _read_entry(out: ParsedReturn, entry: etree._Element, place: str, currency: str) -> None:
    if _status(entry) != "BOOK":
        out.ignored += 1
        return
    direction = _text(entry, "CdtDbtInd")
    reversal = (_text(entry, "RvslInd") or "false").lower() == "true"
    details = [d for nd in _children(entry, "NtryDtls") for d in _children(nd, "TxDtls")]
    for d, detail in enumerate(details, 1):
        where = f"{place}.TxDtls[{d}]"
        ref = _text(detail, "Refs/EndToEndId")
        if ref is None:
            raise ValidationFailed.one(f"{where}.Refs.EndToEndId", "missing")
        found = _child(detail, "Amt")
        if found is None:  # an element with no children is falsy: test for None
            found = _child(detail, "AmtDtls/TxAmt/Amt")
        amount = _amount(found, where, currency)
        if amount is None and len(details) == 1:
            amount = _amount(_child(entry, "Amt"), place, currency)
        sign = _text(detail, "CdtDbtInd") or direction
        if _child(detail, "RtrInf") is not None or reversal or sign == "CRDT":
            code, reason = _return_reason(detail)
            if code is None and reversal:
                reason = reason or "reversed by the bank"
            out.notices.append(
                Notice(where, ref, Outcome.REJECTED, amount, code, reason or "returned by the bank")
            )
        elif sign == "DBIT":
            out.notices.append(Notice(where, ref, Outcome.SETTLED, amount))
        else:
            raise ValidationFailed.one(f"{where}.CdtDbtInd", f"must be DBIT or CRDT, not {sign!r}")


# ---------------------------------------------------------------------------------------
# Rejected-payment list (CSV)


def parse_rejected_list(data: bytes) -> ParsedReturn:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one("file", "neither XML nor a UTF-8 CSV list") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS[:2] if c not in header]
    if missing:
        raise ValidationFailed.one(
            "file", f"a rejected-payment list needs the columns {', '.join(CSV_COLUMNS)}"
        )
    reader.fieldnames = header
    out = ParsedReturn(format=ReturnFormat.CSV)
    errors: list[FieldError] = []
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValidationFailed.one("file", f"line {reader.line_num}: {exc}") from exc
    for row in rows:
        line = reader.line_num
        ref = (row.get("end_to_end_id") or "").strip()
        code = (row.get("reason_code") or "").strip().upper()
        if not ref:
            errors.append(FieldError(field=f"line {line}.end_to_end_id", reason="missing"))
            continue
        if not code:
            errors.append(FieldError(field=f"line {line}.reason_code", reason="missing"))
            continue
        reason = (row.get("reason") or "").strip() or RETURN_REASONS.get(code, "rejected")
        out.notices.append(Notice(f"line {line}", ref, Outcome.REJECTED, None, code, reason))
    if errors:
        raise ValidationFailed(errors)
    return out
