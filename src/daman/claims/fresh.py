"""Care sheets sent to the counter together: checked in bulk, built in memory with their
ids, then stored once with the values the engine gave them (daman.counter.realtime values
them in between). No claim is inserted `received` and then updated, and none is read back
for the answer.

`check` gives, for each care sheet in the order sent: a new Claim built in memory (ids and
number reserved, lines numbered, not yet in the session), or the earlier claim sent under
its Idempotency-Key (a replay, answered as it stands), or the error that refuses it: the
same checks, in the same order, and the same errors as `service.submit`. A key sent twice
in the same group: the first care sheet is stored, the second is its replay.

`rows` gives the rows that store them (claims, lines, status events), inserted by the
counter in one statement with their decision trail (core.bulk.insert_together; the audit
trail records each table's rows under each sender, with their digest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.claims import intake
from daman.claims import repository as repo
from daman.claims.models import Channel, Claim, ClaimLine, ClaimStatus, ClaimStatusEvent
from daman.claims.schemas import ClaimIn
from daman.claims.service import _may_submit
from daman.core.bulk import Columns, Part, reserve_ids_of
from daman.core.dates import today
from daman.core.errors import Conflict, DamanError, FieldError, ValidationFailed
from daman.core.identifiers import reserve
from daman.providers.models import Provider
from daman.reference import cache
from daman.reference.repository import policies
from daman.registry.models import Person


@dataclass(frozen=True)
class Sent:
    """One care sheet sent to the counter, with its Idempotency-Key and its sender."""

    draft: ClaimIn
    key: str | None
    who: Principal

    @property
    def actor(self) -> str:
        return self.who.actor


@dataclass(frozen=True)
class Replay:
    """A care sheet sent again under the key of an earlier claim: answered with that one."""

    number: str


Checked = Claim | Replay | DamanError


def check(session: Session, sent: Sequence[Sent], ref: cache.Reference) -> list[Checked]:
    """Each care sheet as a new claim built in memory, a replay, or its error; ``ref``:
    the reference data at the transaction's stamp."""
    out: list[Checked | None] = [None] * len(sent)
    earlier = _earlier(session, sent)
    first_of: dict[tuple[str, str], int] = {}  # the first care sheet of each key in the group
    todo: list[int] = []
    for i, s in enumerate(sent):
        if s.key is not None:
            if (s.actor, s.key) in earlier:
                out[i] = _replay(s, *earlier[(s.actor, s.key)])
                continue
            if (s.actor, s.key) in first_of:
                continue  # answered below, as the first one is
            first_of[(s.actor, s.key)] = i
        todo.append(i)
    lk, rows = lookups(session, [sent[i].draft for i in todo], ref)
    day = today()
    good: list[int] = []
    for i in todo:
        s = sent[i]
        try:
            _may_submit(session, s.draft, s.who)
        except DamanError as exc:
            out[i] = exc
            continue
        errs = intake.problems(s.draft, lk, day)
        if s.draft.channel == Channel.IMPORT:
            errs.append(
                FieldError(field="channel", reason="import is for files: daman claims import")
            )
        if errs:
            out[i] = ValidationFailed(errs)
            continue
        good.append(i)
    out_claims = _build(session, [sent[i] for i in good], lk, day, rows)
    for i, claim in zip(good, out_claims, strict=True):
        out[i] = claim
    for i, s in enumerate(sent):
        if out[i] is None and s.key is not None:  # its key came earlier in the group
            first = out[first_of[(s.actor, s.key)]]
            if isinstance(first, Claim):
                out[i] = _replay(s, first.number, first.request_hash)
            else:  # the first was refused: this one is checked on its own
                (out[i],) = check(session, [s], ref)
    return [cast(Checked, got) for got in out]


def _replay(s: Sent, number: str, first_hash: str | None) -> Replay | Conflict:
    """The answer to a care sheet sent under the key of claim `number` (intake._replay)."""
    if first_hash == intake.request_hash(s.draft):
        return Replay(number)
    return Conflict(
        f"Idempotency-Key {s.key!r} was already used for claim {number} with a different body",
        code="idempotency_key_reused",
    )


def _build(
    session: Session, sent: Sequence[Sent], lk: intake.Lookups, day: date, rows: Rows
) -> list[Claim]:
    """The claims of checked care sheets, with their number and ids reserved, and their
    patient and providers (rows of the session) in place."""
    if not sent:
        return []
    numbers = reserve(session, "claim", len(sent))
    built = [
        intake.build(
            s.draft,
            lk,
            number=intake.claim_number(n),
            day=day,
            submitter=s.actor,
            key=s.key,
            actor=s.actor,
        )
        for s, n in zip(sent, numbers, strict=True)
    ]
    claim_ids, line_list = reserve_ids_of(
        session,
        [(_table(Claim), len(built)), (_table(ClaimLine), sum(len(c.lines) for c in built))],
    )
    line_ids = iter(line_list)
    for claim, claim_id in zip(built, claim_ids, strict=True):
        claim.id = claim_id
        for line in claim.lines:
            line.id = next(line_ids)
            line.claim_id = claim_id
        claim.documents = []
        claim.events = []
        claim.patient = rows.persons[claim.patient_id]
        for line in claim.lines:
            line.provider = rows.providers[line.provider_id]
            if line.prescriber_id is not None:
                line.prescriber = rows.providers[line.prescriber_id]
    return built


