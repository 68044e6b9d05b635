"""Reading the bank's account reports for money received: ISO 20022 camt.054 (debit and
credit notification) and camt.053 (statement), any version from .02.

Each booked entry's transaction details become notices: a credit (money received) with
its amount, value date, references, the payer's name and account and what the payer
wrote (remittance information); a debit that returns a collection (return information,
or a reversal) with its EndToEndId and reason. Entries not booked and other debits are
counted and left. The parser resolves no entity and reads nothing from the network;
malformed content is a ValidationFailed naming the place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from daman.core.errors import ValidationFailed
from daman.core.money import MoneyError, parse_mad
from daman.payments.returns import RETURN_REASONS

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt."
MESSAGES = {"054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"), "053": ("BkToCstmrStmt", "Stmt")}
NOT_PROVIDED = "NOTPROVIDED"


@dataclass(frozen=True)
class CreditNotice:
    place: str
    bank_reference: str  # the bank's own reference of the transaction (AcctSvcrRef)
    amount_centimes: int
    value_date: date
    booking_date: date | None
    end_to_end_id: str | None
    remittance: str
    payer_name: str
    payer_account: str


@dataclass(frozen=True)
class ReturnNotice:
    place: str
    end_to_end_id: str
    amount_centimes: int | None
    reason_code: str | None
    reason: str
    value_date: date | None


@dataclass
class BankReport:
    kind: str  # camt.053 or camt.054
    message_id: str | None = None
    credits: list[CreditNotice] = field(default_factory=list)
    returns: list[ReturnNotice] = field(default_factory=list)
    ignored: int = 0


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _child(element: etree._Element | None, path: str) -> etree._Element | None:
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


def _date(element: etree._Element | None, path: str, place: str) -> date | None:
    """A date element (<Dt> or <DtTm>) under `path`."""
    text = _text(element, f"{path}/Dt") or (_text(element, f"{path}/DtTm") or "")[:10] or None
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed.one(f"{place}.{path}", f"not a date: {text!r}") from exc


def _amount(element: etree._Element | None, place: str, currency: str) -> int | None:
    if element is None or element.text is None:
        return None
    if element.get("Ccy") != currency:
        raise ValidationFailed.one(
            f"{place}.Amt", f"currency {element.get('Ccy')!r}: only {currency} is received"
        )
    try:
        centimes = parse_mad(element.text)
    except MoneyError as exc:
        raise ValidationFailed.one(f"{place}.Amt", str(exc)) from exc
    if centimes <= 0:
        raise ValidationFailed.one(f"{place}.Amt", "must be positive")
    return centimes


def parse(data: bytes, currency: str) -> BankReport:
    """A camt.054 or camt.053 document."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValidationFailed.one("file", f"not well-formed XML: {exc}") from exc
    namespace = etree.QName(root).namespace or ""
    version = namespace.removeprefix(CAMT)[:3]
    if _local(root) != "Document" or not namespace.startswith(CAMT) or version not in MESSAGES:
        raise ValidationFailed.one(
            "file",
            f"not a camt.053 or camt.054 document (root {_local(root)}, namespace {namespace!r})",
        )
    outer, inner = MESSAGES[version]
    message = _child(root, outer)
    if message is None:
        raise ValidationFailed.one("file", f"no {outer} element")
    report = BankReport(f"camt.{version}", _text(message, "GrpHdr/MsgId"))
    for n, block in enumerate(_children(message, inner), 1):
        for e, entry in enumerate(_children(block, "Ntry"), 1):
            _entry(report, entry, f"{inner}[{n}].Ntry[{e}]", currency)
    return report


def _entry(report: BankReport, entry: etree._Element, place: str, currency: str) -> None:
    status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
    if status != "BOOK":
        report.ignored += 1
        return
    direction = _text(entry, "CdtDbtInd")
    reversal = (_text(entry, "RvslInd") or "false").lower() == "true"
    value = _date(entry, "ValDt", place) or _date(entry, "BookgDt", place)
    booked = _date(entry, "BookgDt", place)
    entry_ref = _text(entry, "AcctSvcrRef")
    details = [d for nd in _children(entry, "NtryDtls") for d in _children(nd, "TxDtls")]
    if not details:
        details = [entry]  # an entry without details stands for one transaction
    for d, detail in enumerate(details, 1):
        where = f"{place}.TxDtls[{d}]" if detail is not entry else place
        amount_element = _child(detail, "Amt") if detail is not entry else None
        if amount_element is None and detail is not entry:
            amount_element = _child(detail, "AmtDtls/TxAmt/Amt")
        amount = _amount(amount_element, where, currency)
        if amount is None and len(details) == 1:
            amount = _amount(_child(entry, "Amt"), place, currency)
        sign = _text(detail, "CdtDbtInd") or direction
        e2e = _text(detail, "Refs/EndToEndId")
        e2e = None if e2e in (None, NOT_PROVIDED) else e2e
        returned = _child(detail, "RtrInf") is not None or reversal
        if sign == "DBIT" and returned:
            if e2e is None:
                raise ValidationFailed.one(f"{where}.Refs.EndToEndId", "missing")
            info = _child(detail, "RtrInf")
            code = _text(info, "Rsn/Cd") or _text(info, "Rsn/Prtry")
            texts = [
                t.text.strip() for t in _children(info, "AddtlInf") if t.text and t.text.strip()
            ]
            reason = " ".join(texts) or RETURN_REASONS.get(code or "", "returned by the bank")
            report.returns.append(ReturnNotice(where, e2e, amount, code, reason, value))
        elif sign == "CRDT" and not reversal:
            if amount is None:
                raise ValidationFailed.one(f"{where}.Amt", "missing")
            if value is None:
                raise ValidationFailed.one(f"{place}.ValDt", "missing (and no booking date)")
            reference = _text(detail, "Refs/AcctSvcrRef") or (
                f"{entry_ref}/{d}" if entry_ref else None
            )
            if reference is None:
                reference = f"{e2e or _text(detail, 'Refs/TxId') or where}/{amount}/{value}"
            report.credits.append(
                CreditNotice(
                    place=where,
                    bank_reference=reference[:140],
                    amount_centimes=amount,
                    value_date=value,
                    booking_date=booked,
                    end_to_end_id=e2e,
                    remittance=_remittance(detail),
                    payer_name=(
                        _text(detail, "RltdPties/Dbtr/Pty/Nm")
                        or _text(detail, "RltdPties/Dbtr/Nm")
                        or ""
                    )[:140],
                    payer_account=(
                        _text(detail, "RltdPties/DbtrAcct/Id/IBAN")
                        or _text(detail, "RltdPties/DbtrAcct/Id/Othr/Id")
                        or ""
                    )[:40],
                )
            )
        else:
            report.ignored += 1


def _remittance(detail: etree._Element) -> str:
    info = _child(detail, "RmtInf")
    texts = [t.text.strip() for t in _children(info, "Ustrd") if t.text and t.text.strip()]
    for structured in _children(info, "Strd"):
        ref = _text(structured, "CdtrRefInf/Ref")
        if ref:
            texts.append(ref)
    return " ".join(texts)[:1000]
