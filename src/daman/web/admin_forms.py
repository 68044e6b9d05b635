"""What the administrator's reference pages share (daman.web.admin_reference and
daman.web.admin_lists): values typed in a form read one by one (dates, amounts in MAD, rates
in %, whole numbers, Eastern Arabic digits accepted), each refusal said in the reader's
language under its field, the use case run in a savepoint so that a refusal leaves nothing
written, and the page shown with its errors (status 400) or without.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.core.dates import BUSINESS_TZ, aware
from daman.core.enums import (
    CATEGORY_LABELS,
    CareCategory,
    Confidence,
    Exemption,
    LatePolicy,
    Sector,
)
from daman.core.errors import DamanError
from daman.core.i18n import N_, translations
from daman.core.money import MoneyError, parse_mad
from daman.core.text import western_digits
from daman.reference.errors import VersionBeforeCurrent
from daman.web.shell import language, refusals, render

Errors = dict[str, str]
Gettext = Callable[[str], str]
Use = Callable[[], object]  # a use case, its values typed
Again = Callable[[Errors, Mapping[str, Any]], Response]  # the page again: errors, form


class VersionForm(BaseModel):
    """What every form adding a version carries, as typed: from when, and (for the rules)
    on what source and how sure. A refused form is shown again with these values."""

    valid_from: str = Field("", max_length=10)
    source: str = Field("", max_length=500)
    confidence: str = Field("H", max_length=12)


class ClosingForm(BaseModel):
    """Closing a heading or an agency from a date (it ends the day before)."""

    close_code: str = Field("", max_length=20)
    closed_from: str = Field("", max_length=10)


CONFIDENCE_LABELS = {
    Confidence.HIGH: N_("High"),
    Confidence.MEDIUM: N_("Medium"),
    Confidence.LOW: N_("Low"),
    Confidence.ASSUMPTION: N_("Assumption"),
}
SECTOR_LABELS = {Sector.PUBLIC: N_("Public sector"), Sector.PRIVATE: N_("Private sector")}
EXEMPTION_LABELS = {
    Exemption.NONE: N_("No exemption"),
    Exemption.ALD: N_("ALD exemption"),
    Exemption.ALC: N_("ALC exemption"),
}
LATE_LABELS = {
    LatePolicy.REJECT: N_("Reject the late claim's lines"),
    LatePolicy.PENALTY: N_("Cut the AMO part per started month late"),
}

# A refusal of the service, said in the reader's language under the form's field.
SAY = {
    "regime_code": ("regime_code", N_("Choose a regime from the list.")),
    "mutual_code": ("mutual_code", N_("Choose a mutual from the list.")),
    "category": ("category", N_("Choose a care category from the list.")),
    "sector": ("sector", N_("Choose a sector from the list.")),
    "exemption": ("exemption", N_("Choose an exemption from the list.")),
    "ald_code": ("ald_code", N_("Give a heading of the ALD/ALC list, and only with an exemption.")),
    "confidence": ("confidence", N_("Choose a confidence from the list.")),
    "rate_bp": ("rate", N_("Write a rate in percent, 0 to 100, for example 80 or 77.5.")),
    "max_base_centimes": ("max_base", N_("Give an amount above zero, or a number of units.")),
    "max_quantity": ("max_quantity", N_("Write a whole number of units, at least 1.")),
    "period_days": ("period_days", N_("Write a number of days from 1 to 3660.")),
    "filing_deadline_days": ("filing_deadline_days", N_("Write a number of days from 1 to 3660.")),
    "late_policy": ("late_policy", N_("Choose what happens to a late claim.")),
    "late_penalty_bp": (
        "late_penalty",
        N_("Write a rate in percent, 0 to 100, for example 80 or 77.5."),
    ),
    "review_threshold_centimes": (
        "review_threshold",
        N_("Write the amount in MAD, for example 120.50."),
    ),
    "max_line_quantity": ("max_line_quantity", N_("Write a whole number of units, at least 1.")),
    "max_line_charged_centimes": (
        "max_line_charged",
        N_("Write the amount in MAD, for example 120.50."),
    ),
    "max_claim_charged_centimes": (
        "max_claim_charged",
        N_("Write an amount in MAD no smaller than the limit per line."),
    ),
    "document_categories": ("document_categories", N_("Choose care categories from the list.")),
    "continuous_categories": ("continuous_categories", N_("Choose care categories from the list.")),
    "continuous_ald_categories": (
        "continuous_ald_categories",
        N_("Choose care categories from the list."),
    ),
    "code": ("code", N_("Write a new code of 2 to 12 letters or digits, not used before.")),
    "close_code": ("close_code", N_("Choose one from the list, not closed yet.")),
    "kind": ("kind", N_("Choose ALD or ALC.")),
    "name_fr": ("name_fr", N_("Write the name in French.")),
    "name_ar": ("name_ar", N_("Write the name in Arabic.")),
    "number": ("number", N_("Write the heading's number on the legal list, 1 to 999.")),
    "city": ("city", N_("Write the city.")),
    "region": ("region", N_("Write the region.")),
    "closed_from": (
        "closed_from",
        N_("Choose a day after the first day in force, for something not closed yet."),
    ),
}


# -- what is typed ---------------------------------------------------------------------


def typed_date(value: str) -> date | None:
    try:
        return date.fromisoformat(western_digits(value).strip())
    except ValueError:
        return None


def typed_amount(value: str) -> int | None:
    try:
        return parse_mad(western_digits(value))
    except MoneyError:
        return None


def typed_percent(value: str) -> int | None:
    """'80' or '77,5' or '٨٠ %' -> basis points (8000, 7750); None when not 0 to 100 %
    with at most two decimals."""
    text = western_digits(value).replace("%", "").replace("٫", ".").replace(",", ".").strip()
    try:
        points = Decimal(text) * 100
    except InvalidOperation:
        return None
    if not points.is_finite() or points != points.to_integral_value():
        return None
    return int(points) if 0 <= points <= 10_000 else None


def typed_whole(value: str) -> int | None:
    text = western_digits(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def percent(bp: int | None) -> str:
    """8000 -> '80 %', 7750 -> '77.5 %' (digits 0-9 in every language)."""
    if bp is None:
        return ""
    return f"{(Decimal(bp) / 100).normalize():f} %"


def when(at: datetime) -> str:
    """When a row was changed, to the minute, in Casablanca."""
    return aware(at).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


class Typed:
    """A form's values read one by one, each refusal said under its field."""

    def __init__(self, gettext: Gettext) -> None:
        self.say = gettext
        self.errors: Errors = {}

    def day(self, field: str, value: str) -> date:
        found = typed_date(value)
        if found is None:
            self.errors[field] = self.say("Write the date as YYYY-MM-DD.")
        return found or date.min

    def amount(self, field: str, value: str, optional: bool = False) -> int | None:
        if optional and not value.strip():
            return None
        found = typed_amount(value)
        if found is None:
            self.errors[field] = self.say("Write the amount in MAD, for example 120.50.")
        return found

    def rate(self, field: str, value: str) -> int:
        found = typed_percent(value)
        if found is None:
            self.errors[field] = self.say(
                "Write a rate in percent, 0 to 100, for example 80 or 77.5."
            )
        return found or 0

    def whole(self, field: str, value: str, optional: bool = False) -> int | None:
        if optional and not value.strip():
            return None
        found = typed_whole(value)
        if found is None:
            self.errors[field] = self.say("Write a whole number, for example 365.")
        return found


