"""The FHIR API at /fhir: what provider software calls (see the package's docstring).

Every route declares its role rule as the REST API does (provider API keys work the
same), runs in one transaction committed before the answer, and answers
``application/fhir+json``; every error is an OperationOutcome (outcome.FhirRoute). These
routes are left out of the REST API's OpenAPI schema on purpose: their bodies are FHIR
resources of several types (a Claim or a Bundle in; a ClaimResponse or an
OperationOutcome out) in FHIR's own media type, described by the CapabilityStatement at
/fhir/metadata rather than by JSON Schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from daman.auth.access import PUBLIC, Principal, allow
from daman.auth.models import Role
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.errors import NotFound
from daman.core.i18n import negotiate
from daman.fhir import directory, eligibility, service
from daman.fhir.capability import capability_statement
from daman.fhir.claim_out import reason_code_system
from daman.fhir.outcome import FhirError, FhirResponse, FhirRoute

PREFIX = "/fhir"
router = APIRouter(prefix=PREFIX, route_class=FhirRoute, include_in_schema=False, tags=["fhir"])

FAMILY_READ = allow(Role.INSURED, Role.AGENT, Role.CONTROLLER)
STAFF_READ = allow(Role.AGENT, Role.CONTROLLER)
DIRECTORY = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER, Role.ADMIN)
ELIGIBILITY = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)
SUBMIT = allow(Role.INSURED, Role.PROVIDER, Role.AGENT)
CANCEL = allow(Role.PROVIDER, Role.AGENT)
READ = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)
OWN_CLAIMS = allow(Role.INSURED, Role.AGENT, Role.CONTROLLER)
PAYEE = allow(Role.INSURED, Role.PROVIDER, Role.AGENT)

MAX_COUNT = 100


async def body(request: Request) -> bytes:
    return await request.body()


def _lang(request: Request) -> str:
    return negotiate(accept_language=request.headers.get("accept-language"))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _paging(request: Request) -> tuple[int, int]:
    params = request.query_params
    try:
        count = int(params.get("_count", "20"))
        offset = int(params.get("_offset", "0"))
    except ValueError as exc:
        raise FhirError.one("value", "a whole number", "_count") from exc
    if not 0 <= count <= MAX_COUNT or not 0 <= offset <= 1_000_000:
        raise FhirError.one("value", f"_count 0..{MAX_COUNT}, _offset 0..1000000", "_count")
    return count, offset


def _token(request: Request, system: str) -> str | None:
    """``identifier=system|value`` of the given system, or ``_id``."""
    params = request.query_params
    if value := params.get("_id"):
        return value.strip()
    text = params.get("identifier")
    if text:
        got_system, _, value = text.rpartition("|")
        if got_system and got_system != system:
            raise FhirError.one("not-supported", f"identifier system {got_system}", "identifier")
        return value.strip()
    return None


def _bundle(request: Request, found: list[dict[str, Any]], total: int) -> FhirResponse:
    return FhirResponse(directory.searchset(found, total, _base(request)))


def _one(resource: dict[str, Any], status: int = 200) -> FhirResponse:
    return FhirResponse(resource, status_code=status)


@router.get("/metadata", dependencies=[PUBLIC])
def metadata(request: Request) -> FhirResponse:
    return _one(capability_statement(_base(request)))


@router.get("/CodeSystem/adjudication-reason", dependencies=[PUBLIC])
def reason_codes(request: Request) -> FhirResponse:
    """The reason codes on adjudications, displayed in the language asked for."""
    return _one(reason_code_system(_lang(request)))


# -- the registry: Patient, Coverage ------------------------------------------------------


@router.get("/Patient/{number}")
def read_patient(
    number: str, session: Session = SESSION, who: Principal = Depends(FAMILY_READ)
) -> FhirResponse:
    return _one(directory.patient(directory.person(session, number, who)))


@router.get("/Patient")
def search_patients(
    request: Request, session: Session = SESSION, who: Principal = Depends(FAMILY_READ)
) -> FhirResponse:
    """By immatriculation (``_id``, ``identifier``); by ``name`` for the fund's staff."""
    count, offset = _paging(request)
    number = _token(request, directory.codes.IMMATRICULATION)
    if number:
        try:
            return _bundle(request, [directory.patient(directory.person(session, number, who))], 1)
        except NotFound:
            return _bundle(request, [], 0)
    name = request.query_params.get("name")
    if name and who.is_staff:
        from daman.registry import service as registry

        page = registry.search_insured(session, name, None, count, offset)
        return _bundle(request, [directory.patient(p) for p in page.items], page.total)
    raise FhirError.one(
        "required", "search by _id or identifier (staff also by name)", "identifier"
    )


@router.get("/Coverage/{number}")
def read_coverage(
    number: str, request: Request, session: Session = SESSION, who: Principal = Depends(FAMILY_READ)
) -> FhirResponse:
    person = directory.person(session, number, who)
    on = today()
    rights = directory.rights(session, number, on, who, _lang(request))
    return _one(directory.coverage(person, rights, on))


@router.get("/Coverage")
def search_coverage(
    request: Request, session: Session = SESSION, who: Principal = Depends(FAMILY_READ)
) -> FhirResponse:
    params = request.query_params
    number = (
        params.get("beneficiary")
        or params.get("patient")
        or _token(request, directory.codes.IMMATRICULATION)
    )
    if not number:
        raise FhirError.one(
            "required", "search by beneficiary, patient, _id or identifier", "beneficiary"
        )
    number = number.rsplit("/", 1)[-1]
    try:
        person = directory.person(session, number, who)
    except NotFound:
        return _bundle(request, [], 0)
    on = today()
    rights = directory.rights(session, number, on, who, _lang(request))
    return _bundle(request, [directory.coverage(person, rights, on)], 1)


