"""Intake: check care sheets at the door, store the valid ones `received` with a number.

The checks are structural (is it a claim the fund can value?), one error per field:
unknown patient, provider, TNR key, drug code or ALD; amounts <= 0 or above the policy's
limits per line and per claim; a care date in the future; a deposit date before a care
date or in the future; a quantity out of range; lines that contradict their category; a
continuous treatment end for care that is not continuous (see `continuity_problem`).
Whether the fund *pays* is the engine's business.

Lookups are done in bulk, so validating one claim or ten thousand costs the same few
queries. The deposit date (date de dépôt) of an electronic claim is the business day it
arrives; a paper claim (agency, import) carries the day it was handed in. Who may send a
paper claim (the fund's staff, the import command) is the service's rule, not this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daman.claims import repository as repo
from daman.claims.models import Channel, Claim, ClaimLine, ClaimStatus
from daman.claims.repository import ProviderRef
from daman.claims.schemas import ClaimIn, ClaimLineIn
from daman.core.dates import covers, now, today
from daman.core.enums import CareCategory
from daman.core.errors import Conflict, FieldError, ValidationFailed
from daman.core.identifiers import ean13_problem, reserve
from daman.core.money import MAX_CENTIMES, format_mad
from daman.reference import cache
from daman.reference.models import CONTINUOUS_ALD_CATEGORIES, CONTINUOUS_CATEGORIES
from daman.reference.repository import PolicyRow, category_set, policies, policy_on

MAX_COEFFICIENT_MILLI = 9_999_999
# What applies when no policy is in force on the deposit date (the seeded policy's values).
DEFAULT_MAX_QUANTITY = 99
DEFAULT_MAX_LINE_CENTIMES = 1_000_000_000
DEFAULT_MAX_CLAIM_CENTIMES = MAX_CENTIMES


@dataclass(frozen=True)
class Lookups:
    """What the door needs from the database for a set of claims, read in bulk."""

    patients: dict[str, int]
    providers: dict[str, ProviderRef]
    act_keys: set[str]
    drug_codes: set[str]
    ald_codes: set[str]
    policies: list[PolicyRow]
    # ALD exemptions of the patients of claims giving a continuous treatment end
    exemptions: dict[int, list[repo.ExemptionRef]]


def lookups(session: Session, drafts: Sequence[ClaimIn]) -> Lookups:
    lines = [ln for d in drafts for ln in d.lines]
    inpes = {ln.provider_inpe.strip() for ln in lines}
    inpes |= {ln.prescriber_inpe.strip() for ln in lines if ln.prescriber_inpe}
    alds = {d.ald_code for d in drafts if d.ald_code} | {ln.ald_code for ln in lines if ln.ald_code}
    patients = repo.patients(session, (_immat(d.patient) for d in drafts))
    continuous = {
        patients[_immat(d.patient)]
        for d in drafts
        if d.continuous_treatment_end is not None and _immat(d.patient) in patients
    }
    ref = cache.current(session)
    act_keys, drug_codes = ref.get(repo.every_act_key), ref.get(repo.every_drug_code)
    return Lookups(
        patients=patients,
        providers=repo.providers(session, inpes),
        act_keys={ln.act_key for ln in lines if ln.act_key and ln.act_key in act_keys},
        drug_codes={ln.drug_code for ln in lines if ln.drug_code and ln.drug_code in drug_codes},
        ald_codes=alds & ref.get(repo.every_ald_code),
        policies=ref.get(policies),
        exemptions=repo.ald_exemptions(session, continuous),
    )


def _immat(number: str) -> str:
    return number.strip().upper()


def deposit_date_of(draft: ClaimIn, day: date) -> date | None:
    if draft.channel == Channel.ELECTRONIC:
        return day
    return draft.deposit_date


def coefficient_milli(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 1000)


def problems(draft: ClaimIn, lk: Lookups, day: date) -> list[FieldError]:
    """Every reason the claim cannot be stored, one per field (empty when it can)."""
    errs: list[FieldError] = []

    def bad(field: str, reason: str) -> None:
        errs.append(FieldError(field=field, reason=reason))

    if _immat(draft.patient) not in lk.patients:
        bad("patient", f"unknown patient (no immatriculation {draft.patient})")
    if draft.ald_code and draft.ald_code not in lk.ald_codes:
        bad("ald_code", f"unknown ALD code {draft.ald_code}")
    if not draft.lines:
        bad("lines", "a claim needs at least one line")
    deposit = deposit_date_of(draft, day)
    if draft.channel == Channel.ELECTRONIC:
        if draft.deposit_date is not None and draft.deposit_date != day:
            bad("deposit_date", "an electronic claim is deposited the day it arrives; leave it out")
    elif deposit is None:
        bad("deposit_date", "required: the day the paper claim was handed in")
    elif deposit > day:
        bad("deposit_date", "is in the future")
    policy = policy_on(lk.policies, deposit or day)
    limits = Limits.of(policy)
    for i, line in enumerate(draft.lines):
        errs += _line_problems(f"lines[{i}]", line, lk, day, limits)
    if problem := limits.claim_problem([ln.charged_centimes for ln in draft.lines], "charged"):
        bad("lines", problem)
    latest = max((ln.care_date for ln in draft.lines if ln.care_date <= day), default=None)
    if deposit is not None and latest is not None and deposit < latest:
        bad("deposit_date", f"is before the care date {latest}")
    end = draft.continuous_treatment_end
    if end is not None and draft.lines:
        last = max(ln.care_date for ln in draft.lines)
        if problem := continuity_problem(draft, lk, limits):
            bad("continuous_treatment_end", problem)
        elif end < last:
            bad("continuous_treatment_end", f"is before the last care date ({last})")
        elif deposit is not None and end > deposit:
            bad("continuous_treatment_end", "is after the deposit date")
    return errs


@dataclass(frozen=True)
class Limits:
    """What the policy in force on the deposit date allows at the door."""

    quantity: int
    line_centimes: int
    claim_centimes: int
    continuous: frozenset[str]
    continuous_under_ald: frozenset[str]

    @classmethod
    def of(cls, policy: PolicyRow | None) -> Limits:
        if policy is None:
            return cls(
                DEFAULT_MAX_QUANTITY,
                DEFAULT_MAX_LINE_CENTIMES,
                DEFAULT_MAX_CLAIM_CENTIMES,
                category_set(CONTINUOUS_CATEGORIES),
                category_set(CONTINUOUS_ALD_CATEGORIES),
            )
        return cls(
            policy.max_line_quantity,
            policy.max_line_charged_centimes,
            policy.max_claim_charged_centimes,
            policy.continuous,
            policy.continuous_under_ald,
        )

    def line_problem(self, amount: int) -> str | None:
        """Why one line's amount is refused (more than 0, at most the fund's limit)."""
        if amount <= 0:
            return "must be more than 0"
        if amount > self.line_centimes:
            return f"at most {format_mad(self.line_centimes)} MAD for one line (the fund's limit)"
        return None

    def claim_problem(self, lines: list[int], verb: str) -> str | None:
        """Why the claim's lines, `verb` (charged, estimated) in all, are refused."""
        total = sum(lines)  # each bounded by the schema
        if total <= self.claim_centimes:
            return None
        return (
            f"{verb} {format_mad(total)} MAD in all, above the fund's limit of "
            f"{format_mad(self.claim_centimes)} MAD for one claim"
        )


