"""The public check of a rights certificate: anyone (a clinic, an employer, a consulate)
types its reference or scans its QR code, and reads only whether it is valid, the name and
the dates (daman.registry.certificate.verify). No sign-in; nothing else about the person
is shown, and a reference with one character changed is simply not valid."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from daman.core.db import SESSION
from daman.registry import certificate
from daman.web.shell import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: Session, reference: str) -> HTMLResponse:
    typed = certificate.normalised(reference)[:80]
    verdict = certificate.verify(session, typed) if typed else None
    context = {"reference": typed, "verdict": verdict}
    status = 404 if verdict is not None and not verdict.genuine else 200
    return render(request, "portal/verify.html", context, status=status)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(
    request: Request,
    reference: str = Query("", max_length=200),
    session: Session = SESSION,
) -> HTMLResponse:
    return _page(request, session, reference)


@router.get("/verify/{reference}", response_class=HTMLResponse)
def verify_reference(request: Request, reference: str, session: Session = SESSION) -> HTMLResponse:
    """The address in the certificate's QR code."""
    return _page(request, session, reference[:200])
