"""What synthetic claims are drawn from, read once from the database: patients (and those
whose rights have ended, and those with an ALD exemption), providers by group, the drug
list and the tariffs providers charge from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from daman.core.enums import ProviderKind, Sector
from daman.providers.models import Provider
from daman.reference.models import ActTariff, Drug, DrugPrice
from daman.registry.models import Affiliation, AldExemption, Person
from daman.synth.providers import GENERAL_PRACTICE

ENDED_RIGHTS_DAYS = 240  # affiliations ended this long ago: maintained rights have run out
ALD_DRUGS = {"ALD09": ("METFORMINE", "INSULINE"), "ALD14": ("AMLODIPINE", "LOSARTAN")}
CONSULTATION_KEYS = {"cardiologie": "CsC", "psychiatrie": "CNPSY", "neurologie": "CNPSY"}


@dataclass(frozen=True)
class Prov:
    id: int
    key: str  # consultation key for doctors, else ""


@dataclass(frozen=True)
class Medicine:
    code: str
    ppv: int
    dci: str


Providers = dict[str, list[Prov]]  # by group: gp, specialist, pharmacy, clinic ...


@dataclass
class ClaimContext:
    """What claims are drawn from, read once from the database."""

    patients: list[tuple[int, date]]  # id, birth date
    ended: list[int]  # persons whose rights ended (affiliation ended long ago)
    ald: dict[int, str]  # person -> ALD code of an exemption in force
    providers: Providers
    reimbursable: list[Medicine]
    not_reimbursable: list[Medicine]
    tariffs: dict[str, int]  # key -> highest value in force (what providers charge from)

    def ald_medicines(self, code: str) -> list[Medicine]:
        words = ALD_DRUGS.get(code, ())
        found = [m for m in self.reimbursable if any(w in m.dci for w in words)]
        return found or self.reimbursable


def _group(kind: str, sector: str, specialty: str | None) -> str:
    if kind == ProviderKind.DOCTOR:
        return "gp" if specialty in (None, GENERAL_PRACTICE) else "specialist"
    if kind == ProviderKind.HOSPITAL:
        return "hospital_public" if sector == Sector.PUBLIC else "hospital_private"
    return kind


def load_context(session: Session, on: date) -> ClaimContext:
    patients = [
        (r.id, r.birth_date)
        for r in session.execute(select(Person.id, Person.birth_date).order_by(Person.id))
    ]
    ended = list(
        session.scalars(
            select(Affiliation.person_id)
            .where(Affiliation.valid_to < on - timedelta(days=ENDED_RIGHTS_DAYS))
            .order_by(Affiliation.person_id)
            .distinct()
        )
    )
    ald = {
        r.person_id: r.ald_code
        for r in session.execute(
            select(AldExemption.person_id, AldExemption.ald_code)
            .where(
                AldExemption.valid_from <= on,
                or_(AldExemption.valid_to.is_(None), AldExemption.valid_to >= on),
            )
            .order_by(AldExemption.person_id, AldExemption.id)
        )
    }
    providers: dict[str, list[Prov]] = {}
    for p in session.execute(
        select(Provider.id, Provider.kind, Provider.sector, Provider.specialty)
        .where(
            Provider.valid_from <= on - timedelta(days=200),
            or_(Provider.valid_to.is_(None), Provider.valid_to >= on),
        )
        .order_by(Provider.id)
    ):
        group = _group(p.kind, p.sector, p.specialty)
        key = ""
        if group == "gp":
            key = "C"
        elif group == "specialist":
            key = CONSULTATION_KEYS.get(p.specialty or "", "Cs")
        providers.setdefault(group, []).append(Prov(p.id, key))
    reimbursable: list[Medicine] = []
    not_reimbursable: list[Medicine] = []
    for d in session.execute(
        select(Drug.code, Drug.dci, DrugPrice.ppv_centimes, DrugPrice.rate_bp)
        .join(DrugPrice, DrugPrice.drug_id == Drug.id)
        .where(
            DrugPrice.valid_from <= on,
            or_(DrugPrice.valid_to.is_(None), DrugPrice.valid_to >= on),
            DrugPrice.ppv_centimes > 0,
        )
        .order_by(Drug.code)
    ):
        medicine = Medicine(d.code, d.ppv_centimes, d.dci or "")
        (reimbursable if d.rate_bp > 0 else not_reimbursable).append(medicine)
    tariffs: dict[str, int] = {}
    for t in session.execute(
        select(ActTariff.key, ActTariff.value_centimes).where(
            ActTariff.valid_from <= on, or_(ActTariff.valid_to.is_(None), ActTariff.valid_to >= on)
        )
    ):
        tariffs[t.key] = max(tariffs.get(t.key, 0), t.value_centimes)
    return ClaimContext(patients, ended, ald, providers, reimbursable, not_reimbursable, tariffs)