def refused(exc: DamanError, gettext: Gettext, rename: Mapping[str, str] | None = None) -> Errors:
    """A service's refusal in the reader's language, each under the form's field."""
    if isinstance(exc, VersionBeforeCurrent):
        start = exc.current_from.isoformat() if exc.current_from else ""
        message = gettext(
            "The version in force starts on %(date)s: a new version must start after it."
        )
        return {"valid_from": message % {"date": start}}
    errors: Errors = {}
    for field, reason in refusals(exc).items():
        target, message = SAY.get((rename or {}).get(field, field), SAY.get(field, (field, "")))
        errors[target] = gettext(message) if message else reason
    return errors


def show(
    request: Request,
    session: Session,
    who: Principal,
    template: str,
    context: dict[str, Any],
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    context = {
        **context,
        "errors": errors or {},
        "form": form or {},
        "percent": percent,
        "when": when,
        "confidence_labels": CONFIDENCE_LABELS,
        "confidences": choices(CONFIDENCE_LABELS),
        "category_choices": choices(CATEGORY_LABELS),
    }
    return render(
        request, template, context, who=who, session=session, status=400 if errors else 200
    )


def gettext_for(request: Request, who: Principal, session: Session) -> Gettext:
    return translations(language(request, who, session)).gettext


def saved(
    session: Session,
    use: Callable[[], object],
    gettext: Gettext,
    errors: Errors,
    rename: Mapping[str, str] | None = None,
) -> Errors:
    """Run a use case when the form was read without error, inside a savepoint: a refusal
    leaves nothing written and comes back as the form's errors."""
    if errors:
        return errors
    try:
        with session.begin_nested():
            use()
    except DamanError as exc:
        return refused(exc, gettext, rename)
    return {}


def submitted(
    request: Request,
    who: Principal,
    session: Session,
    form: BaseModel,
    read: Callable[[Typed], Use],
    again: Again,
    back: str,
    rename: Mapping[str, str] | None = None,
) -> Response:
    """What every form of these pages does once posted: ``read`` types the form's values
    in the reader's language (each refusal under its field) and gives the use case to call
    with them; the use case runs when nothing was refused, in a savepoint (``saved``); then
    a 303 to ``back``, or the page ``again`` with the refusals (status 400) and the form as
    it was typed. ``rename`` names a service's field as the form calls it."""
    gettext = gettext_for(request, who, session)
    typed = Typed(gettext)
    use = read(typed)
    errors = saved(session, use, gettext, typed.errors, rename)
    if errors:
        return again(errors, form.model_dump())
    return RedirectResponse(back, status_code=303)


def choices(labels: Mapping[Any, str]) -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in labels.items()]


CATEGORIES = [c.value for c in CareCategory]
