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
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
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
    choices,
    gettext_for,
    percent,
    saved,
    show,
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


@router.post("/office/admin/rates")
def new_rate(
    request: Request,
    regime_code: str = Form("", max_length=20),
    category: str = Form("", max_length=30),
    sector: str = Form("", max_length=10),
    exemption: str = Form("none", max_length=10),
    ald_code: str = Form("", max_length=20),
    rate: str = Form("", max_length=20),
    valid_from: str = Form("", max_length=10),
    source: str = Form("", max_length=500),
    confidence: str = Form("H", max_length=12),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = gettext_for(request, who, session)
    form = {
        "regime_code": regime_code,
        "category": category,
        "sector": sector,
        "exemption": exemption,
        "ald_code": ald_code,
        "rate": rate,
        "valid_from": valid_from,
        "source": source,
        "confidence": confidence,
    }
    typed = Typed(gettext)
    rate_bp = typed.rate("rate", rate)
    start = typed.day("valid_from", valid_from)
    errors = saved(
        session,
        lambda: reference.set_rate(
            session,
            regime_code=regime_code,
            category=category,
            sector=sector or None,
            exemption=exemption,
            ald_code=ald_code.strip().upper() or None,
            rate_bp=rate_bp,
            valid_from=start,
            actor=who.actor,
            source=source.strip(),
            confidence=confidence,
        ),
        gettext,
        typed.errors,
    )
    if errors:
        return _rates_page(request, session, who, regime_code, category, errors, form)
    return RedirectResponse(
        f"/office/admin/rates?regime={regime_code}&category={category}", status_code=303
    )


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


@router.post("/office/admin/complementary")
def new_complementary(
    request: Request,
    mutual_code: str = Form("", max_length=20),
    category: str = Form("", max_length=30),
    rate: str = Form("", max_length=20),
    valid_from: str = Form("", max_length=10),
    source: str = Form("", max_length=500),
    confidence: str = Form("H", max_length=12),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = gettext_for(request, who, session)
    form = {
        "mutual_code": mutual_code,
        "category": category,
        "rate": rate,
        "valid_from": valid_from,
        "source": source,
        "confidence": confidence,
    }
    typed = Typed(gettext)
    rate_bp = typed.rate("rate", rate)
    start = typed.day("valid_from", valid_from)
    errors = saved(
        session,
        lambda: reference.set_complementary_rate(
            session,
            mutual_code=mutual_code or None,
            category=category,
            rate_bp=rate_bp,
            valid_from=start,
            actor=who.actor,
            source=source.strip(),
            confidence=confidence,
        ),
        gettext,
        typed.errors,
    )
    if errors:
        return _complementary_page(request, session, who, mutual_code, errors, form)
    return RedirectResponse(f"/office/admin/complementary?mutual={mutual_code}", status_code=303)


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


@router.post("/office/admin/ceilings")
def new_ceiling(
    request: Request,
    category: str = Form("", max_length=30),
    regime_code: str = Form("", max_length=20),
    max_base: str = Form("", max_length=20),
    max_quantity: str = Form("", max_length=12),
    period_days: str = Form("", max_length=12),
    valid_from: str = Form("", max_length=10),
    source: str = Form("", max_length=500),
    confidence: str = Form("H", max_length=12),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = gettext_for(request, who, session)
    form = {
        "category": category,
        "regime_code": regime_code,
        "max_base": max_base,
        "max_quantity": max_quantity,
        "period_days": period_days,
        "valid_from": valid_from,
        "source": source,
        "confidence": confidence,
    }
    typed = Typed(gettext)
    base = typed.amount("max_base", max_base, optional=True)
    units = typed.whole("max_quantity", max_quantity, optional=True)
    days = typed.whole("period_days", period_days) or 0
    start = typed.day("valid_from", valid_from)
    errors = saved(
        session,
        lambda: reference.set_ceiling(
            session,
            category=category,
            regime_code=regime_code or None,
            max_base_centimes=base,
            max_quantity=units,
            period_days=days,
            valid_from=start,
            actor=who.actor,
            source=source.strip(),
            confidence=confidence,
        ),
        gettext,
        typed.errors,
    )
    if errors:
        return _ceilings_page(request, session, who, errors, form)
    return RedirectResponse("/office/admin/ceilings", status_code=303)


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


@router.post("/office/admin/policy")
def new_policy(
    request: Request,
    filing_deadline_days: str = Form("", max_length=12),
    late_policy: str = Form("", max_length=10),
    late_penalty: str = Form("", max_length=20),
    review_threshold: str = Form("", max_length=20),
    max_line_quantity: str = Form("", max_length=12),
    max_line_charged: str = Form("", max_length=20),
    max_claim_charged: str = Form("", max_length=20),
    document_categories: list[str] = Form([]),
    continuous_categories: list[str] = Form([]),
    continuous_ald_categories: list[str] = Form([]),
    valid_from: str = Form("", max_length=10),
    source: str = Form("", max_length=500),
    confidence: str = Form("H", max_length=12),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = gettext_for(request, who, session)
    form = {
        "filing_deadline_days": filing_deadline_days,
        "late_policy": late_policy,
        "late_penalty": late_penalty,
        "review_threshold": review_threshold,
        "max_line_quantity": max_line_quantity,
        "max_line_charged": max_line_charged,
        "max_claim_charged": max_claim_charged,
        "document_categories": document_categories,
        "continuous_categories": continuous_categories,
        "continuous_ald_categories": continuous_ald_categories,
        "valid_from": valid_from,
        "source": source,
        "confidence": confidence,
    }
    typed = Typed(gettext)
    terms = reference.PolicyTerms(
        filing_deadline_days=typed.whole("filing_deadline_days", filing_deadline_days) or 0,
        late_policy=late_policy,
        late_penalty_bp=typed.rate("late_penalty", late_penalty),
        review_threshold_centimes=typed.amount("review_threshold", review_threshold) or 0,
        max_line_quantity=typed.whole("max_line_quantity", max_line_quantity) or 0,
        max_line_charged_centimes=typed.amount("max_line_charged", max_line_charged) or 0,
        max_claim_charged_centimes=typed.amount("max_claim_charged", max_claim_charged) or 0,
        document_categories=document_categories,
        continuous_categories=continuous_categories,
        continuous_ald_categories=continuous_ald_categories,
    )
    start = typed.day("valid_from", valid_from)
    errors = saved(
        session,
        lambda: reference.set_policy(
            session,
            terms,
            valid_from=start,
            actor=who.actor,
            source=source.strip(),
            confidence=confidence,
        ),
        gettext,
        typed.errors,
    )
    if errors:
        return _policy_page(request, session, who, errors, form)
    return RedirectResponse("/office/admin/policy", status_code=303)