def continuity_problem(draft: ClaimIn, lk: Lookups, limits: Limits) -> str | None:
    """Why the claim's lines are not a continuous treatment, or None when they are.

    The end of a continuous treatment moves the filing deadline, so only care that is
    continuous may give one: every line in one of the policy's continuous categories
    (sessions, a stay), or in one of its categories continuous under an ALD (chronic
    medicine, dialysis) and linked to an ALD the patient is exempted for on the care date.
    """
    patient = lk.patients.get(_immat(draft.patient))
    exemptions = lk.exemptions.get(patient, []) if patient is not None else []
    for i, line in enumerate(draft.lines):
        if line.category in limits.continuous:
            continue
        ald = line.ald_code or draft.ald_code
        if line.category in limits.continuous_under_ald:
            if ald and any(
                e.ald_code == ald and covers(e.valid_from, e.valid_to, line.care_date)
                for e in exemptions
            ):
                continue
            return (
                f"lines[{i}] ({line.category}) is continuous treatment only when linked to "
                "an ALD the patient is exempted for on its care date"
            )
        allowed = ", ".join(sorted(limits.continuous)) or "none"
        return (
            f"only continuous care has a treatment end ({allowed}; under an ALD exemption "
            f"{', '.join(sorted(limits.continuous_under_ald)) or 'none'}): lines[{i}] is "
            f"{line.category}"
        )
    return None


