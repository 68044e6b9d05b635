"""A provider's Communication to the fund: the answer to what the fund asked about a care
sheet (a document) or a pre-authorisation (information, documents), given to the same
services as the REST API's (HCX ``communication/request``; a CommunicationDocument Bundle
or a Communication alone).

Each element Daman reads, and where it reads it:

- what it is about: ``Communication.about`` (or ``basedOn``), a reference ``Claim/F...``
  or ``Claim/PA...``, or an identifier: the number (systems claim and preauthorisation)
  or the identifier the provider's Claim was submitted with;
- ``payload[n].contentString``: the answer to a controller's question on a
  pre-authorisation (which then waits for the fund again: ``/information`` of the REST
  API); a care sheet takes documents only;
- ``payload[n].contentAttachment``: a document, its bytes in ``data`` (PDF, JPEG or PNG,
  checked by the document store as an upload is), ``contentType`` and ``title``;
  attached to the care sheet or the request (``/documents`` of the REST API). Documents
  alone answer a question they were asked for.

The answer is the fund's Communication (completed, in response to the provider's) and the
ClaimResponse as it now stands.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.claims import service as claims
from daman.core.dates import now
from daman.core.errors import DamanError
from daman.documents import store
from daman.fhir import codes
from daman.fhir.directory import fund_reference, patient_reference, provider_reference
from daman.fhir.outcome import FhirError, Issue, from_domain
from daman.fhir.parse import Checks, emit, identifier_value, loads, model, reference_id
from daman.fhir.service import read_response, submitted_number
from daman.preauth import repository as preauth_repo
from daman.preauth import service as preauth
from daman.preauth.models import PreauthDocument, PreauthStatus
from daman.preauth.schemas import InformationIn
from daman.providers.models import Provider

COMMUNICATION = f"{codes.BASE}/sid/communication"  # the fund's own Communications
REQUEST = f"{codes.BASE}/sid/communication-request"  # what the fund asks of a provider
CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"


@dataclass
class Document:
    index: int  # in Communication.payload
    title: str
    content_type: str | None
    data: bytes


@dataclass
class Received:
    """A Communication as read."""

    root: str
    number: str  # the care sheet (F...) or pre-authorisation (PA...) it is about
    texts: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    reference: dict[str, Any] | None = None  # the provider's Communication, to answer to


def _find(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if data["resourceType"] == "Communication":
        return data, "Communication"
    if data["resourceType"] != "Bundle":
        raise FhirError.one(
            "not-supported",
            f"a Communication or a Bundle holding one, not a {data['resourceType']}",
            "resourceType",
        )
    model(data)  # the Bundle's structure, every entry included
    found = [
        (i, e["resource"])
        for i, e in enumerate(data.get("entry") or [])
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Communication"
    ]
    if len(found) != 1:
        raise FhirError.one(
            "invalid", f"the Bundle holds {len(found)} Communications: one is expected", "Bundle"
        )
    return found[0][1], f"Bundle.entry[{found[0][0]}].resource"


def _about(
    session: Session,
    communication: Any,
    root: str,
    who: Principal,
    checks: Checks,
    default: str | None,
) -> str | None:
    """The number of the care sheet or request the Communication is about (``default``
    when it names none: the claim of the exchange cycle it belongs to)."""
    named = [("about", r) for r in communication.about or []]
    named += [("basedOn", r) for r in communication.basedOn or []]
    for element, ref in named:
        if number := reference_id(ref, "Claim"):
            return number.strip().upper()
        ident = getattr(ref, "identifier", None)
        if ident is None or not ident.value:
            continue
        if number := identifier_value(ident, codes.CLAIM_NUMBER) or identifier_value(
            ident, codes.PREAUTH_NUMBER
        ):
            return number.upper()
        submitted = submitted_number(session, who, f"{ident.system or ''}|{ident.value}")
        if submitted is not None:
            return submitted
        checks.add(
            "not-found", f"no Claim of identifier {ident.value} from you", f"{root}.{element}"
        )
        return None
    if default is not None:
        return default
    checks.add(
        "required",
        "say which Claim this answers: about = Claim/<number> (F... or PA...) or the "
        "Claim's identifier",
        f"{root}.about",
    )
    return None


def _bytes(data: Any) -> bytes | None:
    """An attachment's bytes: the model decodes base64Binary itself (bytes)."""
    if isinstance(data, bytes):
        return data
    try:
        return base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        return None


def read(session: Session, body: bytes, who: Principal, about: str | None = None) -> Received:
    data, root = _find(loads(body))
    communication = model(data, root)
    checks = Checks()
    checks.code_in(communication.status, codes.EVENT_STATUS, f"{root}.status")
    if communication.status in codes.EVENT_STATUS and communication.status != "completed":
        checks.add("business-rule", "a Communication is sent completed", f"{root}.status")
    number = _about(session, communication, root, who, checks, about)
    received = Received(root, number or "")
    payloads = communication.payload or []
    if not payloads:
        checks.add("required", "the answer: a text or documents", f"{root}.payload")
    for i, part in enumerate(payloads):
        at = f"{root}.payload[{i}]"
        if part.contentString is not None:
            received.texts.append(str(part.contentString))
        elif part.contentAttachment is not None:
            attachment = part.contentAttachment
            if attachment.data is None:
                checks.add(
                    "not-supported",
                    "send the document's bytes in data: the fund fetches nothing from a URL",
                    f"{at}.contentAttachment.data",
                )
                continue
            raw = _bytes(attachment.data)
            if raw is None:
                checks.add("value", "not base64", f"{at}.contentAttachment.data")
                continue
            received.documents.append(
                Document(i, str(attachment.title or "document"), attachment.contentType, raw)
            )
        else:
            checks.add(
                "not-supported", "a text (contentString) or a document (contentAttachment)", at
            )
    checks.raise_any()
    if communication.identifier:
        first = communication.identifier[0]
        received.reference = {
            "identifier": {k: v for k, v in (("system", first.system), ("value", first.value)) if v}
        }
    elif communication.id:
        received.reference = {"reference": f"Communication/{communication.id}"}
    return received


