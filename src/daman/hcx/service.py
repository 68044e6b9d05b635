"""The HCX-style exchange: a partner's call is checked and stored at once (202 with its
ids), processed by a worker through the same FHIR use cases as the synchronous API (the
counter's engine, scope and idempotency), and the answer is posted to the partner's
``on_*`` endpoint, encrypted to its key, again and again with back-off until the partner
acknowledges it (2xx). Delivery is recorded in the cycle's row in the transaction that
follows the acknowledgement: a callback is never lost, and never sent again once
acknowledged (a retry carries the same api_call_id, so a partner can recognise it).

The fund starts a cycle too: a controller's request for a document on a care sheet, or
for information on a pre-authorisation, of a partner's provider goes to the partner as a
CommunicationRequest (``ask_provider``, ``ask_partners``), posted to its
``communication/request`` endpoint with the same retries; the partner answers on
``communication/on_request`` with a Communication: its documents attached to the care
sheet as an upload's would be (the request answered, the claim back to review), or its
text and documents the pre-authorisation's answer (its clock running again)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jwcrypto import jwk
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims.models import Claim
from daman.core.dates import aware, now
from daman.core.errors import DamanError, NotFound, ValidationFailed
from daman.fhir import communication, eligibility
from daman.fhir import service as fhir
from daman.fhir.directory import fund_reference
from daman.fhir.outcome import FhirError
from daman.fhir.parse import emit
from daman.hcx import jwe
from daman.hcx.errors import ProtocolError
from daman.hcx.models import CycleStatus, HcxCycle, HcxPartner
from daman.providers import service as providers
from daman.providers.models import Provider

DAMAN_CODE = "daman-amo"  # the fund's participant code
ON_ACTION = {
    "coverageeligibility/check": "coverageeligibility/on_check",
    "preauth/submit": "preauth/on_submit",
    "claim/submit": "claim/on_submit",
    "paymentnotice/request": "paymentnotice/on_request",
    "communication/request": "communication/on_request",
    "hcx/status": "hcx/on_status",
}
# What a partner sends in answer to a call the fund started: processed, nothing sent back.
ANSWERS = ("communication/on_request",)
MANDATORY = (
    "x-hcx-sender_code",
    "x-hcx-recipient_code",
    "x-hcx-api_call_id",
    "x-hcx-correlation_id",
    "x-hcx-timestamp",
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(hours=24)
MAX_BACKOFF = timedelta(hours=1)


# -- partners ------------------------------------------------------------------------------


def register_partner(
    session: Session,
    code: str,
    name: str,
    provider_inpe: str,
    public_jwk: dict[str, Any],
    callback_url: str,
    actor: str,
) -> HcxPartner:
    """An administrator registers a partner: its code, key, callback URL and provider."""
    provider = providers.get_provider(session, provider_inpe)
    try:
        key = jwk.JWK(**public_jwk)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed.one("public_jwk", f"not a JWK: {exc}") from exc
    if key.get("kty") != "RSA" or key.has_private:
        raise ValidationFailed.one("public_jwk", "an RSA public key (no private part)")
    if not callback_url.startswith(("http://", "https://")):
        raise ValidationFailed.one("callback_url", "an http(s) URL")
    if session.scalars(select(HcxPartner).where(HcxPartner.code == code)).first() is not None:
        raise ValidationFailed.one("code", f"partner {code} is already registered")
    row = HcxPartner(
        code=code,
        name=name,
        provider_id=provider.id,
        public_jwk=key.export_public(),
        callback_url=callback_url.rstrip("/"),
        active=True,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def set_active(session: Session, code: str, active: bool, actor: str) -> HcxPartner:
    """An administrator suspends a partner (its calls are refused ERR_INVALID_SENDER from
    then on; answers already made are still delivered) or lets it call again."""
    row = session.scalars(select(HcxPartner).where(HcxPartner.code == code)).first()
    if row is None:
        raise NotFound(f"no partner {code}", code="partner_not_found")
    row.active = active
    row.updated_at, row.updated_by = now(), actor
    session.flush()
    return row


def partners(session: Session) -> list[HcxPartner]:
    return list(session.scalars(select(HcxPartner).order_by(HcxPartner.code)))


# -- receipt ---------------------------------------------------------------------------------


def _check_headers(header: dict[str, Any]) -> None:
    missing = [h for h in MANDATORY if not isinstance(header.get(h), str) or not header.get(h)]
    if missing:
        raise ProtocolError(
            "ERR_MANDATORY_HEADER_MISSING", f"missing: {', '.join(missing)}", header=header
        )
    if not UUID.match(header["x-hcx-api_call_id"]):
        raise ProtocolError(
            "ERR_INVALID_API_CALL_ID", "x-hcx-api_call_id is no UUID", header=header
        )
    if not UUID.match(header["x-hcx-correlation_id"]):
        raise ProtocolError(
            "ERR_INVALID_CORRELATION_ID", "x-hcx-correlation_id is no UUID", header=header
        )
    workflow = header.get("x-hcx-workflow_id")
    if workflow is not None and (not isinstance(workflow, str) or not UUID.match(workflow)):
        raise ProtocolError(
            "ERR_INVALID_WORKFLOW_ID", "x-hcx-workflow_id is no UUID", header=header
        )
    try:
        at = datetime.fromisoformat(header["x-hcx-timestamp"])
    except ValueError as exc:
        raise ProtocolError(
            "ERR_INVALID_TIMESTAMP", "x-hcx-timestamp is no ISO 8601 time", header=header
        ) from exc
    if at.tzinfo is None or not now() - MAX_AGE <= at <= now() + CLOCK_SKEW:
        raise ProtocolError(
            "ERR_INVALID_TIMESTAMP",
            "x-hcx-timestamp must carry its offset, be no more than 24 hours old and not in "
            "the future",
            header=header,
        )


def receive(session: Session, action: str, payload: str, who: Principal) -> HcxCycle:
    """Check a call (headers, sender, recipient, encryption) and store it for the worker;
    a ProtocolError names what is wrong, with the protocol's code."""
    try:
        header = jwe.protected_header(payload)
    except jwe.EnvelopeError as exc:
        raise ProtocolError(exc.code, str(exc)) from exc
    _check_headers(header)
    partner = session.scalars(
        select(HcxPartner).where(HcxPartner.code == header["x-hcx-sender_code"])
    ).first()
    if partner is None or not partner.active:
        raise ProtocolError("ERR_INVALID_SENDER", "no active partner with this code", header=header)
    if not who.unrestricted and (
        who.role != Role.PROVIDER or who.provider_id != partner.provider_id
    ):
        raise ProtocolError(
            "ERR_ACCESS_DENIED", "the credential does not belong to the sender", 403, header
        )
    if header["x-hcx-recipient_code"] != DAMAN_CODE:
        raise ProtocolError(
            "ERR_INVALID_RECIPIENT", f"the fund's code is {DAMAN_CODE}", header=header
        )
    try:
        plain = jwe.decrypt(payload, jwe.own_key())
    except jwe.EnvelopeError as exc:
        raise ProtocolError(exc.code, str(exc), header=header) from exc
    try:
        json.loads(plain)
    except ValueError as exc:
        raise ProtocolError(
            "ERR_INVALID_PAYLOAD", "the payload is not JSON", header=header
        ) from exc
    api_call_id = header["x-hcx-api_call_id"]
    if session.scalars(select(HcxCycle.id).where(HcxCycle.api_call_id == api_call_id)).first():
        raise ProtocolError(
            "ERR_INVALID_API_CALL_ID", "this x-hcx-api_call_id was already received", header=header
        )
    cycle = HcxCycle(
        api_call_id=api_call_id,
        correlation_id=header["x-hcx-correlation_id"],
        workflow_id=header.get("x-hcx-workflow_id"),
        action=action,
        partner_id=partner.id,
        status=CycleStatus.ACCEPTED,
        request=plain.decode(),
        received_at=now(),
        attempts=0,
    )
    session.add(cycle)
    session.flush()
    return cycle


