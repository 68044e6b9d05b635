"""Use cases of the reference domain: scalar look-ups at a date and versioned edits.

The batch engine loads whole frames itself; these look-ups serve the API and single
claims. Editing never overwrites history: a new value is a new row valid from a date,
and the version it replaces is closed the day before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session, object_session

from daman.core.dates import day_before
from daman.core.enums import CareCategory, Confidence, Exemption, LatePolicy, Sector
from daman.core.errors import FieldError, ValidationFailed
from daman.core.money import MAX_CENTIMES
from daman.reference import repository as repo
from daman.reference.errors import (
    DrugNotFound,
    DrugNotOnList,
    RateNotFound,
    TariffNotFound,
    VersionBeforeCurrent,
)
from daman.reference.models import (
    ActTariff,
    AdjudicationPolicy,
    Agency,
    AldDisease,
    AldKind,
    Ceiling,
    ComplementaryRate,
    CoverageRate,
    Drug,
    DrugPrice,
    Mutual,
)

__all__ = [
    "AldHeading",
    "NewAgency",
    "PolicyTerms",
    "add_ald_heading",
    "ald_list",
    "close_agency",
    "close_ald_heading",
    "drug_price_at",
    "open_agency",
    "rate_at",
    "require_drug_price",
    "require_rate",
    "require_tariff",
    "set_ceiling",
    "set_complementary_rate",
    "set_policy",
    "set_rate",
    "set_tariff",
    "tariff_at",
]


def tariff_at(session: Session, key: str, regime_code: str | None, on: date) -> ActTariff | None:
    """Value of a TNR key (or per-day tariff) for a regime on a date; the regime's own row
    wins over the general one. None when no row covers the date."""
    return repo.tariff_at(session, key, regime_code, on)


def rate_at(
    session: Session,
    regime_code: str,
    category: str,
    sector: str | None,
    exemption: str,
    on: date,
    ald_code: str | None = None,
) -> CoverageRate | None:
    """The AMO rate for a regime, care category, provider sector and exemption on a date."""
    return repo.rate_at(session, regime_code, category, sector, exemption, on, ald_code)


def drug_price_at(session: Session, code: str, on: date) -> tuple[Drug, DrugPrice] | None:
    """A drug and its prices on the list in force on a date; None when unknown or off-list."""
    drug = repo.drug_by_code(session, code)
    if drug is None:
        return None
    price = repo.price_at(session, drug.id, on)
    return (drug, price) if price is not None else None


def ald_list(session: Session, on: date | None) -> Sequence[AldDisease]:
    """The ALD/ALC headings in force on a date (all of them when `on` is None)."""
    return repo.ald_list(session, on)


def require_tariff(session: Session, key: str, regime_code: str | None, on: date) -> ActTariff:
    tariff = tariff_at(session, key, regime_code, on)
    if tariff is None:
        who = f" for regime {regime_code}" if regime_code else ""
        raise TariffNotFound(f"no tariff for key {key!r}{who} on {on.isoformat()}")
    return tariff


def require_rate(
    session: Session,
    regime_code: str,
    category: str,
    sector: str | None,
    exemption: str,
    on: date,
    ald_code: str | None = None,
) -> CoverageRate:
    rate = rate_at(session, regime_code, category, sector, exemption, on, ald_code)
    if rate is None:
        raise RateNotFound(
            f"no rate for {regime_code} / {category} / sector {sector or 'any'} / "
            f"exemption {exemption} on {on.isoformat()}"
        )
    return rate


def require_drug_price(session: Session, code: str, on: date) -> tuple[Drug, DrugPrice]:
    drug = repo.drug_by_code(session, code)
    if drug is None:
        raise DrugNotFound(f"no drug with code {code} on any list")
    price = repo.price_at(session, drug.id, on)
    if price is None:
        raise DrugNotOnList(f"drug {code} is not on the list in force on {on.isoformat()}")
    return drug, price


def _check(errors: list[FieldError], field: str, value: str | None, allowed: type[StrEnum]) -> None:
    if value is not None and value not in {m.value for m in allowed}:
        choices = ", ".join(m.value for m in allowed)
        errors.append(FieldError(field=field, reason=f"must be one of {choices}"))


def _check_regime(session: Session, errors: list[FieldError], regime_code: str | None) -> None:
    if regime_code is not None and repo.regime(session, regime_code) is None:
        errors.append(FieldError(field="regime_code", reason=f"unknown regime {regime_code}"))


# The rows versioned by key: a new version closes the previous one of the same key.
Versioned = ActTariff | CoverageRate | ComplementaryRate | Ceiling | AdjudicationPolicy


def _close_previous(previous: Versioned | None, valid_from: date, actor: str, what: str) -> None:
    if previous is None:
        return
    if valid_from <= previous.valid_from:
        raise VersionBeforeCurrent(
            f"the current {what} is valid from {previous.valid_from.isoformat()}; "
            f"a new version must start after it (got {valid_from.isoformat()})",
            current_from=previous.valid_from,
        )
    if previous.valid_to is None or previous.valid_to >= valid_from:
        previous.valid_to = day_before(valid_from)
        previous.updated_by = actor


V = TypeVar("V")


def _new_version(
    session: Session,
    model: Callable[..., V],
    previous: Versioned | None,
    what: str,
    *,
    valid_from: date,
    actor: str,
    **values: Any,
) -> V:
    """The version of `what` in force from `valid_from` (``previous``, the current one,
    ends the day before; a start not after its start is refused), stored and flushed."""
    _close_previous(previous, valid_from, actor, what)
    row = model(**values, valid_from=valid_from, valid_to=None, created_by=actor, updated_by=actor)
    session.add(row)
    session.flush()
    return row


def set_tariff(
    session: Session,
    *,
    key: str,
    regime_code: str | None,
    value_centimes: int,
    valid_from: date,
    actor: str,
    label: str | None = None,
    category: str | None = None,
    source: str = "",
    confidence: str = Confidence.HIGH,
) -> ActTariff:
    """A new version of a tariff from `valid_from`; the current one ends the day before."""
    errors: list[FieldError] = []
    _check_regime(session, errors, regime_code)
    _check(errors, "category", category, CareCategory)
    _check(errors, "confidence", confidence, Confidence)
    if value_centimes < 0:
        errors.append(FieldError(field="value_centimes", reason="must not be negative"))
    previous = repo.latest_tariff(session, key, regime_code)
    if previous is None and (not label or not category):
        for name, given in (("label", label), ("category", category)):
            if not given:
                errors.append(FieldError(field=name, reason="required for a new key"))
    if errors:
        raise ValidationFailed(errors)
    return _new_version(
        session,
        ActTariff,
        previous,
        f"tariff {key}",
        valid_from=valid_from,
        actor=actor,
        key=key,
        regime_code=regime_code,
        label=label or (previous.label if previous else ""),
        category=category or (previous.category if previous else ""),
        value_centimes=value_centimes,
        source=source,
        confidence=confidence,
    )


def set_rate(
    session: Session,
    *,
    regime_code: str,
    category: str,
    sector: str | None,
    exemption: str,
    rate_bp: int,
    valid_from: date,
    actor: str,
    ald_code: str | None = None,
    source: str = "",
    confidence: str = Confidence.HIGH,
) -> CoverageRate:
    """A new version of a rate line from `valid_from`; the current one ends the day before."""
    errors: list[FieldError] = []
    _check_regime(session, errors, regime_code)
    _check(errors, "category", category, CareCategory)
    _check(errors, "sector", sector, Sector)
    _check(errors, "exemption", exemption, Exemption)
    _check(errors, "confidence", confidence, Confidence)
    if not 0 <= rate_bp <= 10_000:
        errors.append(FieldError(field="rate_bp", reason="must be 0 to 10000 basis points"))
    if ald_code is not None and exemption == Exemption.NONE:
        errors.append(FieldError(field="ald_code", reason="only with an ald or alc exemption"))
    elif ald_code is not None and not repo.ald_disease_exists(session, ald_code):
        errors.append(FieldError(field="ald_code", reason=f"unknown ALD/ALC code {ald_code}"))
    if errors:
        raise ValidationFailed(errors)
    previous = repo.latest_rate(session, regime_code, category, sector, exemption, ald_code)
    return _new_version(
        session,
        CoverageRate,
        previous,
        f"rate {regime_code}/{category}",
        valid_from=valid_from,
        actor=actor,
        regime_code=regime_code,
        category=category,
        sector=sector,
        exemption=exemption,
        ald_code=ald_code,
        rate_bp=rate_bp,
        source=source,
        confidence=confidence,
    )


def set_complementary_rate(
    session: Session,
    *,
    mutual_code: str | None,
    category: str,
    rate_bp: int,
    valid_from: date,
    actor: str,
    source: str = "",
    confidence: str = Confidence.HIGH,
) -> ComplementaryRate:
    """A new version of a mutual's complementary rate for a care category (mutual None:
    the row for every mutual) from `valid_from`; the current one ends the day before."""
    errors: list[FieldError] = []
    if mutual_code is not None and session.get(Mutual, mutual_code) is None:
        errors.append(FieldError(field="mutual_code", reason=f"unknown mutual {mutual_code}"))
    _check(errors, "category", category, CareCategory)
    _check(errors, "confidence", confidence, Confidence)
    if not 0 <= rate_bp <= 10_000:
        errors.append(FieldError(field="rate_bp", reason="must be 0 to 10000 basis points"))
    if errors:
        raise ValidationFailed(errors)
    previous = repo.latest_complementary(session, mutual_code, category)
    return _new_version(
        session,
        ComplementaryRate,
        previous,
        f"complementary rate {category}",
        valid_from=valid_from,
        actor=actor,
        mutual_code=mutual_code,
        category=category,
        rate_bp=rate_bp,
        source=source,
        confidence=confidence,
    )


def set_ceiling(
    session: Session,
    *,
    category: str,
    regime_code: str | None,
    max_base_centimes: int | None,
    max_quantity: int | None,
    period_days: int,
    valid_from: date,
    actor: str,
    source: str = "",
    confidence: str = Confidence.HIGH,
) -> Ceiling:
    """A new version of a ceiling (a care category, for one regime or every one) from
    `valid_from`; the current one ends the day before."""
    errors: list[FieldError] = []
    _check(errors, "category", category, CareCategory)
    _check_regime(session, errors, regime_code)
    _check(errors, "confidence", confidence, Confidence)
    if max_base_centimes is None and max_quantity is None:
        errors.append(FieldError(field="max_base_centimes", reason="give an amount or units"))
    if max_base_centimes is not None and not 1 <= max_base_centimes <= MAX_CENTIMES:
        errors.append(FieldError(field="max_base_centimes", reason=f"must be 1 to {MAX_CENTIMES}"))
    if max_quantity is not None and max_quantity < 1:
        errors.append(FieldError(field="max_quantity", reason="must be at least 1"))
    if not 1 <= period_days <= 3660:
        errors.append(FieldError(field="period_days", reason="must be 1 to 3660 days"))
    if errors:
        raise ValidationFailed(errors)
    previous = repo.latest_ceiling(session, category, regime_code)
    return _new_version(
        session,
        Ceiling,
        previous,
        f"ceiling {category}",
        valid_from=valid_from,
        actor=actor,
        category=category,
        regime_code=regime_code,
        max_base_centimes=max_base_centimes,
        max_quantity=max_quantity,
        period_days=period_days,
        source=source,
        confidence=confidence,
    )


@dataclass(frozen=True)
class PolicyTerms:
    """What a version of the adjudication policy says (amounts in centimes, rates in basis
    points, care categories by value)."""

    filing_deadline_days: int
    late_policy: str
    late_penalty_bp: int
    review_threshold_centimes: int
    max_line_quantity: int
    max_line_charged_centimes: int
    max_claim_charged_centimes: int
    document_categories: Sequence[str] = ()
    continuous_categories: Sequence[str] = ()
    continuous_ald_categories: Sequence[str] = ()


def _categories(errors: list[FieldError], field: str, given: Sequence[str]) -> str:
    known = {c.value for c in CareCategory}
    unknown = sorted(set(given) - known)
    if unknown:
        errors.append(FieldError(field=field, reason=f"unknown care categories {unknown}"))
    return ",".join(c.value for c in CareCategory if c.value in set(given))


def set_policy(
    session: Session,
    terms: PolicyTerms,
    *,
    valid_from: date,
    actor: str,
    source: str = "",
    confidence: str = Confidence.HIGH,
) -> AdjudicationPolicy:
    """A new version of the fund's adjudication policy from `valid_from` (claims deposited
    from that day follow it); the current one ends the day before."""
    errors: list[FieldError] = []
    _check(errors, "late_policy", terms.late_policy, LatePolicy)
    _check(errors, "confidence", confidence, Confidence)
    if not 1 <= terms.filing_deadline_days <= 3660:
        errors.append(FieldError(field="filing_deadline_days", reason="must be 1 to 3660 days"))
    if not 0 <= terms.late_penalty_bp <= 10_000:
        errors.append(FieldError(field="late_penalty_bp", reason="must be 0 to 10000"))
    if not 0 <= terms.review_threshold_centimes <= MAX_CENTIMES:
        errors.append(FieldError(field="review_threshold_centimes", reason="out of range"))
    if not 1 <= terms.max_line_quantity <= 1_000_000:
        errors.append(FieldError(field="max_line_quantity", reason="must be 1 to 1000000"))
    line, claim = terms.max_line_charged_centimes, terms.max_claim_charged_centimes
    if not 1 <= line <= MAX_CENTIMES:
        errors.append(FieldError(field="max_line_charged_centimes", reason="out of range"))
    if not 1 <= claim <= MAX_CENTIMES:
        errors.append(FieldError(field="max_claim_charged_centimes", reason="out of range"))
    elif line > claim:
        errors.append(
            FieldError(field="max_claim_charged_centimes", reason="below the limit per line")
        )
    documents = _categories(errors, "document_categories", terms.document_categories)
    continuous = _categories(errors, "continuous_categories", terms.continuous_categories)
    under_ald = _categories(errors, "continuous_ald_categories", terms.continuous_ald_categories)
    if errors:
        raise ValidationFailed(errors)
    return _new_version(
        session,
        AdjudicationPolicy,
        repo.latest_policy(session),
        "adjudication policy",
        valid_from=valid_from,
        actor=actor,
        filing_deadline_days=terms.filing_deadline_days,
        late_policy=terms.late_policy,
        late_penalty_bp=terms.late_penalty_bp,
        review_threshold_centimes=terms.review_threshold_centimes,
        max_line_quantity=terms.max_line_quantity,
        max_line_charged_centimes=line,
        max_claim_charged_centimes=claim,
        document_categories=documents,
        continuous_categories=continuous,
        continuous_ald_categories=under_ald,
        source=source,
        confidence=confidence,
    )


_CODE = re.compile(r"[A-Z0-9_-]{2,12}")


def _close_on(row: AldDisease | Agency, closed_from: date, actor: str) -> None:
    """`row` is no longer in force from `closed_from`: it ends the day before."""
    if closed_from <= row.valid_from:
        raise ValidationFailed.one(
            "closed_from", f"must be after the first day, {row.valid_from.isoformat()}"
        )
    if row.valid_to is not None:
        raise ValidationFailed.one("closed_from", f"already ends on {row.valid_to.isoformat()}")
    row.valid_to = day_before(closed_from)
    row.updated_by = actor
    session = object_session(row)
    if session is not None:
        session.flush()


@dataclass(frozen=True)
class AldHeading:
    """A heading of the ALD/ALC list as an administrator adds it."""

    code: str
    kind: str
    name_fr: str
    name_ar: str = ""
    number: int | None = None
    icd10: str = ""


def add_ald_heading(
    session: Session, heading: AldHeading, *, valid_from: date, actor: str, source: str = ""
) -> AldDisease:
    """A new heading on the ALD/ALC list from `valid_from`. A heading's code names it for
    good (exemptions and rates point at it): a changed heading is the old one closed and a
    new code added from the same day."""
    errors: list[FieldError] = []
    code = heading.code.strip().upper()
    if not _CODE.fullmatch(code):
        errors.append(FieldError(field="code", reason="2 to 12 letters, digits, - or _"))
    elif repo.ald_heading(session, code) is not None:
        errors.append(FieldError(field="code", reason=f"{code} is already on the list"))
    _check(errors, "kind", heading.kind, AldKind)
    if not heading.name_fr.strip():
        errors.append(FieldError(field="name_fr", reason="required"))
    if heading.number is not None and not 1 <= heading.number <= 999:
        errors.append(FieldError(field="number", reason="must be 1 to 999"))
    if errors:
        raise ValidationFailed(errors)
    disease = AldDisease(
        code=code,
        number=heading.number,
        kind=heading.kind,
        name_fr=heading.name_fr.strip(),
        name_ar=heading.name_ar.strip() or None,
        icd10=heading.icd10.strip(),
        valid_from=valid_from,
        valid_to=None,
        source=source,
        created_by=actor,
        updated_by=actor,
    )
    session.add(disease)
    session.flush()
    return disease


def close_ald_heading(session: Session, code: str, *, closed_from: date, actor: str) -> AldDisease:
    """A heading taken off the list from `closed_from` (it ends the day before): exemptions
    granted for it keep their own dates."""
    disease = repo.ald_heading(session, code.strip().upper())
    if disease is None:
        raise ValidationFailed.one("code", f"no heading {code} on the list")
    _close_on(disease, closed_from, actor)
    return disease


@dataclass(frozen=True)
class NewAgency:
    code: str
    name_fr: str
    name_ar: str
    city: str
    region: str


def open_agency(session: Session, agency: NewAgency, *, valid_from: date, actor: str) -> Agency:
    """An agency of the fund that accepts files from `valid_from`."""
    errors: list[FieldError] = []
    code = agency.code.strip().upper()
    if not _CODE.fullmatch(code):
        errors.append(FieldError(field="code", reason="2 to 12 letters, digits, - or _"))
    elif session.get(Agency, code) is not None:
        errors.append(FieldError(field="code", reason=f"agency {code} exists already"))
    for field in ("name_fr", "name_ar", "city", "region"):
        if not getattr(agency, field).strip():
            errors.append(FieldError(field=field, reason="required"))
    if errors:
        raise ValidationFailed(errors)
    row = Agency(
        code=code,
        name_fr=agency.name_fr.strip(),
        name_ar=agency.name_ar.strip(),
        city=agency.city.strip(),
        region=agency.region.strip(),
        valid_from=valid_from,
        valid_to=None,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def close_agency(session: Session, code: str, *, closed_from: date, actor: str) -> Agency:
    """An agency that accepts no more files from `closed_from` (it ends the day before)."""
    agency = session.get(Agency, code.strip().upper())
    if agency is None:
        raise ValidationFailed.one("code", f"no agency {code}")
    _close_on(agency, closed_from, actor)
    return agency