def _line_problems(
    at: str, line: ClaimLineIn, lk: Lookups, day: date, limits: Limits
) -> list[FieldError]:
    errs: list[FieldError] = []

    def bad(field: str, reason: str) -> None:
        errs.append(FieldError(field=f"{at}.{field}", reason=reason))

    max_quantity = limits.quantity
    if line.care_date > day:
        bad("care_date", "is in the future")
    if problem := limits.line_problem(line.charged_centimes):
        bad("charged_centimes", problem)
    if not 1 <= line.quantity <= max_quantity:
        bad("quantity", f"must be between 1 and {max_quantity}")
    provider = lk.providers.get(line.provider_inpe.strip())
    if provider is None:
        bad("provider_inpe", f"unknown provider (no INPE {line.provider_inpe})")
    elif not covers(provider.valid_from, provider.valid_to, line.care_date):
        bad("provider_inpe", f"provider {provider.inpe} is not practising on {line.care_date}")
    if line.prescriber_inpe and line.prescriber_inpe.strip() not in lk.providers:
        bad("prescriber_inpe", f"unknown prescriber (no INPE {line.prescriber_inpe})")
    if line.prescription_date is not None and line.prescription_date > line.care_date:
        bad("prescription_date", "is after the care date")
    if line.ald_code and line.ald_code not in lk.ald_codes:
        bad("ald_code", f"unknown ALD code {line.ald_code}")
    if line.category == CareCategory.MEDICINE:
        if not line.drug_code:
            bad("drug_code", "required on a medicine line (EAN-13 of the box)")
        elif problem := ean13_problem(line.drug_code):
            bad("drug_code", problem)
        elif line.drug_code not in lk.drug_codes:
            bad("drug_code", f"unknown drug code {line.drug_code} (not on the reference list)")
        if not line.prescriber_inpe:
            bad("prescriber_inpe", "required on a medicine line (INPE of the prescriber)")
        if line.prescription_date is None:
            bad("prescription_date", "required on a medicine line")
        if line.act_key is not None:
            bad("act_key", "not allowed on a medicine line")
        if line.coefficient is not None:
            bad("coefficient", "not allowed on a medicine line")
        return errs
    if line.drug_code is not None:
        bad("drug_code", f"only medicine lines carry a drug code (this is {line.category})")
    if not line.act_key:
        bad("act_key", f"required on a {line.category} line (TNR key such as C, K, B)")
    elif line.act_key not in lk.act_keys:
        bad("act_key", f"unknown TNR key {line.act_key}")
    if problem := coefficient_problem(line.coefficient):
        bad("coefficient", problem)
    return errs


def coefficient_problem(coefficient: Decimal | None) -> str | None:
    """What is wrong with a TNR coefficient (claims and pre-authorisations), or None."""
    if coefficient is None:
        return None
    milli = coefficient * 1000
    if milli != milli.to_integral_value():
        return "at most 3 decimals"
    if not 0 < milli <= MAX_COEFFICIENT_MILLI:
        return "must be more than 0 and at most 9999.999"
    return None


def request_hash(draft: ClaimIn) -> str:
    """Fingerprint of a submission: a retry with the same key must carry the same body."""
    return hashlib.sha256(draft.model_dump_json().encode()).hexdigest()


