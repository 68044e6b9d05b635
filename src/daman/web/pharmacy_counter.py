"""The pharmacy's counter (issue 15): read a prescription, scan each box, see what AMO, the
mutual and the patient pay, dispense.

The desk (``/care``) takes the prescription's number, typed or read from its QR code (a
keyboard-wedge scanner types it and presses Enter; a phone's camera reads it through
static/scan.js). ``/care/dispense/{number}`` shows the prescription, the boxes left on each
line, and one field for the boxes' barcodes: each EAN scanned (Enter) is added to the
boxes and the whole is valued at once, a dry run of the real path
(daman.counter.pharmacy.value: nothing stored), line by line: what AMO pays, what the
mutual pays, what the patient pays, and what the patient pays at the counter now (their
share under tiers payant, else the whole price). *Dispense* submits the care sheet and
counts each box against the prescription (pharmacy.dispense, once per form: its
Idempotency-Key); when another counter took a box meanwhile the page says so (409) and
nothing is saved. Then the care sheet's page (provider_claims.py).

Without JavaScript every step is a plain form; with it, HTMX swaps the counter alone.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims.explain import Explainer
from daman.core.db import SESSION
from daman.core.enums import ProviderKind
from daman.core.errors import DamanError, ValidationFailed
from daman.core.i18n import N_
from daman.core.text import western_digits
from daman.counter import pharmacy
from daman.prescriptions import service as prescriptions
from daman.prescriptions.errors import AlreadyDispensed, PrescriptionClosed, PrescriptionNotFound
from daman.prescriptions.models import Prescription
from daman.web.care import SCANNER, provider_of
from daman.web.labels import label
from daman.web.shell import FORM, language, page, render

router = APIRouter(include_in_schema=False)
PROVIDER = page(Role.PROVIDER)
MAX_BOXES = 100
SCAN, REMOVE, DISPENSE = "scan", "remove", "dispense"

# A refused box, said in the reader's language (the service's reason chooses which).
BOX_ADVICE = (
    ("no medicine has the barcode", N_("No medicine of the list has this barcode.")),
    ("not on this prescription", N_("This medicine is not on the prescription.")),
    ("dispensed already", N_("Every box of this medicine prescribed is dispensed already.")),
    ("not on the list in force", N_("This medicine is not on the list in force today.")),
    (
        "hospitals only",
        N_("This medicine is sold to hospitals only: a pharmacy does not dispense it."),
    ),
)
NUMBER_ADVICE = N_("Type the prescription's number as printed under its QR code: RX and 14 digits.")
NOT_FOUND = N_("No prescription has this number.")
CLOSED = N_(
    "This prescription can no longer be dispensed: it expired or every box was handed over."
)
TAKEN = N_(
    "Another counter dispensed a box of this prescription meanwhile: nothing was saved. "
    "Check the boxes left and scan again."
)
EMPTY = N_("Scan the barcode of each box handed over.")


def _is_pharmacy(session: Session, who: Principal) -> bool:
    provider = provider_of(session, who)
    return provider is not None and provider.kind == ProviderKind.PHARMACY


def _desk_error(
    request: Request, session: Session, who: Principal, number: str, error: str, status: int
) -> HTMLResponse:
    context: dict[str, Any] = {
        "provider": provider_of(session, who),
        "kind": ProviderKind.PHARMACY,
        "number": number,
        "error": error,
        "scanner": SCANNER,
    }
    return render(request, "care/desk.html", context, who=who, session=session, status=status)


@router.get("/care/dispense", response_model=None)
def open_prescription(
    request: Request,
    number: str = Query("", max_length=60),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> Response:
    """The prescription typed or scanned at the desk."""
    if not _is_pharmacy(session, who):
        return RedirectResponse("/care", status_code=303)
    found = prescriptions.normalise(number)
    if prescriptions.number_problem(found):
        return _desk_error(request, session, who, number, NUMBER_ADVICE, 400)
    return RedirectResponse(f"/care/dispense/{found}", status_code=303)


def _boxes(typed: list[str]) -> list[str]:
    found = []
    for text in typed:
        code = re.sub(r"\s", "", western_digits(text))
        if code:
            found.append(code[:13])
    return found[:MAX_BOXES]


def _counter_page(
    request: Request,
    session: Session,
    who: Principal,
    row: Prescription,
    boxes: list[str],
    key: str,
    *,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    lang = language(request, who, session)
    errors = dict(errors or {})
    valued = None
    if boxes and not errors:
        try:
            valued = pharmacy.value(session, row.number, boxes, who)
        except ValidationFailed as exc:
            errors |= _box_errors(exc)
            status = 400
        except PrescriptionClosed:
            errors["boxes"] = CLOSED
            status = 409
    lines = []
    if valued is not None:
        explainer = Explainer(session, [])
        names = {b.ean: b.drug.name for b in valued.boxes}
        lines = [
            (ln, names.get(ln.drug_code or "", ""), explainer.explain(ln, lang))
            for ln in valued.claim.lines
        ]
    context = {
        "rx": row,
        "out": prescriptions.prescription_out(row),
        "boxes": boxes,
        "key": key,
        "valued": valued,
        "lines": lines,
        "errors": errors,
        "summary": list(errors.items()),
        "notice": notice,
        "scanner": SCANNER,
        "label": label,
    }
    return render(request, "care/dispense.html", context, who=who, session=session, status=status)


def _box_errors(exc: DamanError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for refusal in exc.detail if isinstance(exc.detail, list) else []:
        advice = next((text for part, text in BOX_ADVICE if part in refusal.reason), EMPTY)
        m = re.match(r"boxes\[(\d+)\]", refusal.field)
        errors[f"box-{m.group(1)}" if m else "ean"] = advice
    return errors or {"ean": EMPTY}


def _prescription(session: Session, number: str, who: Principal) -> Prescription | None:
    try:
        return prescriptions.get(session, number, who)
    except PrescriptionNotFound:
        return None


@router.get("/care/dispense/{number}", response_model=None)
def counter(
    request: Request,
    number: str,
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> Response:
    if not _is_pharmacy(session, who):
        return RedirectResponse("/care", status_code=303)
    row = _prescription(session, number, who)
    if row is None:
        return _desk_error(request, session, who, number, NOT_FOUND, 404)
    errors = {} if prescriptions.dispensable(row) else {"ean": CLOSED}
    return _counter_page(request, session, who, row, [], uuid.uuid4().hex, errors=errors)


@router.post("/care/dispense/{number}", response_model=None)
def counter_action(
    request: Request,
    number: str,
    action: str = Form(SCAN, max_length=20),
    ean: str = Form("", max_length=60),
    box: list[str] = Form([]),
    key: str = Form("", max_length=64),
    who: Principal = Depends(PROVIDER),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    if not _is_pharmacy(session, who):
        return RedirectResponse("/care", status_code=303)
    row = _prescription(session, number, who)
    if row is None:
        return _desk_error(request, session, who, number, NOT_FOUND, 404)
    boxes = _boxes(box)
    key = key or uuid.uuid4().hex
    if action.startswith(REMOVE):
        at = action.removeprefix(REMOVE)
        if at.isdigit() and int(at) < len(boxes):
            boxes.pop(int(at))
        return _counter_page(request, session, who, row, boxes, key)
    if action != DISPENSE:  # a box scanned (Enter in the field)
        boxes += _boxes([ean])
        if not boxes:
            return _counter_page(
                request, session, who, row, boxes, key, errors={"ean": EMPTY}, status=400
            )
        return _counter_page(request, session, who, row, boxes, key)
    if not boxes:
        return _counter_page(
            request, session, who, row, boxes, key, errors={"ean": EMPTY}, status=400
        )
    try:
        with session.begin_nested():  # a refused dispensing leaves nothing behind
            done, _created = pharmacy.dispense(session, row.number, boxes, key, who)
    except ValidationFailed as exc:
        return _counter_page(
            request, session, who, row, boxes, key, errors=_box_errors(exc), status=400
        )
    except AlreadyDispensed:
        fresh = prescriptions.get(session, row.number, who)
        return _counter_page(
            request, session, who, fresh, [], uuid.uuid4().hex, errors={"ean": TAKEN}, status=409
        )
    except PrescriptionClosed:
        return _counter_page(
            request, session, who, row, boxes, key, errors={"ean": CLOSED}, status=409
        )
    target = f"/care/claims/{done.claim.number}?done=dispensed"
    if request.headers.get("HX-Request"):  # HTMX: a whole page, not the counter swapped
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
