"""The medical controller's pages: the review queue, one line under review beside its
documents, and the decision (accept, reduce by an amount or by units, reject) with a
catalogued reason and a note. Pre-authorisations and exemption requests: preauth.py.

Days left: the fund answers a care sheet within 60 days of its deposit (the same figure as
the filing deadline, rules.md 3); the queue puts the least time left first and, among
equals, the most money at stake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.adjudication import service as adjudication
from daman.adjudication.models import ReviewAction, ReviewItem
from daman.adjudication.schemas import ReviewDecisionIn
from daman.auth.access import Principal, log_read
from daman.auth.models import Role
from daman.claims import reasons as catalogue
from daman.claims import repository as claims_repo
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.enums import CareCategory
from daman.core.errors import Conflict, ValidationFailed
from daman.core.i18n import N_, translations
from daman.core.money import MoneyError, parse_mad
from daman.core.text import western_digits
from daman.documents import store
from daman.reference.models import Agency
from daman.web.shell import FORM, inline_document, language, nav_item, page, refusals, render

router = APIRouter(include_in_schema=False)
REVIEW = page(Role.CONTROLLER, Role.AGENT)
ANSWER_DAYS = 60
PER_PAGE = 25

nav_item("/office/review", N_("Review queue"), Role.CONTROLLER, Role.AGENT, rank=30)

# The reasons a controller gives, catalogued (the note says the rest).
DECISION_REASONS = {
    "document_checked": N_("Documents checked: consistent with the care"),
    "document_missing": N_("A required document is missing"),
    "not_prescribed": N_("Not in the prescription"),
    "above_usual": N_("Above the usual quantity or frequency"),
    "not_covered": N_("Care not covered by the scheme"),
    "duplicate": N_("Already paid on another care sheet"),
    "other": N_("Other (say which in the note)"),
}
REVIEW_CODES = [
    c for c, r in catalogue.REASONS.items() if r.severity is catalogue.Severity.REVIEW
] + [  # and a line back in review, its document come (document_received)
    c
    for c, (severity, _) in catalogue.REVIEW_REASONS.items()
    if severity is catalogue.Severity.REVIEW
]


def _agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.city, Agency.code)))


@router.get("/office/review")
def review_queue(
    request: Request,
    agency: str = Query("", max_length=12),
    category: str = Query("", max_length=30),
    reason: str = Query("", max_length=60),
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Principal = Depends(REVIEW),
    session: Session = SESSION,
) -> Response:
    lang = language(request, who, session)
    items, total = adjudication.review_queue(
        session,
        limit=PER_PAGE,
        offset=offset,
        agency=agency or None,
        category=category if category in CareCategory.__members__.values() else None,
        reason=reason if reason in REVIEW_CODES else None,
        urgent_first=True,
    )
    day = today()
    rows = [
        {
            "item": i,
            "days_left": (i.claim.deposit_date + timedelta(days=ANSWER_DAYS) - day).days,
            "why": [catalogue.explain(code, lang) for code in i.reasons],
        }
        for i in items
    ]
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "per_page": PER_PAGE,
        "agencies": _agencies(session),
        "categories": list(CareCategory),
        "codes": REVIEW_CODES,
        "chosen": {"agency": agency, "category": category, "reason": reason},
    }
    return render(request, "control/review_queue.html", context, who=who, session=session)


def _item_page(
    request: Request,
    session: Session,
    who: Principal,
    item: ReviewItem,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = language(request, who, session)
    claim = item.claim
    line = claims.line_out(item.line, Explainer(session, [claim]), lang)
    following, _count = adjudication.review_queue(session, limit=2, offset=0, urgent_first=True)
    next_id = next((i.id for i in following if i.id != item.id), None)
    context = {
        "item": item,
        "claim": claim,
        "line": line,
        "why": [catalogue.explain(code, lang) for code in item.reasons],
        "documents": claims.documents_out(claim, who),
        "days_left": (claim.deposit_date + timedelta(days=ANSWER_DAYS) - today()).days,
        "reasons": DECISION_REASONS,
        "errors": errors or {},
        "form": form or {},
        "next_id": next_id,
    }
    return render(
        request, "control/review_item.html", context, who=who, session=session, status=status
    )


@router.get("/office/review/{item_id}")
def review_item(
    request: Request,
    item_id: int,
    who: Principal = Depends(REVIEW),
    session: Session = SESSION,
) -> Response:
    return _item_page(request, session, who, adjudication.review_item(session, item_id))


@router.post("/office/review/{item_id}")
def decide(
    request: Request,
    item_id: int,
    action: str = Form("", max_length=10),
    reason: str = Form("", max_length=40),
    note: str = Form("", max_length=1000),
    amount: str = Form("", max_length=20),
    units: str = Form("", max_length=6),
    who: Principal = Depends(REVIEW),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    item = adjudication.review_item(session, item_id)
    form = {"action": action, "reason": reason, "note": note, "amount": amount, "units": units}
    errors: dict[str, str] = {}
    if action not in ReviewAction.__members__.values():
        errors["action"] = gettext("Choose accept, reduce or reject.")
    if reason not in DECISION_REASONS:
        errors["reason"] = gettext("Choose the reason of the decision.")
    elif reason == "other" and not note.strip():
        errors["note"] = gettext("Say the reason in the note.")
    amo: int | None = None
    if action == ReviewAction.REDUCE:
        amo, problem = _reduced_amount(item, amount, units, gettext)
        if problem:
            errors["amount"] = problem
    if not errors:
        label = gettext(DECISION_REASONS[reason])
        text = f"{label}: {note.strip()}" if note.strip() else label
        try:
            decision = ReviewDecisionIn(action=ReviewAction(action), reason=text, amo_centimes=amo)
            with session.begin_nested():  # a refused decision leaves nothing behind
                adjudication.decide(session, item_id, decision, who.actor)
        except ValidationError as exc:
            errors["note"] = "; ".join(str(e["msg"]) for e in exc.errors())
        except (ValidationFailed, Conflict) as exc:
            errors = refusals(exc, ("note",))
    if errors:
        return _item_page(request, session, who, item, errors, form, status=400)
    following, _count = adjudication.review_queue(session, limit=1, offset=0, urgent_first=True)
    target = f"/office/review/{following[0].id}" if following else "/office/review"
    return RedirectResponse(target, status_code=303)


def _reduced_amount(
    item: ReviewItem, amount: str, units: str, gettext: Callable[[str], str]
) -> tuple[int | None, str]:
    """The AMO amount of a reduction, given in MAD or as a number of units allowed."""
    proposed = item.line.amo_centimes or 0
    amount, units = western_digits(amount).strip(), western_digits(units).strip()
    if amount:
        try:
            value = parse_mad(amount)
        except MoneyError:
            return None, gettext("Write the amount in MAD, for example 120.50.")
    elif units:
        allowed = item.line.allowed_quantity or 0
        if not units.isdigit() or allowed < 1:
            return None, gettext("Write a whole number of units.")
        value = proposed * min(int(units), allowed) // allowed
    else:
        return None, gettext("A reduction needs the amount or the units to pay.")
    if not 0 <= value < proposed:
        return None, gettext("A reduction pays less than the valued amount.")
    return value, ""


@router.get("/office/claims/{number}/documents/{document_id}")
def claim_document(
    number: str,
    document_id: int,
    who: Principal = Depends(REVIEW),
    session: Session = SESSION,
) -> Response:
    claim = claims_repo.by_number(session, number, who)
    doc, path = store.locate(
        claims_repo.documents_seen_by(claim, who), document_id, f"claim {claim.number}"
    )
    log_read(session, who, "claim_document", f"{claim.number}/{doc.id}")
    return inline_document(doc, path)