def cycle(session: Session, api_call_id: str, who: Principal) -> HcxCycle:
    """A cycle by its api_call_id: a partner's own, or any for the fund's staff."""
    row = session.scalars(select(HcxCycle).where(HcxCycle.api_call_id == api_call_id)).first()
    if row is None or not _sees(session, row, who):
        raise NotFound(f"no cycle {api_call_id}", code="cycle_not_found")
    return row


def _sees(session: Session, row: HcxCycle, who: Principal) -> bool:
    if who.is_staff:
        return True
    partner = session.get(HcxPartner, row.partner_id)
    return partner is not None and who.provider_id == partner.provider_id


def state(row: HcxCycle) -> dict[str, Any]:
    return {
        "api_call_id": row.api_call_id,
        "correlation_id": row.correlation_id,
        "action": row.action,
        "outbound": row.outbound,
        "status": row.status.value,
        "received_at": aware(row.received_at).isoformat(),
        "answered_at": aware(row.answered_at).isoformat() if row.answered_at else None,
        "answer_status": row.answer_status,
        "attempts": row.attempts,
        "next_attempt_at": aware(row.next_attempt_at).isoformat() if row.next_attempt_at else None,
        "last_error": row.last_error,
        "delivered_at": aware(row.delivered_at).isoformat() if row.delivered_at else None,
    }


