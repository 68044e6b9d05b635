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
from functools import lru_cache

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
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


@lru_cache(maxsize=512)
def _qualified(namespace: str, path: str) -> str:
    """`a/b` in the document's namespace, for lxml's find (C speed)."""
    if not namespace:
        return path
    return "/".join(f"{{{namespace}}}{name}" for name in path.split("/"))


@lru_cache(maxsize=512)
def _selector(namespace: str, path: str) -> etree.XPath:
    """`a/b` in the document's namespace as a compiled XPath, the elements it finds in
    document order: evaluated by libxml2, where `find` walks the path in Python (a bank's
    day is a million look-ups)."""
    if not namespace:
        return etree.XPath(path)
    return etree.XPath(
        "/".join(f"n:{name}" for name in path.split("/")), namespaces={"n": namespace}
    )


class _Doc:
    """Finding elements by local path in one document's namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def child(self, element: etree._Element | None, path: str) -> etree._Element | None:
        """The first element at `path` under `element` (as `find`)."""
        if element is None:
            return None
        found = _selector(self.namespace, path)(element)
        return found[0] if found else None

    def children(self, element: etree._Element | None, name: str) -> list[etree._Element]:
        if element is None:
            return []
        return element.findall(_qualified(self.namespace, name))

    def text(self, element: etree._Element | None, path: str) -> str | None:
        """The text of the first element at `path` (as `findtext`), stripped; None when
        missing or blank."""
        found = self.child(element, path)
        text = found.text if found is not None else None
        return (text.strip() or None) if text else None


def _date(doc: _Doc, element: etree._Element | None, path: str, place: str) -> date | None:
    """A date element (<Dt> or <DtTm>) under `path`."""
    text = doc.text(element, f"{path}/Dt") or (doc.text(element, f"{path}/DtTm") or "")[:10] or None
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
    doc = _Doc(namespace)
    message = doc.child(root, outer)
    if message is None:
        raise ValidationFailed.one("file", f"no {outer} element")
    report = BankReport(f"camt.{version}", doc.text(message, "GrpHdr/MsgId"))
    for n, block in enumerate(doc.children(message, inner), 1):
        for e, entry in enumerate(doc.children(block, "Ntry"), 1):
            _entry(doc, report, entry, f"{inner}[{n}].Ntry[{e}]", currency)
    return report


def _entry(doc: _Doc, report: BankReport, entry: etree._Element, place: str, currency: str) -> None:
    status = doc.text(entry, "Sts/Cd") or doc.text(entry, "Sts")
    if status != "BOOK":
        report.ignored += 1
        return
    direction = doc.text(entry, "CdtDbtInd")
    reversal = (doc.text(entry, "RvslInd") or "false").lower() == "true"
    value = _date(doc, entry, "ValDt", place) or _date(doc, entry, "BookgDt", place)
    booked = _date(doc, entry, "BookgDt", place)
    entry_ref = doc.text(entry, "AcctSvcrRef")
    details = [d for nd in doc.children(entry, "NtryDtls") for d in doc.children(nd, "TxDtls")]
    if not details:
        details = [entry]  # an entry without details stands for one transaction
    for d, detail in enumerate(details, 1):
        where = f"{place}.TxDtls[{d}]" if detail is not entry else place
        amount_element = doc.child(detail, "Amt") if detail is not entry else None
        if amount_element is None and detail is not entry:
            amount_element = doc.child(detail, "AmtDtls/TxAmt/Amt")
        amount = _amount(amount_element, where, currency)
        if amount is None and len(details) == 1:
            amount = _amount(doc.child(entry, "Amt"), place, currency)
        sign = doc.text(detail, "CdtDbtInd") or direction
        e2e = doc.text(detail, "Refs/EndToEndId")
        e2e = None if e2e in (None, NOT_PROVIDED) else e2e
        returned = doc.child(detail, "RtrInf") is not None or reversal
        if sign == "DBIT" and returned:
            if e2e is None:
                raise ValidationFailed.one(f"{where}.Refs.EndToEndId", "missing")
            info = doc.child(detail, "RtrInf")
            code = doc.text(info, "Rsn/Cd") or doc.text(info, "Rsn/Prtry")
            texts = [
                t.text.strip() for t in doc.children(info, "AddtlInf") if t.text and t.text.strip()
            ]
            reason = " ".join(texts) or RETURN_REASONS.get(code or "", "returned by the bank")
            report.returns.append(ReturnNotice(where, e2e, amount, code, reason, value))
        elif sign == "CRDT" and not reversal:
            if amount is None:
                raise ValidationFailed.one(f"{where}.Amt", "missing")
            if value is None:
                raise ValidationFailed.one(f"{place}.ValDt", "missing (and no booking date)")
            reference = doc.text(detail, "Refs/AcctSvcrRef") or (
                f"{entry_ref}/{d}" if entry_ref else None
            )
            if reference is None:
                reference = f"{e2e or doc.text(detail, 'Refs/TxId') or where}/{amount}/{value}"
            report.credits.append(
                CreditNotice(
                    place=where,
                    bank_reference=reference[:140],
                    amount_centimes=amount,
                    value_date=value,
                    booking_date=booked,
                    end_to_end_id=e2e,
                    remittance=_remittance(doc, detail),
                    payer_name=(
                        doc.text(detail, "RltdPties/Dbtr/Pty/Nm")
                        or doc.text(detail, "RltdPties/Dbtr/Nm")
                        or ""
                    )[:140],
                    payer_account=(
                        doc.text(detail, "RltdPties/DbtrAcct/Id/IBAN")
                        or doc.text(detail, "RltdPties/DbtrAcct/Id/Othr/Id")
                        or ""
                    )[:40],
                )
            )
        else:
            report.ignored += 1


def _remittance(doc: _Doc, detail: etree._Element) -> str:
    info = doc.child(detail, "RmtInf")
    texts = [t.text.strip() for t in doc.children(info, "Ustrd") if t.text and t.text.strip()]
    for structured in doc.children(info, "Strd"):
        ref = doc.text(structured, "CdtrRefInf/Ref")
        if ref:
            texts.append(ref)
    return " ".join(texts)[:1000]
