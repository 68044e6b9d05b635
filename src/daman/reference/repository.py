"""Every query of the reference domain.

Resolution at a date: a row applies when valid_from <= date <= valid_to (open when
valid_to is NULL). Where a row for a specific regime, sector or disease and a general row
(NULL = any) both apply, the specific one wins; among equals the latest valid_from wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from daman.core.dates import in_force_on
from daman.core.enums import LatePolicy
from daman.reference.models import (
    ActTariff,
    AdjudicationPolicy,
    Agency,
    AldDisease,
    Ceiling,
    ComplementaryRate,
    CoverageRate,
    Drug,
    DrugPrice,
    Mutual,
    Regime,
)


def in_force(
    valid_from: InstrumentedAttribute[date], valid_to: InstrumentedAttribute[date | None], on: date
) -> ColumnElement[bool]:
    return (valid_from <= on) & or_(valid_to.is_(None), valid_to >= on)


def _general_last(column: InstrumentedAttribute[str | None]) -> ColumnElement[int]:
    """Sort key: 0 for a specific row, 1 for a NULL (= any) row."""
    return case((column.is_(None), 1), else_=0)


def regimes(session: Session) -> Sequence[Regime]:
    return session.scalars(select(Regime).order_by(Regime.code)).all()


def regime(session: Session, code: str) -> Regime | None:
    return session.get(Regime, code)


def mutuals(session: Session) -> Sequence[Mutual]:
    return session.scalars(select(Mutual).order_by(Mutual.code)).all()


def complementary_rates(session: Session, on: date) -> Sequence[ComplementaryRate]:
    return session.scalars(
        select(ComplementaryRate)
        .where(in_force(ComplementaryRate.valid_from, ComplementaryRate.valid_to, on))
        .order_by(ComplementaryRate.mutual_code, ComplementaryRate.category)
    ).all()


def tariff_at(session: Session, key: str, regime_code: str | None, on: date) -> ActTariff | None:
    """The tariff of a key in force on a date: the regime's own row, else the general one."""
    applies: ColumnElement[bool] = ActTariff.regime_code.is_(None)
    if regime_code is not None:
        applies = or_(applies, ActTariff.regime_code == regime_code)
    return session.scalars(
        select(ActTariff)
        .where(
            ActTariff.key == key, applies, in_force(ActTariff.valid_from, ActTariff.valid_to, on)
        )
        .order_by(_general_last(ActTariff.regime_code), ActTariff.valid_from.desc())
        .limit(1)
    ).first()


def tariff_history(
    session: Session, key: str, regime_code: str | None = None
) -> Sequence[ActTariff]:
    """Every version of a key, general rows first, then each regime's, oldest first."""
    query = select(ActTariff).where(ActTariff.key == key)
    if regime_code is not None:
        query = query.where(
            or_(ActTariff.regime_code.is_(None), ActTariff.regime_code == regime_code)
        )
    return session.scalars(
        query.order_by(
            -_general_last(ActTariff.regime_code), ActTariff.regime_code, ActTariff.valid_from
        )
    ).all()


def latest_tariff(session: Session, key: str, regime_code: str | None) -> ActTariff | None:
    """The newest version of exactly this (key, regime) line, NULL regime included."""
    return session.scalars(
        select(ActTariff)
        .where(ActTariff.key == key, _same(ActTariff.regime_code, regime_code))
        .order_by(ActTariff.valid_from.desc())
        .limit(1)
    ).first()