# -- processing (the worker) ------------------------------------------------------------------


def acting_as(partner: HcxPartner) -> Principal:
    """The partner acts as its provider, as its API key would."""
    return Principal(
        actor=f"provider:hcx/{partner.code}",
        role=Role.PROVIDER,
        provider_id=partner.provider_id,
        via="hcx",
    )


def _answer(session: Session, row: HcxCycle, who: Principal) -> list[dict[str, Any]]:
    """The resources answering a call, made by the same use cases as the FHIR API."""
    action, body = row.action, row.request.encode()
    if action == "coverageeligibility/check":
        return [eligibility.submit(session, body, who)]
    if action in ("claim/submit", "preauth/submit"):
        use = "preauthorization" if action == "preauth/submit" else "claim"
        if _claim_use(json.loads(body)) != use:
            raise ProtocolError(
                "ERR_WRONG_DOMAIN_PAYLOAD", f"{action} carries a Claim of use {use}"
            )
        return [fhir.submit(session, body, who, "fr")[0]]
    if action == "paymentnotice/request":
        data = json.loads(body)
        reference = _payment_reference(data)
        if reference is None:
            raise ProtocolError(
                "ERR_WRONG_DOMAIN_PAYLOAD",
                "a PaymentNotice naming its payment (PaymentReconciliation/<transfer> or the "
                "transfer's identifier)",
            )
        return [fhir.payment_reconciliation(session, reference, who)]
    if action in ("communication/request", "communication/on_request"):
        if not _holds(json.loads(body), "Communication"):
            raise ProtocolError("ERR_WRONG_DOMAIN_PAYLOAD", f"{action} carries a Communication")
        about = _claim_of_cycle(session, row, who)
        return list(communication.receive(session, body, who, "fr", about=about))
    raise ProtocolError("ERR_INVALID_PAYLOAD", f"unknown action {action}")


def _claim_of_cycle(
    session: Session, row: HcxCycle, who: Principal, correlation: str | None = None
) -> str | None:
    """The care sheet or pre-authorisation of an exchange cycle (the claim's or preauth's
    call of that x-hcx-correlation_id, the row's own by default): what a Communication is
    about when it does not say, what a status request asks about."""
    earlier = session.scalars(
        select(HcxCycle)
        .where(
            HcxCycle.correlation_id == (correlation or row.correlation_id),
            HcxCycle.partner_id == row.partner_id,
            HcxCycle.action.in_(("claim/submit", "preauth/submit")),
            HcxCycle.id != row.id,
        )
        .order_by(HcxCycle.id.desc())
    ).all()
    asked = session.scalars(
        select(HcxCycle.request).where(
            HcxCycle.correlation_id == (correlation or row.correlation_id),
            HcxCycle.partner_id == row.partner_id,
            HcxCycle.outbound.is_(True),
        )
    ).first()
    if asked is not None:  # an answer to the fund's CommunicationRequest: what it was about
        about = _object(json.loads(asked)).get("about") or [{}]
        reference = str(_object(about[0]).get("reference") or "")
        if reference.startswith("Claim/"):
            return reference.removeprefix("Claim/")
    for cycle in earlier:
        for r in _resources(json.loads(cycle.request)):
            if isinstance(r, dict) and r.get("resourceType") == "Claim":
                idents = r.get("identifier") if isinstance(r.get("identifier"), list) else []
                first = _object(idents[0] if idents else None)
                if first.get("value"):
                    number = fhir.submitted_number(
                        session, who, f"{first.get('system') or ''}|{first['value']}"
                    )
                    if number is not None:
                        return number
    return None