def _at(received: Received, doc: Document) -> Callable[[str], str]:
    """Where a refused document lies in what was sent."""
    at = f"{received.root}.payload[{doc.index}].contentAttachment"
    return lambda _: at


def _attach(session: Session, received: Received, owner: Any, who: Principal) -> list[str]:
    """Each document attached (the same bytes twice: the first row); their titles."""
    titles = []
    for doc in received.documents:
        try:
            if received.number.startswith("PA"):
                store.attach(
                    session,
                    owner.documents,
                    PreauthDocument,
                    doc.title,
                    doc.content_type,
                    doc.data,
                    who.actor,
                )
            else:
                claims.attach_document(
                    session,
                    owner,
                    doc.title,
                    doc.content_type,
                    doc.data,
                    who.actor,
                    claims.uploaded_by(who)["provider_id"],
                )
        except DamanError as exc:
            raise from_domain(exc, _at(received, doc)) from exc
        titles.append(doc.title)
    return titles


def _answer_preauth(session: Session, received: Received, who: Principal) -> str:
    row = preauth_repo.by_number(session, received.number, who)
    if received.documents:
        preauth.takes_documents(row)
    titles = _attach(session, received, row, who)
    asked = row.status == PreauthStatus.INFO_REQUESTED
    if not received.texts and not asked:
        return f"{len(titles)} document(s) attached to {row.number}"
    message = "\n".join(received.texts) or "documents sent: " + ", ".join(titles)
    try:
        answer = InformationIn(message=message)
    except ValidationError as exc:
        where = f"{received.root}.payload"
        raise FhirError([Issue("value", str(e["msg"]), where) for e in exc.errors()]) from exc
    preauth.supply_information(session, row.number, answer, who)
    done = f"the answer to the controller's question on {row.number} is recorded"
    return done + (f", with {len(titles)} document(s)" if titles else "")


def _answer_claim(session: Session, received: Received, who: Principal) -> str:
    if received.texts:
        raise FhirError.one(
            "not-supported",
            "a care sheet takes documents (contentAttachment), not text",
            f"{received.root}.payload",
        )
    claim = claims.get(session, received.number, who)
    titles = _attach(session, received, claim, who)
    done = f"{len(titles)} document(s) attached to care sheet {claim.number}"
    if titles and adjudication.document_received(session, claim, titles, who.actor):
        done += ": the fund's request for a document is answered, the claim back to review"
    return done


def receive(
    session: Session, body: bytes, who: Principal, lang: str, about: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Give a provider's answer to the service it answers; the fund's Communication and the
    ClaimResponse as it now stands. ``about``: the care sheet or request it answers when
    the Communication does not say."""
    received = read(session, body, who, about)
    about = f"{received.root}.about"
    try:
        if received.number.startswith("PA"):
            done = _answer_preauth(session, received, who)
        else:
            done = _answer_claim(session, received, who)
    except DamanError as exc:
        found = from_domain(exc, lambda _: f"{received.root}.payload")
        if exc.status == 404:
            found = FhirError.one("not-found", str(exc.detail), about, status=404)
        raise found from exc
    response = read_response(session, received.number, who, lang)
    reply: dict[str, Any] = {
        "resourceType": "Communication",
        "id": str(uuid.uuid4()),
        "identifier": [{"system": COMMUNICATION, "value": str(uuid.uuid4())}],
        "status": "completed",
        "about": [{"reference": f"Claim/{received.number}"}],
        "subject": response["patient"],
        "sent": now().isoformat(),
        "sender": fund_reference(),
        "payload": [
            {"contentString": done},
            {"contentReference": {"reference": f"ClaimResponse/{received.number}"}},
        ],
    }
    if received.reference is not None:
        reply["inResponseTo"] = [received.reference]
    if "requestor" in response:
        reply["recipient"] = [response["requestor"]]
    return emit(reply), response


def document_request(
    number: str, patient: str, provider: Provider, document: str, asked_at: datetime, key: str
) -> dict[str, Any]:
    """The fund's CommunicationRequest to the provider of care sheet or pre-authorisation
    ``number``: the document or information a controller asked for
    (daman.claims.requests, a pre-authorisation's ``ask_information``), about the Claim,
    for the patient; ``key`` identifies the request (the row of the claim's or request's
    history). The provider answers with a Communication about the same Claim: documents
    for a care sheet, text and documents for a pre-authorisation."""
    return emit(
        {
            "resourceType": "CommunicationRequest",
            "id": str(uuid.uuid4()),
            "identifier": [{"system": REQUEST, "value": key}],
            "status": "active",
            "category": [
                {
                    "coding": [
                        {
                            "system": CATEGORY,
                            "code": "instruction",
                        }
                    ]
                }
            ],
            "priority": "routine",
            "subject": patient_reference(patient),
            "about": [{"reference": f"Claim/{number}"}],
            "payload": [{"contentString": document}],
            "authoredOn": asked_at.isoformat(),
            "requester": fund_reference(),
            "recipient": [provider_reference(provider, provider.inpe)],
        }
    )
