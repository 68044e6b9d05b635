"""The administrator's pages: reference tariffs as effective-dated versions (history, a new
version from a date), the drug list import with its row report, users and roles, providers'
API keys, and the audit trail's verification. Each page calls the same service as the API.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.accounts import keys
from daman.accounts import service as accounts
from daman.auth import tokens
from daman.auth.access import Principal
from daman.auth.audit import verify_chain
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import DamanError, ValidationFailed
from daman.core.i18n import N_, translations
from daman.core.money import MoneyError, parse_mad
from daman.core.text import western_digits
from daman.reference import repository as reference_repo
from daman.reference import service as reference
from daman.reference.importers import import_drug_list
from daman.reference.models import ActTariff, Regime
from daman.web.shell import FORM, ROLE_LABELS, language, nav_item, page, refusals, render

router = APIRouter(include_in_schema=False)
ADMIN = page(Role.ADMIN)
MAX_DRUG_LIST = 20 * 1024 * 1024  # the national list is about 1 MB

nav_item("/office/admin", N_("Administration"), Role.ADMIN, rank=90)


@router.get("/office/admin")
def index(
    request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION
) -> Response:
    return render(request, "admin/index.html", {}, who=who, session=session)


@router.post("/office/admin/audit")
def audit(
    request: Request, who: Principal = Depends(ADMIN), _: None = FORM, session: Session = SESSION
) -> Response:
    """Check every entry of the audit trail against the chain of hashes."""
    report = verify_chain(session)
    return render(request, "admin/index.html", {"audit": report}, who=who, session=session)


# -- tariffs -------------------------------------------------------------------------------


def _tariff_page(
    request: Request,
    session: Session,
    who: Principal,
    key: str,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    keys_known = list(session.scalars(select(ActTariff.key).distinct().order_by(ActTariff.key)))
    context = {
        "key": key,
        "keys": keys_known,
        "history": list(reference_repo.tariff_history(session, key)) if key else [],
        "regimes": list(session.scalars(select(Regime.code).order_by(Regime.code))),
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "admin/tariffs.html", context, who=who, session=session, status=status)


@router.get("/office/admin/tariffs")
def tariffs(
    request: Request,
    key: str = Query("", max_length=20),
    who: Principal = Depends(ADMIN),
    session: Session = SESSION,
) -> Response:
    return _tariff_page(request, session, who, key.strip().upper())


@router.post("/office/admin/tariffs")
def new_tariff(
    request: Request,
    key: str = Form("", max_length=20),
    regime_code: str = Form("", max_length=20),
    value: str = Form("", max_length=20),
    valid_from: str = Form("", max_length=10),
    label: str = Form("", max_length=200),
    category: str = Form("", max_length=30),
    source: str = Form("", max_length=500),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    key = key.strip().upper()
    form = {
        "value": value,
        "valid_from": valid_from,
        "regime_code": regime_code,
        "label": label,
        "category": category,
        "source": source,
    }
    errors: dict[str, str] = {}
    if not key:
        errors["key"] = gettext("Name the TNR key, for example C or K.")
    try:
        centimes = parse_mad(western_digits(value))
    except MoneyError:
        errors["value"] = gettext("Write the amount in MAD, for example 120.50.")
    try:
        start = date.fromisoformat(western_digits(valid_from).strip())
    except ValueError:
        errors["valid_from"] = gettext("Write the date as YYYY-MM-DD.")
    if not errors:
        try:
            with session.begin_nested():
                reference.set_tariff(
                    session,
                    key=key,
                    regime_code=regime_code or None,
                    value_centimes=centimes,
                    valid_from=start,
                    actor=who.actor,
                    label=label or None,
                    category=category or None,
                    source=source,
                )
        except DamanError as exc:
            errors = refusals(exc)
            if "value_centimes" in errors:
                errors["value"] = errors.pop("value_centimes")
    if errors:
        return _tariff_page(request, session, who, key, errors, form, status=400)
    return RedirectResponse(f"/office/admin/tariffs?key={key}", status_code=303)


# -- the drug list -------------------------------------------------------------------------


@router.get("/office/admin/drugs")
def drugs(
    request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION
) -> Response:
    return render(request, "admin/drugs.html", {"form": {}, "errors": {}}, who=who, session=session)


@router.post("/office/admin/drugs")
def import_drugs(
    request: Request,
    valid_from: str = Form("", max_length=10),
    file: UploadFile = File(...),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    errors: dict[str, str] = {}
    start: date | None = None
    try:
        start = date.fromisoformat(western_digits(valid_from).strip())
    except ValueError:
        errors["valid_from"] = gettext("Write the date as YYYY-MM-DD.")
    raw = file.file.read(MAX_DRUG_LIST + 1)
    if not raw:
        errors["file"] = gettext("Choose the drug list file (CSV).")
    elif len(raw) > MAX_DRUG_LIST:
        errors["file"] = gettext("The file is larger than 20 MB: is it the drug list?")
    result = None
    if not errors and start is not None:
        try:
            with session.begin_nested():  # a refused file leaves nothing behind
                result = import_drug_list(
                    session,
                    raw,
                    filename=file.filename or "drugs.csv",
                    valid_from=start,
                    actor=who.actor,
                )
        except DamanError as exc:
            errors = refusals(exc)
            if "action" in errors:
                errors["file"] = errors.pop("action")
    context = {"result": result, "errors": errors, "form": {"valid_from": valid_from}}
    status = 400 if errors else 200
    return render(request, "admin/drugs.html", context, who=who, session=session, status=status)


# -- users and API keys --------------------------------------------------------------------


def _users_page(
    request: Request,
    session: Session,
    who: Principal,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    issued: str = "",
) -> Response:
    context = {
        "users": accounts.list_users(session),
        "keys": keys.api_keys(session),
        "roles": list(Role),
        "role_labels": ROLE_LABELS,
        "errors": errors or {},
        "form": form or {},
        "issued": issued,
    }
    return render(request, "admin/users.html", context, who=who, session=session, status=status)


@router.get("/office/admin/users")
def users(
    request: Request, who: Principal = Depends(ADMIN), session: Session = SESSION
) -> Response:
    return _users_page(request, session, who)


@router.post("/office/admin/users")
def new_user(
    request: Request,
    username: str = Form("", max_length=80),
    role: str = Form("", max_length=20),
    password: str = Form("", max_length=1000),
    full_name: str = Form("", max_length=200),
    person: str = Form("", max_length=12),
    provider: str = Form("", max_length=20),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    form = {
        "username": username,
        "role": role,
        "full_name": full_name,
        "person": person,
        "provider": provider,
    }
    if role not in Role.__members__.values():
        return _users_page(
            request, session, who, {"role": gettext("Choose a role.")}, form, status=400
        )
    new = accounts.NewUser(
        username.strip(),
        Role(role),
        password,
        full_name.strip(),
        person.strip() or None,
        provider.strip() or None,
    )
    try:
        with session.begin_nested():
            accounts.create_user(session, new, who.actor)
    except DamanError as exc:
        return _users_page(request, session, who, refusals(exc), form, status=400)
    return RedirectResponse("/office/admin/users", status_code=303)


@router.post("/office/admin/users/{username}/disable")
def disable(
    username: str, who: Principal = Depends(ADMIN), _: None = FORM, session: Session = SESSION
) -> Response:
    accounts.disable_user(session, username, who.actor)
    return RedirectResponse("/office/admin/users", status_code=303)


@router.post("/office/admin/api-keys")
def new_key(
    request: Request,
    provider: str = Form("", max_length=20),
    label: str = Form("", max_length=200),
    who: Principal = Depends(ADMIN),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    try:
        with session.begin_nested():
            issued = keys.issue_api_key(session, provider.strip(), label, who.actor)
    except ValidationFailed as exc:
        form = {"provider": provider, "label": label}
        return _users_page(request, session, who, refusals(exc), form, status=400)
    # shown once, on this page only: never stored in clear, never sent again
    return _users_page(request, session, who, issued=issued.token)


@router.post("/office/admin/api-keys/{key_id}/revoke")
def revoke_key(
    key_id: int, who: Principal = Depends(ADMIN), _: None = FORM, session: Session = SESSION
) -> Response:
    tokens.revoke(session, tokens.api_key(session, key_id), who.actor)
    return RedirectResponse("/office/admin/users", status_code=303)