def _holds(data: Any, kind: str) -> bool:
    return any(isinstance(r, dict) and r.get("resourceType") == kind for r in _resources(data))


def _resources(data: Any) -> list[Any]:
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        return [e.get("resource", {}) for e in data.get("entry", []) if isinstance(e, dict)]
    return [data]


def _claim_use(data: Any) -> str | None:
    for r in _resources(data):
        if isinstance(r, dict) and r.get("resourceType") == "Claim":
            return str(r.get("use"))
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _payment_reference(data: Any) -> str | None:
    """The transfer a PaymentNotice is about: ``payment.reference`` of the form
    ``PaymentReconciliation/<transfer>``, or ``payment.identifier.value``."""
    for r in _resources(data):
        if isinstance(r, dict) and r.get("resourceType") == "PaymentNotice":
            payment = _object(r.get("payment"))
            reference = str(payment.get("reference") or "")
            head, _, tail = reference.rpartition("/")
            if head.rsplit("/", 1)[-1] == "PaymentReconciliation" and tail:
                return tail
            value = _object(payment.get("identifier")).get("value")
            return str(value) if value else None
    return None


DOCUMENT_TYPES = "https://hcx.org/document-types"
# A callback's document, by the type of its first resource: its type's code and title
DOCUMENTS = {
    "CoverageEligibilityResponse": (
        "HCXCoverageEligibilityResponse",
        "Coverage Eligibility Response",
    ),
    "ClaimResponse": ("HCXClaimResponse", "Claim Response"),
    "PaymentReconciliation": ("HCXPaymentReconciliation", "Payment Reconciliation"),
    "Communication": ("HCXCommunication", "Communication"),
    "Task": ("HCXStatus", "Status"),
}


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A callback's payload: a FHIR document Bundle shaped as the HCX specification's
    response documents are (a Composition first, by the fund, about the patient, one
    section naming each resource that follows), with its identifier and timestamp."""
    at = now().isoformat()
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{r['resourceType']}/{r['id']}"
            if r.get("id")
            else f"urn:uuid:{uuid.uuid4()}",
            "resource": r,
        }
        for r in resources
    ]
    kind = resources[0]["resourceType"] if resources else "Bundle"
    code, title = DOCUMENTS.get(kind, (f"HCX{kind}", kind))
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": str(uuid.uuid4()),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "status": "final",
        "type": {"coding": [{"system": DOCUMENT_TYPES, "code": code, "display": title}]},
        "date": at,
        "author": [fund_reference()],
        "title": title,
        "section": [
            {
                "title": e["resource"]["resourceType"],
                "code": {"text": e["resource"]["resourceType"]},
                "entry": [{"reference": e["fullUrl"]}],
            }
            for e in entries
        ],
    }
    subject = next(filter(None, (r.get("patient") or r.get("subject") for r in resources)), None)
    if subject is not None:
        composition["subject"] = subject
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "document",
        "timestamp": at,
        "entry": [
            {"fullUrl": f"Composition/{composition['id']}", "resource": composition},
            *entries,
        ],
    }


def process(session: Session, row: HcxCycle) -> None:
    """Do the work of one accepted cycle and prepare its callback."""
    partner = session.get(HcxPartner, row.partner_id)
    assert partner is not None
    header: dict[str, Any] = {
        "x-hcx-sender_code": DAMAN_CODE,
        "x-hcx-recipient_code": partner.code,
        "x-hcx-api_call_id": str(uuid.uuid4()),
        "x-hcx-correlation_id": row.correlation_id,
        "x-hcx-timestamp": now().isoformat(),
    }
    if row.workflow_id:
        header["x-hcx-workflow_id"] = row.workflow_id
    who = acting_as(partner)
    error: tuple[str, str] | None = None
    resource: dict[str, Any] | None = None
    try:
        with session.begin_nested():  # the work, undone if it fails
            if row.action == "hcx/status":
                resource = _bundle(_status(session, row, who))
            else:
                resource = _bundle(_answer(session, row, who))
    except ProtocolError as exc:
        error = (exc.code, exc.message)
    except FhirError as exc:  # what was sent cannot be taken, or the business refuses it
        code = "ERR_DOMAIN_PROCESSING" if exc.status == 409 else "ERR_INVALID_DOMAIN_PAYLOAD"
        error = (code, str(exc))
    except DamanError as exc:
        error = ("ERR_DOMAIN_PROCESSING", f"{exc.code}: {exc}")
    if row.action in ANSWERS:  # the partner's answer: processed, nothing to call back
        row.answered_at = at = now()
        row.answer_status = "response.error" if error else "response.complete"
        row.answer = json.dumps(resource) if resource is not None else None
        row.last_error = f"{error[0]}: {error[1]}"[:1000] if error else None
        row.status, row.delivered_at, row.next_attempt_at = CycleStatus.DELIVERED, at, None
        session.flush()
        return
    if error is not None:
        header["x-hcx-status"] = "response.error"
        header["x-hcx-error_details"] = {"code": error[0], "message": error[1][:2000], "trace": ""}
        answer: dict[str, Any] = header  # the protocol header alone, no payload
    else:
        header["x-hcx-status"] = "response.complete"
        key = jwk.JWK.from_json(partner.public_jwk)
        answer = {"payload": jwe.encrypt(json.dumps(resource).encode(), header, key)}
    at = now()
    row.answer_api_call_id = header["x-hcx-api_call_id"]
    row.answer_status = header["x-hcx-status"]
    row.answer = json.dumps(answer)
    row.answered_at = at
    row.status = CycleStatus.ANSWERED
    row.next_attempt_at = at
    session.flush()


def _status(session: Session, row: HcxCycle, who: Principal) -> list[dict[str, Any]]:
    """hcx/status: the state of the process whose correlation id the request carries (its
    x-hcx-correlation_id, as the specification says, or a ``correlation_id`` in the
    payload), as a FHIR Task: each call of the cycle as an output, and the business status,
    the care sheet's or pre-authorisation's ClaimResponse as it now stands, as its focus."""
    asked = json.loads(row.request)
    correlation = str(_object(asked).get("correlation_id") or row.correlation_id)
    found = session.scalars(
        select(HcxCycle)
        .where(HcxCycle.correlation_id == correlation, HcxCycle.action != "hcx/status")
        .order_by(HcxCycle.id)
    ).all()
    cycles = [c for c in found if c.id != row.id and _sees(session, c, who)]
    if not cycles:
        raise ProtocolError(
            "ERR_INVALID_CORRELATION_ID", f"no call of yours has the correlation id {correlation}"
        )
    number = _claim_of_cycle(session, row, who, correlation)
    response = fhir.read_response(session, number, who, "fr") if number else None
    last = cycles[-1]
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(uuid.uuid4()),
        "status": "completed",
        "intent": "order",
        "businessStatus": {
            "text": f"{last.action}: {last.status.value}"
            + (f", {response['outcome']}" if response else "")
        },
        "authoredOn": now().isoformat(),
        "output": [
            {"type": {"text": c.action}, "valueString": json.dumps(state(c))} for c in cycles
        ],
    }
    if task_code := _object(next(iter(_tasks(asked)), None)).get("code"):
        task["code"] = task_code
    if response is not None:
        task["focus"] = {"reference": f"ClaimResponse/{response['id']}"}
    out = [emit(task)]
    return out + ([response] if response is not None else [])


def _tasks(data: Any) -> list[Any]:
    return [r for r in _resources(data) if isinstance(r, dict) and r.get("resourceType") == "Task"]


# -- what the fund asks ------------------------------------------------------------------------


def ask_provider(session: Session, claim: Claim, document: str, key: str) -> list[HcxCycle]:
    """The fund asks the exchange partners of the care sheet's providers for ``document``
    (a controller's request, ``key`` the row of the claim's history that records it)."""
    providers = {line.provider_id for line in claim.lines}
    return ask_partners(
        session, claim.number, claim.patient.immatriculation, providers, document, key
    )


def ask_partners(
    session: Session,
    number: str,
    patient: str,
    provider_ids: set[int],
    document: str,
    key: str,
) -> list[HcxCycle]:
    """The fund asks the exchange partners of ``provider_ids`` about care sheet or
    pre-authorisation ``number`` (of the patient with immatriculation ``patient``) for
    ``document`` (what a controller asked for; ``key`` the row of its history that records
    the question): a CommunicationRequest each, encrypted to the partner's key and queued
    for delivery to its communication/request endpoint. None when no provider is an active
    partner (it reads the request on its page, or by e-mail)."""
    found = session.scalars(
        select(HcxPartner)
        .where(HcxPartner.provider_id.in_(provider_ids), HcxPartner.active.is_(True))
        .order_by(HcxPartner.id)
    ).all()
    cycles = []
    for partner in found:
        provider = session.get(Provider, partner.provider_id)
        assert provider is not None
        at = now()
        resource = communication.document_request(number, patient, provider, document, at, key)
        header = {
            "x-hcx-sender_code": DAMAN_CODE,
            "x-hcx-recipient_code": partner.code,
            "x-hcx-api_call_id": str(uuid.uuid4()),
            "x-hcx-correlation_id": str(uuid.uuid4()),
            "x-hcx-timestamp": at.isoformat(),
        }
        sealed = jwe.encrypt(
            json.dumps(resource).encode(), header, jwk.JWK.from_json(partner.public_jwk)
        )
        row = HcxCycle(
            api_call_id=header["x-hcx-api_call_id"],
            correlation_id=header["x-hcx-correlation_id"],
            action="communication/request",
            partner_id=partner.id,
            status=CycleStatus.ANSWERED,  # ready to go: the worker delivers it
            request=json.dumps(resource),
            received_at=at,
            answer_api_call_id=header["x-hcx-api_call_id"],
            answer=json.dumps({"payload": sealed}),
            answered_at=at,
            attempts=0,
            next_attempt_at=at,
            outbound=True,
        )
        session.add(row)
        cycles.append(row)
    session.flush()
    return cycles


# -- delivery -----------------------------------------------------------------------------------

Post = Callable[[str, dict[str, Any]], int]


@dataclass(frozen=True)
class Backoff:
    first_seconds: float = 2.0

    def after(self, attempts: int) -> timedelta:
        delay = timedelta(seconds=self.first_seconds * 2 ** max(0, attempts - 1))
        return min(delay, MAX_BACKOFF)


def deliver(session: Session, row: HcxCycle, post: Post, backoff: Backoff) -> bool:
    """Post one answer to the partner's on_* endpoint; True once acknowledged (2xx)."""
    partner = session.get(HcxPartner, row.partner_id)
    assert partner is not None and row.answer is not None
    url = f"{partner.callback_url}/{row.action if row.outbound else ON_ACTION[row.action]}"
    row.attempts += 1
    try:
        status = post(url, json.loads(row.answer))
        problem = None if 200 <= status < 300 else f"HTTP {status}"
    except OSError as exc:
        problem = f"{type(exc).__name__}: {exc}"
    at = now()
    if problem is None:
        row.status, row.delivered_at, row.next_attempt_at = CycleStatus.DELIVERED, at, None
        row.last_error = None
    else:
        row.last_error = problem[:1000]
        row.next_attempt_at = at + backoff.after(row.attempts)
    session.flush()
    return problem is None