Key = tuple[str, str]


def _earlier(session: Session, sent: Sequence[Sent]) -> dict[Key, tuple[str, str | None]]:
    """(submitter, key) -> (number, request hash) of the claims already stored under the
    keys of these care sheets."""
    pairs = sorted({(s.actor, s.key) for s in sent if s.key is not None})
    found: dict[Key, tuple[str, str | None]] = {}
    for part in repo.chunks(pairs, 1000):
        rows = session.execute(
            select(Claim.submitter, Claim.idempotency_key, Claim.number, Claim.request_hash).where(
                tuple_(Claim.submitter, Claim.idempotency_key).in_(part)
            )
        )
        for submitter, key, number, digest in rows:
            found[(submitter, str(key))] = (number, digest)
    return found


@dataclass(frozen=True)
class Rows:
    """The patients and providers of a group as rows of its session (by id): the answers
    name them without reading them again."""

    persons: dict[int, Person]
    providers: dict[int, Provider]


def lookups(
    session: Session, drafts: Sequence[ClaimIn], ref: cache.Reference
) -> tuple[intake.Lookups, Rows]:
    """What intake.lookups reads, and the patients and providers as rows."""
    lines = [ln for d in drafts for ln in d.lines]
    inpes = {ln.provider_inpe.strip() for ln in lines}
    inpes |= {ln.prescriber_inpe.strip() for ln in lines if ln.prescriber_inpe}
    alds = {d.ald_code for d in drafts if d.ald_code} | {ln.ald_code for ln in lines if ln.ald_code}
    numbers = sorted({d.patient.strip().upper() for d in drafts})
    rows = Rows({}, {})
    patients: dict[str, int] = {}
    for part in repo.chunks(numbers):
        for person in session.scalars(select(Person).where(Person.immatriculation.in_(part))):
            patients[person.immatriculation] = person.id
            rows.persons[person.id] = person
    providers: dict[str, repo.ProviderRef] = {}
    for part in repo.chunks(sorted(inpes)):
        for p in session.scalars(select(Provider).where(Provider.inpe.in_(part))):
            providers[p.inpe] = repo.ProviderRef(
                p.id, p.inpe, p.kind, p.sector, p.valid_from, p.valid_to
            )
            rows.providers[p.id] = p
    continuous = {
        patients[d.patient.strip().upper()]
        for d in drafts
        if d.continuous_treatment_end is not None and d.patient.strip().upper() in patients
    }
    act_keys, drug_codes = ref.get(repo.every_act_key), ref.get(repo.every_drug_code)
    lk = intake.Lookups(
        patients=patients,
        providers=providers,
        act_keys={ln.act_key for ln in lines if ln.act_key and ln.act_key in act_keys},
        drug_codes={ln.drug_code for ln in lines if ln.drug_code and ln.drug_code in drug_codes},
        ald_codes=alds & ref.get(repo.every_ald_code),
        policies=ref.get(policies),
        exemptions=repo.ald_exemptions(session, continuous),
    )
    return lk, rows


def rows(claims: Sequence[Claim], valued_at: datetime, why: str) -> list[Part]:
    """The rows that store valued claims: the claims, their lines and their two status
    events each (received, then the status the engine gave), by table and column, for
    core.bulk.insert_together. The events are put on the claims too (for the answer); the
    claims stay out of the session (nothing is flushed, nothing read back)."""
    for claim in claims:
        claim.events = [
            ClaimStatusEvent(
                claim_id=claim.id,
                from_status=None,
                to_status=ClaimStatus.RECEIVED,
                at=claim.received_at,
                by=claim.created_by,
                reason=f"received ({claim.channel})",
            ),
            ClaimStatusEvent(
                claim_id=claim.id,
                from_status=ClaimStatus.RECEIVED,
                to_status=claim.status,
                at=valued_at,
                by=claim.updated_by,
                reason=why,
            ),
        ]
    lines = [line for claim in claims for line in claim.lines]
    events = [event for claim in claims for event in claim.events]
    return [
        (_table(Claim), _by_column(claims, _table(Claim)), {}),
        (_table(ClaimLine), _by_column(lines, _table(ClaimLine)), {}),
        (_table(ClaimStatusEvent), _by_column(events, _table(ClaimStatusEvent), {"id"}), {}),
    ]


def _by_column(objects: Sequence[object], table: Table, skip: set[str] | None = None) -> Columns:
    """The values of the rows built in memory, by column (a scalar default where unset)."""
    out: dict[str, list[Any]] = {}
    for column in table.columns:
        if column.key in (skip or set()):
            continue
        values = [getattr(o, column.key) for o in objects]
        default = column.default
        if default is not None and default.is_scalar:
            values = [default.arg if v is None else v for v in values]  # type: ignore[attr-defined]
        out[column.name] = values
    return out


def _table(model: type[object]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