def _same(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def rate_at(
    session: Session,
    regime_code: str,
    category: str,
    sector: str | None,
    exemption: str,
    on: date,
    ald_code: str | None = None,
) -> CoverageRate | None:
    """The AMO rate in force: a disease's own row beats the general one, then a sector's
    own row beats the any-sector one."""
    sector_ok: ColumnElement[bool] = CoverageRate.sector.is_(None)
    if sector is not None:
        sector_ok = or_(sector_ok, CoverageRate.sector == sector)
    ald_ok: ColumnElement[bool] = CoverageRate.ald_code.is_(None)
    if ald_code is not None:
        ald_ok = or_(ald_ok, CoverageRate.ald_code == ald_code)
    return session.scalars(
        select(CoverageRate)
        .where(
            CoverageRate.regime_code == regime_code,
            CoverageRate.category == category,
            CoverageRate.exemption == exemption,
            sector_ok,
            ald_ok,
            in_force(CoverageRate.valid_from, CoverageRate.valid_to, on),
        )
        .order_by(
            _general_last(CoverageRate.ald_code),
            _general_last(CoverageRate.sector),
            CoverageRate.valid_from.desc(),
        )
        .limit(1)
    ).first()


def latest_rate(
    session: Session,
    regime_code: str,
    category: str,
    sector: str | None,
    exemption: str,
    ald_code: str | None,
) -> CoverageRate | None:
    """The newest version of exactly this rate line (NULL sector / disease included)."""
    return session.scalars(
        select(CoverageRate)
        .where(
            CoverageRate.regime_code == regime_code,
            CoverageRate.category == category,
            CoverageRate.exemption == exemption,
            _same(CoverageRate.sector, sector),
            _same(CoverageRate.ald_code, ald_code),
        )
        .order_by(CoverageRate.valid_from.desc())
        .limit(1)
    ).first()


def rate_history(session: Session, regime_code: str, category: str) -> Sequence[CoverageRate]:
    """Every version of a regime's rate lines for a care category: by exemption, sector
    (any sector first) and disease, oldest first."""
    return session.scalars(
        select(CoverageRate)
        .where(CoverageRate.regime_code == regime_code, CoverageRate.category == category)
        .order_by(
            CoverageRate.exemption,
            -_general_last(CoverageRate.sector),
            CoverageRate.sector,
            -_general_last(CoverageRate.ald_code),
            CoverageRate.ald_code,
            CoverageRate.valid_from,
        )
    ).all()


def complementary_history(session: Session, mutual_code: str | None) -> Sequence[ComplementaryRate]:
    """Every version of a mutual's complementary rates (NULL: the rows for every mutual),
    by care category, oldest first."""
    return session.scalars(
        select(ComplementaryRate)
        .where(_same(ComplementaryRate.mutual_code, mutual_code))
        .order_by(ComplementaryRate.category, ComplementaryRate.valid_from)
    ).all()


def latest_complementary(
    session: Session, mutual_code: str | None, category: str
) -> ComplementaryRate | None:
    return session.scalars(
        select(ComplementaryRate)
        .where(
            _same(ComplementaryRate.mutual_code, mutual_code),
            ComplementaryRate.category == category,
        )
        .order_by(ComplementaryRate.valid_from.desc())
        .limit(1)
    ).first()


def ceiling_history(session: Session) -> Sequence[Ceiling]:
    """Every version of every ceiling (a few dozen rows): by care category, the rows for
    every regime first, oldest first."""
    return session.scalars(
        select(Ceiling).order_by(
            Ceiling.category,
            -_general_last(Ceiling.regime_code),
            Ceiling.regime_code,
            Ceiling.valid_from,
        )
    ).all()


def latest_ceiling(session: Session, category: str, regime_code: str | None) -> Ceiling | None:
    return session.scalars(
        select(Ceiling)
        .where(Ceiling.category == category, _same(Ceiling.regime_code, regime_code))
        .order_by(Ceiling.valid_from.desc())
        .limit(1)
    ).first()


def policy_history(session: Session) -> Sequence[AdjudicationPolicy]:
    """Every version of the adjudication policy, oldest first."""
    return session.scalars(
        select(AdjudicationPolicy).order_by(AdjudicationPolicy.valid_from, AdjudicationPolicy.id)
    ).all()


def latest_policy(session: Session) -> AdjudicationPolicy | None:
    return session.scalars(
        select(AdjudicationPolicy)
        .order_by(AdjudicationPolicy.valid_from.desc(), AdjudicationPolicy.id.desc())
        .limit(1)
    ).first()


def ald_heading(session: Session, code: str) -> AldDisease | None:
    return session.scalars(select(AldDisease).where(AldDisease.code == code)).first()


def agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency).order_by(Agency.region, Agency.city, Agency.code)).all()


def drug_by_code(session: Session, code: str) -> Drug | None:
    return session.scalars(select(Drug).where(Drug.code == code)).first()


def price_at(session: Session, drug_id: int, on: date) -> DrugPrice | None:
    return session.scalars(
        select(DrugPrice)
        .where(DrugPrice.drug_id == drug_id, in_force(DrugPrice.valid_from, DrugPrice.valid_to, on))
        .order_by(DrugPrice.valid_from.desc())
        .limit(1)
    ).first()


def prices_at(session: Session, drug_ids: Sequence[int], on: date) -> dict[int, DrugPrice]:
    if not drug_ids:
        return {}
    rows = session.scalars(
        select(DrugPrice).where(
            DrugPrice.drug_id.in_(drug_ids),
            in_force(DrugPrice.valid_from, DrugPrice.valid_to, on),
        )
    )
    return {p.drug_id: p for p in rows}


def _drug_search(q: str | None) -> Select[Drug]:
    query = select(Drug)
    if q and q.strip():
        term = q.strip()
        query = query.where(
            or_(
                Drug.name.icontains(term, autoescape=True),
                Drug.dci.icontains(term, autoescape=True),
                Drug.code.startswith(term, autoescape=True),
            )
        )
    return query


