"""The pain.001 file: valid against the official ISO 20022 XSD, with its control sums."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select
from stdnum import iban as stdnum_iban

from daman.config import get_settings
from daman.core.dates import today
from daman.core.errors import ValidationFailed
from daman.core.identifiers import iban_problem
from daman.payments import bankfile, service
from daman.payments.models import PaymentBatch, PaymentTransfer
from tests.payments.support import CARE, approve, gp_visit, insured

NS = {"p": bankfile.NS}


@pytest.fixture
def batch(session):
    """A batch of three transfers (one payee with two claims)."""
    first, second, third = (insured(session) for _ in range(3))
    approve(
        session,
        [
            gp_visit(session, first, drug=True),
            gp_visit(session, first, 17_500, care=CARE + timedelta(days=10)),
            gp_visit(session, second),
            gp_visit(session, third, 9_950, drug=True),
        ],
    )
    return service.run(session, "test", execution_date=today() + timedelta(days=1)).batch


def parse(document: bytes) -> etree._Element:
    return etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))


def test_the_file_validates_against_the_xsd_and_its_control_sums_add_up(session, batch):
    _, document = service.bank_file(session, batch.number)
    assert bankfile.schema_errors(document) == []
    root = parse(document)
    txs = root.findall(".//p:CdtTrfTxInf", NS)
    amounts = [tx.find("p:Amt/p:InstdAmt", NS) for tx in txs]
    total = sum(Decimal(a.text) for a in amounts)

    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == batch.number
    for block in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert root.findtext(f"{block}/p:NbOfTxs", namespaces=NS) == "3"
        assert Decimal(root.findtext(f"{block}/p:CtrlSum", namespaces=NS)) == total
    assert total * 100 == batch.total_centimes
    assert all(a.get("Ccy") == "MAD" and len(a.text.split(".")[1]) == 2 for a in amounts)

    transfers = session.scalars(
        select(PaymentTransfer)
        .where(PaymentTransfer.batch_id == batch.id)
        .order_by(PaymentTransfer.id)
    ).all()
    assert [tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for tx in txs] == [
        t.reference for t in transfers
    ]
    assert [tx.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) for tx in txs] == [
        t.rib for t in transfers
    ]
    assert [Decimal(a.text) * 100 for a in amounts] == [t.amount_centimes for t in transfers]
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS) == batch.execution_date.isoformat()
    assert info.findtext("p:DbtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == (
        get_settings().fund_iban_or_rib
    )
    assert info.findtext("p:DbtrAcct/p:Ccy", namespaces=NS) == "MAD"
    assert info.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == (
        get_settings().fund_bic
    )


def test_the_schema_check_is_real(session, batch):
    _, document = service.bank_file(session, batch.number)
    root = parse(document)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    header.remove(header.find("p:NbOfTxs", NS))
    broken = etree.tostring(root)
    assert any("NbOfTxs" in e for e in bankfile.schema_errors(broken))
    with pytest.raises(bankfile.BankFileInvalid):
        bankfile.validate(broken)


def test_a_fund_iban_is_sent_as_an_iban(session, batch, monkeypatch):
    rib = get_settings().fund_iban_or_rib
    iban = f"MA{stdnum_iban.calc_check_digits('MA00' + rib)}{rib}"
    assert iban_problem(iban) is None
    monkeypatch.setattr(get_settings(), "fund_iban_or_rib", iban)
    transfers = session.scalars(select(PaymentTransfer).where(PaymentTransfer.batch_id == batch.id))
    document = bankfile.pain001(batch, list(transfers), bankfile.debtor(get_settings()), "MAD")
    assert bankfile.schema_errors(document) == []
    assert parse(document).findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == iban


def test_a_bad_fund_account_is_refused_naming_the_setting(session, batch, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "fund_bic", "NOPE")
    monkeypatch.setattr(settings, "fund_iban_or_rib", "MA00" + settings.fund_iban_or_rib)
    with pytest.raises(ValidationFailed) as caught:
        service.bank_file(session, batch.number)
    assert caught.value.code == "fund_account_invalid"
    assert {e.field for e in caught.value.detail} == {"DAMAN_FUND_IBAN_OR_RIB", "DAMAN_FUND_BIC"}


def test_the_development_account_is_refused_in_production(session, batch, monkeypatch):
    monkeypatch.setattr(get_settings(), "environment", "production")
    with pytest.raises(ValidationFailed) as caught:
        service.bank_file(session, batch.number)
    assert caught.value.detail[0].reason == "the development account is refused in production"


def test_the_run_writes_the_file_and_the_api_serves_its_bytes(client, session, batch):
    stored = session.get(PaymentBatch, batch.id)
    on_disk = get_settings().bank_dir / f"{batch.number}.pain.001.001.09.xml"
    assert (stored.status, stored.file_written_by, stored.file_name) == (
        "file_written",
        "test",
        on_disk.name,
    )
    assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == stored.file_sha256
    url = f"/api/v1/payments/batches/{batch.number}/pain001"
    first = client.get(url, headers={"X-Daman-Actor": "treasurer"})
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/xml")
    assert f"{batch.number}.pain.001.001.09.xml" in first.headers["content-disposition"]
    assert first.content == on_disk.read_bytes()
    assert bankfile.schema_errors(first.content) == []
    missing = client.get("/api/v1/payments/batches/PB00000000/pain001")
    assert missing.status_code == 404
