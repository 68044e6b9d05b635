"""The batch as an ISO 20022 customer credit-transfer initiation (pain.001.001.09, MAD).

One message per batch, one payment-information block debiting the fund's account, one
CdtTrfTxInf per transfer. The group header and the block carry the number of transactions
and the control sum; each transfer carries its reference as EndToEndId, which the bank
returns in its camt.054 notification so that the return can be matched.

Moroccan accounts are 24-digit RIBs, sent as `Othr/Id` with the scheme code BBAN (an IBAN,
MA + 2 check digits + RIB, is accepted for the fund's own account). Every file is checked
against the official XSD (shipped in the sepaxml package) before it leaves Daman.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources

from lxml import etree

from daman.config import DEVELOPMENT_FUND_RIB, Settings
from daman.core.dates import aware
from daman.core.errors import DamanError, FieldError, ValidationFailed
from daman.core.identifiers import iban_problem, rib_problem
from daman.core.money import format_mad
from daman.payments.models import PaymentBatch, PaymentTransfer

PAIN_VERSION = "pain.001.001.09"
NS = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_VERSION}"
PURPOSE = "MDCS"  # ExternalPurpose1Code: medical services
_BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


class BankFileInvalid(DamanError):
    """The generated file does not validate: a defect in Daman, never sent to the bank."""

    code = "bank_file_invalid"
    status = 500


@dataclass(frozen=True)
class Debtor:
    name: str
    account: str  # IBAN or RIB
    bic: str


def debtor(settings: Settings) -> Debtor:
    """The fund's account from the settings, checked (ValidationFailed names the setting)."""
    account = settings.fund_iban_or_rib.replace(" ", "").upper()
    bic = settings.fund_bic.replace(" ", "").upper()
    errors: list[FieldError] = []
    if not settings.fund_name.strip():
        errors.append(FieldError(field="DAMAN_FUND_NAME", reason="must not be empty"))
    problem = iban_problem(account) if account[:2].isalpha() else rib_problem(account)
    if problem:
        errors.append(FieldError(field="DAMAN_FUND_IBAN_OR_RIB", reason=problem))
    elif settings.environment != "development" and account == DEVELOPMENT_FUND_RIB:
        errors.append(
            FieldError(
                field="DAMAN_FUND_IBAN_OR_RIB",
                reason=f"the development account is refused in {settings.environment}",
            )
        )
    if not _BIC.fullmatch(bic):
        errors.append(
            FieldError(field="DAMAN_FUND_BIC", reason="must be a BIC (8 or 11 characters)")
        )
    if errors:
        raise ValidationFailed(errors, code="fund_account_invalid")
    return Debtor(settings.fund_name.strip()[:140], account, bic)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, tags: str, text: str) -> etree._Element:
    """`a/b/c` under parent, the last one holding text."""
    *middle, last = tags.split("/")
    for tag in middle:
        parent = _sub(parent, tag)
    return _sub(parent, last, text)


def _account(parent: etree._Element, account: str) -> None:
    ident = _sub(parent, "Id")
    if account[:2].isalpha():
        _sub(ident, "IBAN", account)
        return
    other = _sub(ident, "Othr")
    _sub(other, "Id", account)
    _path(other, "SchmeNm/Cd", "BBAN")


def _instant(value: datetime) -> str:
    return aware(value).astimezone(UTC).replace(microsecond=0).isoformat()


def pain001(
    batch: PaymentBatch, transfers: Sequence[PaymentTransfer], fund: Debtor, currency: str
) -> bytes:
    """The pain.001 document of a batch (deterministic: the same bytes at every export)."""
    count = str(len(transfers))
    total = format_mad(sum(t.amount_centimes for t in transfers))
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initiation = _sub(root, "CstmrCdtTrfInitn")

    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", batch.number)
    _sub(header, "CreDtTm", _instant(batch.created_at))
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _path(header, "InitgPty/Nm", fund.name)

    block = _sub(initiation, "PmtInf")
    _sub(block, "PmtInfId", batch.number)
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "BtchBookg", "false")  # one debit line per transfer on the fund's statement
    _sub(block, "NbOfTxs", count)
    _sub(block, "CtrlSum", total)
    _path(block, "ReqdExctnDt/Dt", batch.execution_date.isoformat())
    _path(block, "Dbtr/Nm", fund.name)
    debtor_account = _sub(block, "DbtrAcct")
    _account(debtor_account, fund.account)
    _sub(debtor_account, "Ccy", currency)
    _path(block, "DbtrAgt/FinInstnId/BICFI", fund.bic)

    for t in transfers:
        tx = _sub(block, "CdtTrfTxInf")
        ids = _sub(tx, "PmtId")
        _sub(ids, "InstrId", t.reference)
        _sub(ids, "EndToEndId", t.reference)
        _sub(_sub(tx, "Amt"), "InstdAmt", format_mad(t.amount_centimes), Ccy=currency)
        _path(tx, "Cdtr/Nm", t.creditor_name[:140])
        _account(_sub(tx, "CdtrAcct"), t.rib)
        _path(tx, "Purp/Cd", PURPOSE)
        plural = "s" if t.claims_count > 1 else ""
        _path(tx, "RmtInf/Ustrd", f"AMO {t.reference} {t.claims_count} dossier{plural}")

    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(document)
    return document


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The official ISO 20022 XSD of the message (from the sepaxml package)."""
    xsd = resources.files("sepaxml") / "schemas" / f"{PAIN_VERSION}.xsd"
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(document: bytes) -> list[str]:
    """Why a document does not validate against the schema (empty when it does)."""
    xsd = schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    if xsd.validate(etree.fromstring(document, parser)):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def validate(document: bytes) -> None:
    errors = schema_errors(document)
    if errors:
        raise BankFileInvalid("; ".join(errors[:5]))
