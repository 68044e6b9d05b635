"""Helpers of the claims and adjudication tests: providers, covered patients, payloads.

Patients come from daman.registry.builders; amounts are centimes; every payload is the
JSON `POST /api/v1/claims` takes.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.core.dates import today
from daman.providers.models import Provider
from daman.registry import builders as rb
from daman.registry.models import Person

GP_FEE = 15_000
BRAND = "6118990000017"  # GLUCADEM 850 MG: PPV 32.00, PRIX_BR 18.50, 70 %
GENERIC = "6118990000024"  # METFORMINE DEMOGEN 850 MG: PPV = PRIX_BR = 18.50
NOT_REIMBURSABLE = "6118990000284"  # VITADEM C 1000: 28.00, rate 0
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

_inpe = count(1)


def provider(
    session: Session, kind: str = "doctor", sector: str = "private", inpe: str | None = None
) -> Provider:
    row = Provider(
        inpe=inpe or f"T{next(_inpe):08d}",
        kind=kind,
        name=f"Test {kind} {sector}",
        sector=sector,
        valid_from=date(2000, 1, 1),
        created_by="test",
        updated_by="test",
    )
    session.add(row)
    session.flush()
    return row


def months_until_today(since: date) -> int:
    now = today()
    return (now.year - since.year) * 12 + now.month - since.month + 1


def cnss_insured(session: Session, since: date = date(2019, 1, 1), **fields: Any) -> Person:
    """A private-sector employee declaring 26 days a month from `since` to today
    (rights open on the first day of the third month)."""
    who = rb.insured(session, regime="CNSS_SAL", valid_from=since, **fields)
    rb.contributions(session, who, since, months=months_until_today(since), days=26)
    return who


def cnops_insured(session: Session, since: date = date(2010, 1, 1), **fields: Any) -> Person:
    """A public-sector member of the MGPAP mutual, covered from affiliation."""
    return rb.insured(session, regime="CNOPS", valid_from=since, **fields)


def act(
    provider: Provider,
    care_date: date,
    charged: int,
    *,
    key: str = "C",
    category: str = "consultation",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "category": category,
        "care_date": care_date.isoformat(),
        "provider_inpe": provider.inpe,
        "act_key": key,
        "charged_centimes": charged,
        **extra,
    }


def medicine(
    pharmacy: Provider,
    prescriber: Provider,
    care_date: date,
    code: str,
    charged: int,
    quantity: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "category": "medicine",
        "care_date": care_date.isoformat(),
        "provider_inpe": pharmacy.inpe,
        "drug_code": code,
        "quantity": quantity,
        "charged_centimes": charged,
        "prescriber_inpe": prescriber.inpe,
        "prescription_date": care_date.isoformat(),
        **extra,
    }


def paper(
    patient: Person, lines: list[dict[str, Any]], deposit: date | None = None, **extra: Any
) -> dict[str, Any]:
    """A paper claim handed in at an agency (by default 10 days after the last care)."""
    last = max(date.fromisoformat(ln["care_date"]) for ln in lines)
    return {
        "patient": patient.immatriculation,
        "channel": "agency",
        "deposit_date": (deposit or last + timedelta(days=10)).isoformat(),
        "lines": lines,
        **extra,
    }


def electronic(patient: Person, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"patient": patient.immatriculation, "lines": lines, **extra}


def recent(days: int = 3) -> date:
    return today() - timedelta(days=days)


def keep_documents_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Store documents under the test's own directory; the documents directory."""
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    return tmp_path / "documents"


@pytest.fixture
def documents_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return keep_documents_in(tmp_path, monkeypatch)