def build(
    draft: ClaimIn,
    lk: Lookups,
    *,
    number: str,
    day: date,
    submitter: str,
    key: str | None,
    actor: str,
    channel: Channel | None = None,
) -> Claim:
    """The Claim row of a checked draft (not added to the session)."""
    deposit = deposit_date_of(draft, day)
    assert deposit is not None
    at = now()
    claim = Claim(
        number=number,
        patient_id=lk.patients[_immat(draft.patient)],
        channel=channel or draft.channel,
        deposit_date=deposit,
        received_at=at,
        continuous_end=draft.continuous_treatment_end,
        ald_code=draft.ald_code,
        status=ClaimStatus.RECEIVED,
        submitter=submitter,
        idempotency_key=key,
        request_hash=request_hash(draft),
        charged_centimes=sum(ln.charged_centimes for ln in draft.lines),
        created_at=at,
        created_by=actor,
        updated_at=at,
        updated_by=actor,
    )
    claim.lines = [
        ClaimLine(
            line_no=i + 1,
            category=ln.category,
            care_date=ln.care_date,
            provider_id=lk.providers[ln.provider_inpe.strip()].id,
            prescriber_id=(
                lk.providers[ln.prescriber_inpe.strip()].id if ln.prescriber_inpe else None
            ),
            prescription_date=ln.prescription_date,
            act_key=ln.act_key,
            coefficient_milli=coefficient_milli(ln.coefficient),
            act_code=ln.act_code,
            drug_code=ln.drug_code,
            quantity=ln.quantity,
            charged_centimes=ln.charged_centimes,
            ald_code=ln.ald_code or draft.ald_code,
        )
        for i, ln in enumerate(draft.lines)
    ]
    return claim


def claim_number(n: int) -> str:
    """'F' + 10 digits, from the 'claim' counter (reserved in blocks: unique, with gaps)."""
    return f"F{n:010d}"


def store(
    session: Session,
    drafts: Sequence[tuple[ClaimIn, str | None]],
    lk: Lookups,
    *,
    submitter: str,
    actor: str,
    channel: Channel | None = None,
) -> list[Claim]:
    """Store checked drafts (with their idempotency keys) as `received` claims."""
    if not drafts:
        return []
    day = today()
    numbers = reserve(session, "claim", len(drafts))  # no lock held until the commit
    claims = [
        build(
            draft,
            lk,
            number=claim_number(n),
            day=day,
            submitter=submitter,
            key=key,
            actor=actor,
            channel=channel,
        )
        for (draft, key), n in zip(drafts, numbers, strict=True)
    ]
    session.add_all(claims)
    session.flush()
    repo.add_events(
        session,
        [c.id for c in claims],
        from_status=None,
        to_status=ClaimStatus.RECEIVED,
        at=claims[0].received_at,
        by=actor,
        reason=f"received ({channel or drafts[0][0].channel})",
    )
    return claims


def check(session: Session, draft: ClaimIn) -> Lookups:
    """Every reason one claim sent to the API cannot be stored (ValidationFailed), or what
    the checks read: the same checks for `submit` and for a dry run, which stores nothing."""
    lk = lookups(session, [draft])
    errs = problems(draft, lk, today())
    if draft.channel == Channel.IMPORT:
        errs.append(FieldError(field="channel", reason="import is for files: daman claims import"))
    if errs:
        raise ValidationFailed(errs)
    return lk


def submit(session: Session, draft: ClaimIn, *, actor: str, key: str | None) -> tuple[Claim, bool]:
    """Check and store one claim; a retry under the same key returns the first (False).

    The same key with a different body is a Conflict: the key names one submission.
    """
    digest = request_hash(draft)
    if key is not None and (first := repo.by_key(session, actor, key)) is not None:
        return _replay(first, digest, key), False
    lk = check(session, draft)
    try:
        with session.begin_nested():
            claim = store(session, [(draft, key)], lk, submitter=actor, actor=actor)[0]
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its claim.
        if key is None or (first := repo.by_key(session, actor, key)) is None:
            raise
        return _replay(first, digest, key), False
    return claim, True


def _replay(first: Claim, digest: str, key: str) -> Claim:
    if first.request_hash != digest:
        raise Conflict(
            f"Idempotency-Key {key!r} was already used for claim {first.number} "
            "with a different body",
            code="idempotency_key_reused",
        )
    return first
