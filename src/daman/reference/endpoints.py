"""HTTP endpoints of the reference domain: read for everyone, versioned writes."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from daman.auth.access import SIGNED_IN, Principal, allow
from daman.auth.models import Role
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.enums import CareCategory, Exemption, Sector
from daman.core.errors import ValidationFailed, error_responses
from daman.core.pagination import Page, PageParams, page_params
from daman.reference import repository as repo
from daman.reference import service
from daman.reference.errors import (
    DrugNotFound,
    RateNotFound,
    TariffNotFound,
    VersionBeforeCurrent,
)
from daman.reference.schemas import (
    AgencyIn,
    AgencyOut,
    AldIn,
    AldOut,
    CeilingIn,
    CeilingOut,
    ClosingIn,
    ComplementaryHistoryOut,
    ComplementaryRateIn,
    ComplementaryRateOut,
    DrugOut,
    DrugPriceOut,
    MutualOut,
    MutualsOut,
    PolicyIn,
    PolicyOut,
    RateHistoryOut,
    RateIn,
    RateOut,
    RegimeOut,
    TariffIn,
    TariffOut,
)

router = APIRouter(prefix="/reference", tags=["reference"])

READ_ANY = allow(*SIGNED_IN)  # reference data holds nothing personal
ADMIN = allow(Role.ADMIN)  # tariffs and rates: the fund's administrators

READ_ANY = allow(*SIGNED_IN)  # reference data holds nothing personal
ADMIN = allow(Role.ADMIN)  # tariffs and rates: the fund's administrators

_DATE = Query(None, alias="date", description="YYYY-MM-DD; today in Casablanca when omitted")


def _known_regime(session: Session, code: str | None) -> None:
    if code is not None and repo.regime(session, code) is None:
        raise ValidationFailed.one("regime", f"unknown regime {code}")


@router.get("/regimes", response_model=list[RegimeOut])
def list_regimes(session: Session = SESSION, who: Principal = Depends(READ_ANY)) -> list[RegimeOut]:
    return [RegimeOut.model_validate(r) for r in repo.regimes(session)]


@router.get(
    "/tariffs",
    response_model=TariffOut,
    responses=error_responses(TariffNotFound, ValidationFailed),
)
def get_tariff(
    key: str = Query(..., min_length=1, max_length=20, description="TNR key, e.g. C, K, B"),
    regime: str | None = Query(None, description="regime code; general tariffs when omitted"),
    on: date | None = _DATE,
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> TariffOut:
    """The tariff of a key in force on a date (the regime's own row beats the general one)."""
    _known_regime(session, regime)
    return TariffOut.model_validate(service.require_tariff(session, key, regime, on or today()))


@router.get("/tariffs/history", response_model=list[TariffOut])
def tariff_history(
    key: str = Query(..., min_length=1, max_length=20),
    regime: str | None = Query(None, description="one regime and the general rows"),
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> list[TariffOut]:
    """Every version of a key, oldest first: general rows, then each regime's."""
    return [TariffOut.model_validate(t) for t in repo.tariff_history(session, key, regime)]


@router.post(
    "/tariffs",
    response_model=TariffOut,
    status_code=201,
    responses=error_responses(ValidationFailed, VersionBeforeCurrent),
)
def new_tariff(
    body: TariffIn,
    session: Session = SESSION,
    who: Principal = Depends(ADMIN),
) -> TariffOut:
    """A new version of a tariff from valid_from; the current version ends the day before."""
    tariff = service.set_tariff(
        session,
        key=body.key,
        regime_code=body.regime_code,
        value_centimes=body.value_centimes,
        valid_from=body.valid_from,
        actor=who.actor,
        label=body.label,
        category=body.category,
        source=body.source,
        confidence=body.confidence,
    )
    return TariffOut.model_validate(tariff)


@router.get(
    "/rates",
    response_model=RateOut,
    responses=error_responses(RateNotFound, ValidationFailed),
)
def get_rate(
    regime: str = Query(..., description="regime code"),
    category: CareCategory = Query(...),
    sector: Sector | None = Query(None, description="the provider's sector; any when omitted"),
    exemption: Exemption = Query(Exemption.NONE),
    ald_code: str | None = Query(None, description="the exempted disease, e.g. ALD09"),
    on: date | None = _DATE,
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> RateOut:
    """The AMO rate in force on a date for a regime, care category, sector and exemption."""
    _known_regime(session, regime)
    rate = service.require_rate(
        session, regime, category, sector, exemption, on or today(), ald_code
    )
    return RateOut.model_validate(rate)


@router.post(
    "/rates",
    response_model=RateOut,
    status_code=201,
    responses=error_responses(ValidationFailed, VersionBeforeCurrent),
)
def new_rate(
    body: RateIn,
    session: Session = SESSION,
    who: Principal = Depends(ADMIN),
) -> RateOut:
    """A new version of a rate line from valid_from; the current version ends the day before."""
    rate = service.set_rate(
        session,
        regime_code=body.regime_code,
        category=body.category,
        sector=body.sector,
        exemption=body.exemption,
        ald_code=body.ald_code,
        rate_bp=body.rate_bp,
        valid_from=body.valid_from,
        actor=who.actor,
        source=body.source,
        confidence=body.confidence,
    )
    return RateOut.model_validate(rate)


@router.get("/drugs", response_model=Page[DrugOut])
def search_drugs(
    q: str | None = Query(None, max_length=100, description="part of the name or DCI, or code"),
    on: date | None = _DATE,
    page: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> Page[DrugOut]:
    """Drugs by name, DCI or code, with the price on the list in force on the date."""
    drugs, total = repo.search_drugs(session, q, page.limit, page.offset)
    prices = repo.prices_at(session, [d.id for d in drugs], on or today())
    items = []
    for drug in drugs:
        out = DrugOut.model_validate(drug)
        price = prices.get(drug.id)
        out.price = DrugPriceOut.model_validate(price) if price else None
        items.append(out)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/drugs/{code}",
    response_model=DrugOut,
    responses=error_responses(DrugNotFound),
)
def get_drug(
    code: str,
    on: date | None = _DATE,
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> DrugOut:
    """A drug with its price on the list in force that day; 404 drug_not_found when the
    code is unknown, drug_not_on_list when no list in force that day prices it."""
    drug, price = service.require_drug_price(session, code, on or today())
    out = DrugOut.model_validate(drug)
    out.price = DrugPriceOut.model_validate(price)
    return out


@router.get("/ald", response_model=list[AldOut])
def list_ald(
    on: date | None = Query(None, alias="date", description="headings in force that day"),
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> list[AldOut]:
    """The ALD/ALC headings (all of them, or those in force on the date)."""
    return [AldOut.model_validate(a) for a in service.ald_list(session, on)]


@router.get("/mutuals", response_model=MutualsOut)
def list_mutuals(
    on: date | None = _DATE,
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> MutualsOut:
    """The CNOPS mutuals and the complementary cover in force on the date."""
    return MutualsOut(
        mutuals=[MutualOut.model_validate(m) for m in repo.mutuals(session)],
        complementary_rates=[
            ComplementaryRateOut.model_validate(c)
            for c in repo.complementary_rates(session, on or today())
        ],
    )


# -- versioned reference data: history for everyone, new versions for administrators ------


@router.get("/rates/history", response_model=list[RateHistoryOut])
def rate_history(
    regime: str = Query(..., max_length=20),
    category: CareCategory = Query(...),
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> list[RateHistoryOut]:
    """Every version of a regime's rate lines for a care category, oldest first."""
    return [RateHistoryOut.model_validate(r) for r in repo.rate_history(session, regime, category)]


@router.get("/complementary-rates/history", response_model=list[ComplementaryHistoryOut])
def complementary_history(
    mutual: str | None = Query(None, max_length=20, description="omitted: every mutual's rows"),
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> list[ComplementaryHistoryOut]:
    """Every version of a mutual's complementary rates, by care category, oldest first."""
    rows = repo.complementary_history(session, mutual)
    return [ComplementaryHistoryOut.model_validate(r) for r in rows]


@router.post(
    "/complementary-rates",
    response_model=ComplementaryHistoryOut,
    status_code=201,
    responses=error_responses(ValidationFailed, VersionBeforeCurrent),
)
def new_complementary_rate(
    body: ComplementaryRateIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> ComplementaryHistoryOut:
    """A new version of a complementary rate from valid_from; the current one ends the day
    before."""
    rate = service.set_complementary_rate(
        session,
        mutual_code=body.mutual_code,
        category=body.category,
        rate_bp=body.rate_bp,
        valid_from=body.valid_from,
        actor=who.actor,
        source=body.source,
        confidence=body.confidence,
    )
    return ComplementaryHistoryOut.model_validate(rate)


@router.get("/ceilings", response_model=list[CeilingOut])
def ceiling_history(
    session: Session = SESSION, who: Principal = Depends(READ_ANY)
) -> list[CeilingOut]:
    """Every version of every ceiling, by care category, oldest first."""
    return [CeilingOut.model_validate(c) for c in repo.ceiling_history(session)]


@router.post(
    "/ceilings",
    response_model=CeilingOut,
    status_code=201,
    responses=error_responses(ValidationFailed, VersionBeforeCurrent),
)
def new_ceiling(
    body: CeilingIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> CeilingOut:
    """A new version of a ceiling from valid_from; the current one ends the day before."""
    ceiling = service.set_ceiling(
        session,
        category=body.category,
        regime_code=body.regime_code,
        max_base_centimes=body.max_base_centimes,
        max_quantity=body.max_quantity,
        period_days=body.period_days,
        valid_from=body.valid_from,
        actor=who.actor,
        source=body.source,
        confidence=body.confidence,
    )
    return CeilingOut.model_validate(ceiling)


@router.get("/policies", response_model=list[PolicyOut])
def policy_history(
    session: Session = SESSION, who: Principal = Depends(READ_ANY)
) -> list[PolicyOut]:
    """Every version of the adjudication policy, oldest first."""
    return [PolicyOut.model_validate(p) for p in repo.policy_history(session)]


@router.post(
    "/policies",
    response_model=PolicyOut,
    status_code=201,
    responses=error_responses(ValidationFailed, VersionBeforeCurrent),
)
def new_policy(
    body: PolicyIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> PolicyOut:
    """A new version of the adjudication policy from valid_from (claims deposited from that
    day); the current one ends the day before."""
    terms = service.PolicyTerms(**body.model_dump(exclude={"valid_from", "source", "confidence"}))
    policy = service.set_policy(
        session,
        terms,
        valid_from=body.valid_from,
        actor=who.actor,
        source=body.source,
        confidence=body.confidence,
    )
    return PolicyOut.model_validate(policy)


@router.post(
    "/ald",
    response_model=AldOut,
    status_code=201,
    responses=error_responses(ValidationFailed),
)
def new_ald_heading(
    body: AldIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> AldOut:
    """A new heading on the ALD/ALC list from valid_from."""
    heading = service.AldHeading(
        code=body.code,
        kind=body.kind,
        name_fr=body.name_fr,
        name_ar=body.name_ar,
        number=body.number,
        icd10=body.icd10,
    )
    disease = service.add_ald_heading(
        session, heading, valid_from=body.valid_from, actor=who.actor, source=body.source
    )
    return AldOut.model_validate(disease)


@router.post(
    "/ald/{code}/close",
    response_model=AldOut,
    responses=error_responses(ValidationFailed),
)
def close_ald_heading(
    code: str, body: ClosingIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> AldOut:
    """A heading taken off the list from closed_from: it ends the day before."""
    disease = service.close_ald_heading(
        session, code, closed_from=body.closed_from, actor=who.actor
    )
    return AldOut.model_validate(disease)


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(
    session: Session = SESSION, who: Principal = Depends(READ_ANY)
) -> list[AgencyOut]:
    """The fund's agencies, open and closed, with their dates."""
    return [AgencyOut.model_validate(a) for a in repo.agencies(session)]


@router.post(
    "/agencies",
    response_model=AgencyOut,
    status_code=201,
    responses=error_responses(ValidationFailed),
)
def new_agency(
    body: AgencyIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> AgencyOut:
    """An agency that accepts files from valid_from."""
    agency = service.NewAgency(body.code, body.name_fr, body.name_ar, body.city, body.region)
    row = service.open_agency(session, agency, valid_from=body.valid_from, actor=who.actor)
    return AgencyOut.model_validate(row)


@router.post(
    "/agencies/{code}/close",
    response_model=AgencyOut,
    responses=error_responses(ValidationFailed),
)
def close_agency(
    code: str, body: ClosingIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> AgencyOut:
    """An agency that accepts no more files from closed_from: it ends the day before."""
    row = service.close_agency(session, code, closed_from=body.closed_from, actor=who.actor)
    return AgencyOut.model_validate(row)