def search_drugs(
    session: Session, q: str | None, limit: int, offset: int
) -> tuple[Sequence[Drug], int]:
    """Drugs whose name or DCI contains q (any case) or whose code starts with q."""
    query = _drug_search(q)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.scalars(query.order_by(Drug.name, Drug.code).limit(limit).offset(offset)).all()
    return items, total


def tariffs_starting(session: Session, prefix: str, on: date, limit: int) -> Sequence[ActTariff]:
    """Tariff rows in force on a date whose key starts with ``prefix`` (any case), by key,
    the general row (every regime) before each regime's own: what a look-up as one types
    offers. A few hundred rows in all: no index needed."""
    return session.scalars(
        select(ActTariff)
        .where(
            in_force(ActTariff.valid_from, ActTariff.valid_to, on),
            func.lower(ActTariff.key).startswith(prefix.strip().lower(), autoescape=True),
        )
        .order_by(func.lower(ActTariff.key), ActTariff.key, -_general_last(ActTariff.regime_code))
        .limit(limit)
    ).all()


def drugs_listed_on(session: Session, q: str, on: date, limit: int) -> list[tuple[Drug, DrugPrice]]:
    """Drugs on the list in force on a date (a price row covering it) whose code starts
    with q or whose name or DCI contains it (any case), with that price, by name."""
    term = q.strip()
    rows = session.execute(
        select(Drug, DrugPrice)
        .join(DrugPrice, DrugPrice.drug_id == Drug.id)
        .where(
            in_force(DrugPrice.valid_from, DrugPrice.valid_to, on),
            or_(
                Drug.code.startswith(term, autoescape=True),
                Drug.name.icontains(term, autoescape=True),
                Drug.dci.icontains(term, autoescape=True),
            ),
        )
        .order_by(Drug.name, Drug.code)
        .limit(limit)
    )
    return [(drug, price) for drug, price in rows]


def ald_list(session: Session, on: date | None) -> Sequence[AldDisease]:
    query = select(AldDisease)
    if on is not None:
        query = query.where(in_force(AldDisease.valid_from, AldDisease.valid_to, on))
    return session.scalars(
        query.order_by(AldDisease.number.is_(None), AldDisease.number, AldDisease.code)
    ).all()


def ald_disease_exists(session: Session, code: str) -> bool:
    return session.scalar(select(AldDisease.id).where(AldDisease.code == code)) is not None


def latest_drug_list(session: Session) -> date | None:
    """The valid-from date of the latest drug list loaded (the list in force today)."""
    return session.execute(select(func.max(DrugPrice.valid_from))).scalar()


@dataclass(frozen=True)
class PolicyRow:
    id: int
    valid_from: date
    valid_to: date | None
    filing_deadline_days: int
    late_policy: LatePolicy
    late_penalty_bp: int
    review_threshold_centimes: int
    max_line_quantity: int
    document_categories: str
    max_line_charged_centimes: int
    max_claim_charged_centimes: int
    continuous_categories: str
    continuous_ald_categories: str

    @property
    def continuous(self) -> frozenset[str]:
        """Categories a continuous treatment end may cover."""
        return category_set(self.continuous_categories)

    @property
    def continuous_under_ald(self) -> frozenset[str]:
        """Categories it may cover for lines linked to an ALD the patient is exempted for."""
        return category_set(self.continuous_ald_categories)


def category_set(text: str) -> frozenset[str]:
    """'hospitalisation, optical' -> {'hospitalisation', 'optical'} (a policy's lists)."""
    return frozenset(c.strip() for c in text.split(",") if c.strip())


def policies(session: Session) -> list[PolicyRow]:
    """Every policy row (a handful), most recent first."""
    rows = session.execute(
        select(
            AdjudicationPolicy.id,
            AdjudicationPolicy.valid_from,
            AdjudicationPolicy.valid_to,
            AdjudicationPolicy.filing_deadline_days,
            AdjudicationPolicy.late_policy,
            AdjudicationPolicy.late_penalty_bp,
            AdjudicationPolicy.review_threshold_centimes,
            AdjudicationPolicy.max_line_quantity,
            AdjudicationPolicy.document_categories,
            AdjudicationPolicy.max_line_charged_centimes,
            AdjudicationPolicy.max_claim_charged_centimes,
            AdjudicationPolicy.continuous_categories,
            AdjudicationPolicy.continuous_ald_categories,
        ).order_by(AdjudicationPolicy.valid_from.desc(), AdjudicationPolicy.id.desc())
    )
    return [PolicyRow(**r._mapping) for r in rows]


def policy_on(rows: Sequence[PolicyRow], day: date) -> PolicyRow | None:
    """The policy in force on a day: the latest row whose range covers it."""
    return in_force_on(rows, day)
