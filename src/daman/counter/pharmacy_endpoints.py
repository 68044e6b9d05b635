"""HTTP endpoints of the pharmacy's counter: value the boxes scanned against a prescription
(a dry run, nothing stored), and dispense them (the care sheet submitted, each box counted
against the prescription). See pharmacy.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Response, status
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.core.db import SESSION
from daman.core.errors import ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.counter import pharmacy
from daman.counter.schemas import BoxesIn, CounterLineOut, CounterValuationOut, DispensingOut
from daman.prescriptions import service as prescriptions
from daman.prescriptions.errors import (
    AlreadyDispensed,
    NotAPharmacy,
    PrescriptionClosed,
    PrescriptionNotFound,
)

router = APIRouter(tags=["prescriptions"])

DISPENSE = allow(Role.PROVIDER)  # a pharmacy's account or key (checked by the service)
LANGUAGE = Header(
    default=None, description="ar, fr or en: the language of the explanations (default fr)"
)


def valuation_out(session: Session, valued: pharmacy.Valuation, lang: str) -> CounterValuationOut:
    claim = valued.claim
    explainer = Explainer(session, [])
    names = {box.ean: box.drug.name for box in valued.boxes}
    return CounterValuationOut(
        prescription=valued.prescription.number,
        patient=valued.prescription.patient.immatriculation,
        third_party=valued.third_party,
        charged_centimes=claim.charged_centimes,
        amo_centimes=claim.amo_centimes,
        complementary_centimes=claim.complementary_centimes,
        patient_centimes=claim.patient_centimes,
        patient_pays_now_centimes=valued.patient_pays_now,
        lines=[
            CounterLineOut(
                line_no=ln.line_no,
                drug_code=ln.drug_code or "",
                drug_name=names.get(ln.drug_code or "", ""),
                quantity=ln.quantity,
                charged_centimes=ln.charged_centimes,
                status=ln.status,
                amo_centimes=ln.amo_centimes or 0,
                complementary_centimes=ln.complementary_centimes or 0,
                patient_centimes=ln.patient_centimes or 0,
                reasons=explainer.explain(ln, lang),
            )
            for ln in claim.lines
        ],
    )


@router.post(
    "/prescriptions/{number}/valuation",
    response_model=CounterValuationOut,
    responses=error_responses(
        ValidationFailed, NotAPharmacy, PrescriptionNotFound, PrescriptionClosed
    ),
)
def value_boxes(
    number: str,
    payload: BoxesIn,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(DISPENSE),
    session: Session = SESSION,
) -> CounterValuationOut:
    """The real-time valuation of the boxes scanned: for each line what AMO and the mutual
    pay and what the patient pays, and what the patient pays at the counter. Nothing is
    stored."""
    valued = pharmacy.value(session, number, payload.boxes, who)
    return valuation_out(session, valued, negotiate(accept_language=accept_language))


@router.post(
    "/prescriptions/{number}/dispensings",
    status_code=status.HTTP_201_CREATED,
    response_model=DispensingOut,
    responses={
        200: {"model": DispensingOut, "description": "replay of an Idempotency-Key"},
        **error_responses(
            ValidationFailed,
            NotAPharmacy,
            PrescriptionNotFound,
            PrescriptionClosed,
            AlreadyDispensed,
        ),
    },
)
def dispense_boxes(
    number: str,
    payload: BoxesIn,
    response: Response,
    idempotency_key: str | None = Header(
        default=None,
        min_length=1,
        max_length=200,
        description="the same key from the same pharmacy never dispenses twice",
    ),
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(DISPENSE),
    session: Session = SESSION,
) -> DispensingOut:
    """Dispense the boxes scanned: the care sheet is submitted and valued, and each box is
    counted against the prescription (a box is never dispensed twice: 409
    already_dispensed when another counter took it meanwhile)."""
    done, created = pharmacy.dispense(session, number, payload.boxes, idempotency_key, who)
    if not created:
        response.status_code = status.HTTP_200_OK
    lang = negotiate(accept_language=accept_language)
    return DispensingOut(
        third_party=done.third_party,
        patient_pays_now_centimes=done.patient_pays_now,
        claim=claims.claim_out(session, done.claim, lang, who),
        prescription=prescriptions.prescription_out(done.prescription),
    )
