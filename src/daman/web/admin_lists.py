"""The administrator's lists of reference headings that are opened and closed by date: the
ALD/ALC list and the fund's agencies. A heading or an agency keeps its code for good
(exemptions, rates, agents and paper claims point at it): each is added from a date and
closed from a date (it ends the day before), and the page shows every one with its dates,
who changed it and when. Same services as the API, same form rules as
daman.web.admin_reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.i18n import RTL
from daman.reference import repository as repo
from daman.reference import service as reference
from daman.reference.models import AldKind
from daman.web.admin_forms import ClosingForm, Errors, Typed, Use, show, submitted
from daman.web.shell import FORM, language, page

router = APIRouter(include_in_schema=False)
ADMIN = page(Role.ADMIN)

# the closing form's code field, apart from the adding form's
CLOSING = {"code": "close_code"}


def _closed(
    request: Request,
    who: Principal,
    session: Session,
    form: ClosingForm,
    close: Callable[..., object],
    shown: Callable[..., Response],
    back: str,
) -> Response:
    """Close a heading or an agency from the form's date (`close(session, code,
    closed_from=, actor=)`); the page again, with the refusals under their fields, when it
    cannot."""

    def read(typed: Typed) -> Use:
        end = typed.day("closed_from", form.closed_from)
        return lambda: close(session, form.close_code, closed_from=end, actor=who.actor)

    again = partial(shown, request, session, who)
    return submitted(request, who, session, form, read, again, back, CLOSING)


# -- the ALD/ALC list ----------------------------------------------------------------------


def _ald_page(
    request: Request,
    session: Session,
    who: Principal,
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    headings = repo.ald_list(session, None)
    context = {
        "headings": headings,
        "kinds": [(k.value, k.value.upper()) for k in AldKind],
        "open_choices": [(d.code, f"{d.code} · {d.name_fr}") for d in headings if not d.valid_to],
    }
    return show(request, session, who, "admin/ald.html", context, errors, form)


@router.get("/office/admin/ald")
def ald(request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION) -> Response:
    return _ald_page(request, session, who)


class HeadingForm(BaseModel):
    code: str = Field("", max_length=20)
    kind: str = Field("", max_length=3)
    number: str = Field("", max_length=6)
    name_fr: str = Field("", max_length=500)
    name_ar: str = Field("", max_length=500)
    icd10: str = Field("", max_length=500)
    valid_from: str = Field("", max_length=10)
    source: str = Field("", max_length=500)


@router.post("/office/admin/ald")
def new_heading(
    request: Request,
    form: Annotated[HeadingForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    def read(typed: Typed) -> Use:
        heading = reference.AldHeading(
            code=form.code,
            kind=form.kind,
            name_fr=form.name_fr,
            name_ar=form.name_ar,
            number=typed.whole("number", form.number, optional=True),
            icd10=form.icd10,
        )
        start = typed.day("valid_from", form.valid_from)
        return lambda: reference.add_ald_heading(
            session, heading, valid_from=start, actor=who.actor, source=form.source.strip()
        )

    again = partial(_ald_page, request, session, who)
    return submitted(request, who, session, form, read, again, "/office/admin/ald")


@router.post("/office/admin/ald/close")
def close_heading(
    request: Request,
    form: Annotated[ClosingForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    return _closed(
        request, who, session, form, reference.close_ald_heading, _ald_page, "/office/admin/ald"
    )


# -- agencies --------------------------------------------------------------------------


def _agencies_page(
    request: Request,
    session: Session,
    who: Principal,
    errors: Errors | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    found = repo.agencies(session)
    arabic = language(request, who, session) in RTL
    context = {
        "agencies": found,
        "open_choices": [
            (a.code, f"{a.code} · {a.name_ar if arabic and a.name_ar else a.name_fr}")
            for a in found
            if not a.valid_to
        ],
    }
    return show(request, session, who, "admin/agencies.html", context, errors, form)


@router.get("/office/admin/agencies")
def agencies(
    request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION
) -> Response:
    return _agencies_page(request, session, who)


class AgencyForm(BaseModel):
    code: str = Field("", max_length=12)
    name_fr: str = Field("", max_length=200)
    name_ar: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    valid_from: str = Field("", max_length=10)


@router.post("/office/admin/agencies")
def new_agency(
    request: Request,
    form: Annotated[AgencyForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    def read(typed: Typed) -> Use:
        start = typed.day("valid_from", form.valid_from)
        agency = reference.NewAgency(form.code, form.name_fr, form.name_ar, form.city, form.region)
        return lambda: reference.open_agency(session, agency, valid_from=start, actor=who.actor)

    again = partial(_agencies_page, request, session, who)
    return submitted(request, who, session, form, read, again, "/office/admin/agencies")


@router.post("/office/admin/agencies/close")
def close_agency(
    request: Request,
    form: Annotated[ClosingForm, Form()],
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    return _closed(
        request,
        who,
        session,
        form,
        reference.close_agency,
        _agencies_page,
        "/office/admin/agencies",
    )
