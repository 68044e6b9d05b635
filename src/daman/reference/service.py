"""Use cases of the reference domain: scalar look-ups at a date and versioned edits.

The batch engine loads whole frames itself; these look-ups serve the API and single
claims. Editing never overwrites history: a new value is a new row valid from a date,
and the version it replaces is closed the day before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from sqlalchemy.orm import Session

from daman.core.dates import day_before
from daman.core.enums import CareCategory, Confidence, Exemption, Sector
from daman.core.errors import FieldError, ValidationFailed
from daman.reference import repository as repo
from daman.reference.errors import (
    DrugNotFound,
    DrugNotOnList,
    RateNotFound,
    TariffNotFound,
    VersionBeforeCurrent,
)
from daman.reference.models import ActTariff, AldDisease, CoverageRate, Drug, DrugPrice

__all__ = [
    "ald_list",
    "drug_price_at",
    "rate_at",
    "require_drug_price",
    "require_rate",
    "require_tariff",
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


def _close_previous(
    previous: ActTariff | CoverageRate | None, valid_from: date, actor: str, what: str
) -> None:
    if previous is None:
        return
    if valid_from <= previous.valid_from:
        raise VersionBeforeCurrent(
            f"the current {what} is valid from {previous.valid_from.isoformat()}; "
            f"a new version must start after it (got {valid_from.isoformat()})"
        )
    if previous.valid_to is None or previous.valid_to >= valid_from:
        previous.valid_to = day_before(valid_from)
        previous.updated_by = actor


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
    _close_previous(previous, valid_from, actor, f"tariff {key}")
    tariff = ActTariff(
        key=key,
        regime_code=regime_code,
        label=label or (previous.label if previous else ""),
        category=category or (previous.category if previous else ""),
        value_centimes=value_centimes,
        valid_from=valid_from,
        valid_to=None,
        source=source,
        confidence=confidence,
        created_by=actor,
        updated_by=actor,
    )
    session.add(tariff)
    session.flush()
    return tariff


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
    _close_previous(previous, valid_from, actor, f"rate {regime_code}/{category}")
    rate = CoverageRate(
        regime_code=regime_code,
        category=category,
        sector=sector,
        exemption=exemption,
        ald_code=ald_code,
        rate_bp=rate_bp,
        valid_from=valid_from,
        valid_to=None,
        source=source,
        confidence=confidence,
        created_by=actor,
        updated_by=actor,
    )
    session.add(rate)
    session.flush()
    return rate
