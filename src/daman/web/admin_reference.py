"""The administrator's reference data as effective-dated versions, beside the tariffs of
daman.web.admin: AMO coverage rates, the mutuals' complementary rates, ceilings, the
adjudication policy, the ALD/ALC list and the fund's agencies. Each page shows the history
of every version (from, until, source, confidence, who changed it and when) and adds a new
one from a date through the reference service the API calls: the version in force of the
same key ends the day before, a date before its start is refused under its field, and a
refused form leaves nothing written. Amounts are typed in MAD, rates in %, Eastern Arabic
digits accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.enums import CareCategory
from daman.core.i18n import RTL
from daman.core.money import format_mad
from daman.reference import repository as repo
from daman.reference import service as reference
from daman.web.admin_forms import (
    CATEGORIES,
    EXEMPTION_LABELS,
    LATE_LABELS,
    SECTOR_LABELS,
    Errors,
    Typed,
    Use,
    VersionForm,
    choices,
    percent,
    show,
    submitted,
)
from daman.web.shell import FORM, language, page

router = APIRouter(include_in_schema=False)
ADMIN = page(Role.ADMIN)


# -- AMO coverage rates ----------------------------------------------------------------


def _rates_page(
    request: Request,
    session: Session,
    who: Principal,
    regime: str,
    category: str,
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    regimes = [r.code for r in repo.regimes(session)]
    regime = regime if regime in regimes else (regimes[0] if regimes else "")
    category = category if category in CATEGORIES else CareCategory.CONSULTATION.value
    context = {
        "regime": regime,
        "category": category,
        "regimes": regimes,
        "regime_choices": [(r, r) for r in regimes],
        "categories": CATEGORIES,
        "history": repo.rate_history(session, regime, category) if regime else [],
        "sectors": choices(SECTOR_LABELS),
        "exemptions": choices(EXEMPTION_LABELS),
        "sector_labels": SECTOR_LABELS,
        "exemption_labels": EXEMPTION_LABELS,
    }
    form = form or {"regime_code": regime, "category": category, "exemption": "none"}
    return show(request, session, who, "admin/rates.html", context, errors, form)


@router.get("/office/admin/rates")
def rates(
    request: Request,
    regime: str = Query("", max_length=20),
    category: str = Query("", max_length=30),
    who: Principal = Depends(ADMIN),
    session: Session = SESSION,
) -> Response:
    return _rates_page(request, session, who, regime, category)


class RateForm(VersionForm):
    regime_code: str = Field("", max_length=20)
    category: str = Field("", max_length=30)
    sector: str = Field("", max_length=10)
    exemption: str = Field("none", max_length=10)
    ald_code: str = Field("", max_length=20)
    rate: str = Field("", max_length=20)


@router.post("/office/admin/rates")
def new_rate(
    request: Request,
    form: Annotated[RateForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    def read(typed: Typed) -> Use:
        rate_bp = typed.rate("rate", form.rate)
        start = typed.day("valid_from", form.valid_from)
        return lambda: reference.set_rate(
            session,
            regime_code=form.regime_code,
            category=form.category,
            sector=form.sector or None,
            exemption=form.exemption,
            ald_code=form.ald_code.strip().upper() or None,
            rate_bp=rate_bp,
            valid_from=start,
            actor=who.actor,
            source=form.source.strip(),
            confidence=form.confidence,
        )

    again = partial(_rates_page, request, session, who, form.regime_code, form.category)
    back = f"/office/admin/rates?regime={form.regime_code}&category={form.category}"
    return submitted(request, who, session, form, read, again, back)


# -- complementary rates of the mutuals --------------------------------------------------


def _complementary_page(
    request: Request,
    session: Session,
    who: Principal,
    mutual: str,
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    mutuals = list(repo.mutuals(session))
    mutual = mutual if mutual in {m.code for m in mutuals} else ""
    arabic = language(request, who, session) in RTL
    context = {
        "mutual_choices": [
            (m.code, f"{m.code} · {m.name_ar if arabic and m.name_ar else m.name}") for m in mutuals
        ],
        "mutual": mutual,
        "mutuals": mutuals,
        "named": next((m for m in mutuals if m.code == mutual), None),
        "categories": CATEGORIES,
        "history": repo.complementary_history(session, mutual or None),
    }
    form = form or {"mutual_code": mutual}
    return show(request, session, who, "admin/complementary.html", context, errors, form)


@router.get("/office/admin/complementary")
def complementary(
    request: Request,
    mutual: str = Query("", max_length=20),
    who: Principal = Depends(ADMIN),
    session: Session = SESSION,
) -> Response:
    return _complementary_page(request, session, who, mutual)


class ComplementaryForm(VersionForm):
    mutual_code: str = Field("", max_length=20)
    category: str = Field("", max_length=30)
    rate: str = Field("", max_length=20)


@router.post("/office/admin/complementary")
def new_complementary(
    request: Request,
    form: Annotated[ComplementaryForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    def read(typed: Typed) -> Use:
        rate_bp = typed.rate("rate", form.rate)
        start = typed.day("valid_from", form.valid_from)
        return lambda: reference.set_complementary_rate(
            session,
            mutual_code=form.mutual_code or None,
            category=form.category,
            rate_bp=rate_bp,
            valid_from=start,
            actor=who.actor,
            source=form.source.strip(),
            confidence=form.confidence,
        )

    again = partial(_complementary_page, request, session, who, form.mutual_code)
    back = f"/office/admin/complementary?mutual={form.mutual_code}"
    return submitted(request, who, session, form, read, again, back)


# -- ceilings ----------------------------------------------------------------------------


def _ceilings_page(
    request: Request,
    session: Session,
    who: Principal,
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    context = {
        "regime_choices": [(r.code, r.code) for r in repo.regimes(session)],
        "categories": CATEGORIES,
        "history": repo.ceiling_history(session),
    }
    return show(request, session, who, "admin/ceilings.html", context, errors, form)


@router.get("/office/admin/ceilings")
def ceilings(
    request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION
) -> Response:
    return _ceilings_page(request, session, who)


class CeilingForm(VersionForm):
    category: str = Field("", max_length=30)
    regime_code: str = Field("", max_length=20)
    max_base: str = Field("", max_length=20)
    max_quantity: str = Field("", max_length=12)
    period_days: str = Field("", max_length=12)


@router.post("/office/admin/ceilings")
def new_ceiling(
    request: Request,
    form: Annotated[CeilingForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    def read(typed: Typed) -> Use:
        base = typed.amount("max_base", form.max_base, optional=True)
        units = typed.whole("max_quantity", form.max_quantity, optional=True)
        days = typed.whole("period_days", form.period_days) or 0
        start = typed.day("valid_from", form.valid_from)
        return lambda: reference.set_ceiling(
            session,
            category=form.category,
            regime_code=form.regime_code or None,
            max_base_centimes=base,
            max_quantity=units,
            period_days=days,
            valid_from=start,
            actor=who.actor,
            source=form.source.strip(),
            confidence=form.confidence,
        )

    again = partial(_ceilings_page, request, session, who)
    return submitted(request, who, session, form, read, again, "/office/admin/ceilings")


# -- the adjudication policy -------------------------------------------------------------

POLICY_FIELDS = (
    "filing_deadline_days",
    "late_policy",
    "late_penalty",
    "review_threshold",
    "max_line_quantity",
    "max_line_charged",
    "max_claim_charged",
)
POLICY_LISTS = ("document_categories", "continuous_categories", "continuous_ald_categories")


def _policy_form(session: Session) -> dict[str, Any]:
    """The form filled with the version in force last, so that only what changes is typed."""
    latest = repo.latest_policy(session)
    if latest is None:
        return {name: "" for name in POLICY_FIELDS} | {name: [] for name in POLICY_LISTS}
    return {
        "filing_deadline_days": str(latest.filing_deadline_days),
        "late_policy": latest.late_policy.value,
        "late_penalty": percent(latest.late_penalty_bp).removesuffix(" %"),
        "review_threshold": format_mad(latest.review_threshold_centimes),
        "max_line_quantity": str(latest.max_line_quantity),
        "max_line_charged": format_mad(latest.max_line_charged_centimes),
        "max_claim_charged": format_mad(latest.max_claim_charged_centimes),
        **{name: sorted(repo.category_set(getattr(latest, name))) for name in POLICY_LISTS},
    }


def _policy_page(
    request: Request,
    session: Session,
    who: Principal,
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    context = {
        "history": repo.policy_history(session),
        "categories": CATEGORIES,
        "late_policies": choices(LATE_LABELS),
        "late_labels": LATE_LABELS,
        "category_set": repo.category_set,
    }
    form = form or _policy_form(session)
    return show(request, session, who, "admin/policy.html", context, errors, form)


@router.get("/office/admin/policy")
def policy(
    request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION
) -> Response:
    return _policy_page(request, session, who)


class PolicyForm(VersionForm):
    filing_deadline_days: str = Field("", max_length=12)
    late_policy: str = Field("", max_length=10)
    late_penalty: str = Field("", max_length=20)
    review_threshold: str = Field("", max_length=20)
    max_line_quantity: str = Field("", max_length=12)
    max_line_charged: str = Field("", max_length=20)
    max_claim_charged: str = Field("", max_length=20)
    document_categories: list[str] = Field(default_factory=list)
    continuous_categories: list[str] = Field(default_factory=list)
    continuous_ald_categories: list[str] = Field(default_factory=list)


@router.post("/office/admin/policy")
def new_policy(
    request: Request,
    form: Annotated[PolicyForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    def read(typed: Typed) -> Use:
        whole, amount = typed.whole, typed.amount
        terms = reference.PolicyTerms(
            filing_deadline_days=whole("filing_deadline_days", form.filing_deadline_days) or 0,
            late_policy=form.late_policy,
            late_penalty_bp=typed.rate("late_penalty", form.late_penalty),
            review_threshold_centimes=amount("review_threshold", form.review_threshold) or 0,
            max_line_quantity=whole("max_line_quantity", form.max_line_quantity) or 0,
            max_line_charged_centimes=amount("max_line_charged", form.max_line_charged) or 0,
            max_claim_charged_centimes=amount("max_claim_charged", form.max_claim_charged) or 0,
            document_categories=form.document_categories,
            continuous_categories=form.continuous_categories,
            continuous_ald_categories=form.continuous_ald_categories,
        )
        start = typed.day("valid_from", form.valid_from)
        return lambda: reference.set_policy(
            session,
            terms,
            valid_from=start,
            actor=who.actor,
            source=form.source.strip(),
            confidence=form.confidence,
        )

    again = partial(_policy_page, request, session, who)
    return submitted(request, who, session, form, read, again, "/office/admin/policy")