# -- the providers: Organization, Practitioner --------------------------------------------


def _read_provider(session: Session, kind: str, inpe: str) -> FhirResponse:
    if kind == "Organization" and inpe == directory.FUND_ID:
        return _one(directory.fund())
    return _one(directory.provider(directory.read_provider(session, kind, inpe)))


def _search_providers(
    request: Request, session: Session, kind: str, who: Principal
) -> FhirResponse:
    count, offset = _paging(request)
    inpe = _token(request, directory.codes.INPE)
    if inpe:
        try:
            row = directory.read_provider(session, kind, inpe)
        except NotFound:
            return _bundle(request, [], 0)
        return _bundle(request, [directory.provider(row)], 1)
    rows, total = directory.search_providers(
        session, kind, request.query_params.get("name"), count, offset, who
    )
    return _bundle(request, [directory.provider(r) for r in rows], total)


@router.get("/Organization/{inpe}")
def read_organization(
    inpe: str, session: Session = SESSION, who: Principal = Depends(DIRECTORY)
) -> FhirResponse:
    return _read_provider(session, "Organization", inpe)


@router.get("/Organization")
def search_organizations(
    request: Request, session: Session = SESSION, who: Principal = Depends(DIRECTORY)
) -> FhirResponse:
    return _search_providers(request, session, "Organization", who)


@router.get("/Practitioner/{inpe}")
def read_practitioner(
    inpe: str, session: Session = SESSION, who: Principal = Depends(DIRECTORY)
) -> FhirResponse:
    return _read_provider(session, "Practitioner", inpe)


@router.get("/Practitioner")
def search_practitioners(
    request: Request, session: Session = SESSION, who: Principal = Depends(DIRECTORY)
) -> FhirResponse:
    return _search_providers(request, session, "Practitioner", who)


# -- rights and claims ----------------------------------------------------------------------


@router.post("/CoverageEligibilityRequest/$submit")
def submit_eligibility(
    request: Request,
    content: bytes = Depends(body),
    session: Session = SESSION,
    who: Principal = Depends(ELIGIBILITY),
) -> FhirResponse:
    """Rights on the date of care (servicedDate), the regime, and with purpose ``benefits``
    the AMO rate in force for each category of care."""
    return _one(eligibility.submit(session, content, who, _lang(request)))


@router.post("/Claim/$submit")
def submit_claim(
    request: Request,
    content: bytes = Depends(body),
    session: Session = SESSION,
    who: Principal = Depends(SUBMIT),
) -> FhirResponse:
    """A care sheet (use claim), valued now; a pre-authorisation request (use
    preauthorization), estimated now and answered by a controller. 201 when new, 200 for
    the same Claim (same identifier) sent again."""
    resource, created = service.submit(session, content, who, _lang(request))
    return _one(resource, 201 if created else 200)


@router.post("/Claim/{number}/$cancel")
def cancel_claim(
    number: str, request: Request, session: Session = SESSION, who: Principal = Depends(CANCEL)
) -> FhirResponse:
    return _one(service.cancel(session, number, who, _lang(request)))


@router.post("/Claim/{number}/$reprocess")
def reprocess_claim(
    number: str, request: Request, session: Session = SESSION, who: Principal = Depends(SUBMIT)
) -> FhirResponse:
    return _one(service.reprocess(session, number, who, _lang(request)))


@router.get("/ClaimResponse/{number}")
def read_claim_response(
    number: str, request: Request, session: Session = SESSION, who: Principal = Depends(READ)
) -> FhirResponse:
    return _one(service.read_response(session, number, who, _lang(request)))


@router.get("/ClaimResponse")
def search_claim_responses(
    request: Request, session: Session = SESSION, who: Principal = Depends(READ)
) -> FhirResponse:
    count, offset = _paging(request)
    params = {k: v for k, v in request.query_params.items() if not k.startswith("_") or k == "_id"}
    found, total = service.search_responses(session, params, who, _lang(request), count, offset)
    return _bundle(request, found, total)


@router.get("/ExplanationOfBenefit/{number}")
def read_explanation(
    number: str, request: Request, session: Session = SESSION, who: Principal = Depends(OWN_CLAIMS)
) -> FhirResponse:
    return _one(service.explanation(session, number, who, _lang(request)))


@router.get("/ExplanationOfBenefit")
def search_explanations(
    request: Request, session: Session = SESSION, who: Principal = Depends(OWN_CLAIMS)
) -> FhirResponse:
    count, offset = _paging(request)
    if number := request.query_params.get("_id"):
        try:
            return _bundle(request, [service.explanation(session, number, who, _lang(request))], 1)
        except NotFound:
            return _bundle(request, [], 0)
    patient = request.query_params.get("patient")
    found, total = service.explanations(
        session, patient.rsplit("/", 1)[-1] if patient else None, who, _lang(request), count, offset
    )
    return _bundle(request, found, total)


@router.get("/PaymentReconciliation/{reference}")
def read_payment(
    reference: str, session: Session = SESSION, who: Principal = Depends(PAYEE)
) -> FhirResponse:
    return _one(service.payment_reconciliation(session, reference, who))


@router.get("/PaymentReconciliation")
def search_payments(
    request: Request, session: Session = SESSION, who: Principal = Depends(PAYEE)
) -> FhirResponse:
    reference = request.query_params.get("_id") or identifier_value_param(request)
    if not reference:
        raise FhirError.one(
            "required", "search by _id or identifier (the transfer reference)", "_id"
        )
    try:
        return _bundle(request, [service.payment_reconciliation(session, reference, who)], 1)
    except NotFound:
        return _bundle(request, [], 0)


def identifier_value_param(request: Request) -> str | None:
    text = request.query_params.get("identifier")
    return text.rpartition("|")[2] if text else None
