"""Synthetic claims: days of care sheets as they arrive at the fund, stored `received`.

A day's mix: consultations (general practitioner C, specialist Cs) often with the
medicines they prescribe (drawn from the drug list in the database), lab tests (B) and
imaging (Z, K); dental care (D) and prostheses; chronic patients' medicines under their
ALD exemption; a few hospital stays. A few percent are what the engine must catch:
late claims (deposited more than 60 days after the care), duplicates of an earlier
claim, claims for persons whose rights have ended and dental prostheses above the
ceiling. Claim numbers come from the "claim" counter, as at intake.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from daman.claims.intake import claim_number
from daman.claims.models import Channel, ClaimStatus
from daman.core.dates import BUSINESS_TZ, now, today
from daman.core.enums import CareCategory, ProviderKind
from daman.core.identifiers import allocate
from daman.synth.bulk import BulkWriter
from daman.synth.claim_context import ClaimContext, Medicine, Prov, Providers, load_context
from daman.synth.population import Ids, Row, Weighted, tracked

CLAIM_COLUMNS = tracked(
    "id number patient_id channel deposit_date received_at ald_code status charged_centimes "
    "base_centimes amo_centimes complementary_centimes patient_centimes submitter"
)
LINE_COLUMNS = (
    *("id", "claim_id", "line_no", "category", "care_date", "provider_id", "prescriber_id"),
    *("prescription_date", "act_key", "coefficient_milli", "drug_code", "quantity"),
    *("charged_centimes", "ald_code"),
)
EVENT_COLUMNS = ("id", "claim_id", "from_status", "to_status", "at", "by", "reason")
TABLES = {
    "claims": CLAIM_COLUMNS,
    "claim_lines": LINE_COLUMNS,
    "claim_status_events": EVENT_COLUMNS,
}

# What a claim is about, and how often (share of a day's claims).
KINDS: tuple[tuple[str, float], ...] = (
    ("consultation", 0.58),
    ("chronic", 0.12),
    ("lab", 0.07),
    ("imaging", 0.05),
    ("dental", 0.09),
    ("hospital", 0.03),
    ("ineligible", 0.03),
    ("duplicate", 0.02),
    ("over_ceiling", 0.01),
)
LATE_SHARE = 0.03
FILING_DEADLINE_DAYS = 60  # what "late" means for the synthetic mix; the engine reads policy
RECENT = 2_000  # claims kept to draw duplicates from
BATCH_CLAIMS = 20_000

BUILDERS = {"ineligible": "consultation"}  # kind -> the builder of its lines

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Featured:
    """A care sheet the demo asks for: this patient, this kind (see KINDS)."""

    patient: int
    kind: str
    late: bool = False


@dataclass
class Line:
    category: str
    care_date: date
    provider: int
    act_key: str | None = None
    coefficient_milli: int | None = None
    drug_code: str | None = None
    quantity: int = 1
    charged: int = 0
    prescriber: int | None = None
    prescription_date: date | None = None
    ald_code: str | None = None


@dataclass
class Sheet:
    """One care sheet before it gets its numbers."""

    patient: int
    lines: list[Line]
    ald_code: str | None = None
    late: bool = False


@dataclass
class ClaimBatch:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})
    claims: int = 0


class ClaimPlan:
    """Care sheets deposited on given days, deterministic for the seed and the context."""

    def __init__(
        self,
        ctx: ClaimContext,
        *,
        rng: random.Random,
        ids: Ids,
        numbers: Iterator[int],
        actor: str,
        stamp: datetime,
    ) -> None:
        self.ctx = ctx
        self.rng = rng
        self.ids = ids
        self.numbers = numbers
        self.actor = actor
        self.audit = (stamp, actor, stamp, actor)
        self.kinds = Counter[str]()
        self.recent: list[Sheet] = []
        self.batch = ClaimBatch()
        self.ald_patients = sorted(ctx.ald)
        self.mix = Weighted(KINDS)

    # -- days ------------------------------------------------------------------------

    def day(self, deposit: date, count: int, size: int = BATCH_CLAIMS) -> Iterator[ClaimBatch]:
        """`count` claims deposited on `deposit`; yields each batch of `size` claims as it
        fills (the rest stays in the current batch: see `take`)."""
        rng = self.rng
        for _ in range(count):
            late = rng.random() < LATE_SHARE
            sheet = self.sheet(self.mix.pick(rng), deposit, late=late)
            if sheet is None:
                sheet = self.sheet("consultation", deposit, late=late)
            if sheet is not None:
                self.add(sheet, deposit)
            if self.batch.claims >= size:
                yield self.take()

    def featured(
        self, items: Sequence[Featured], deposit: date, providers: Providers
    ) -> list[str | None]:
        """Chosen care sheets for chosen patients, from chosen providers when given; the
        number of each claim (None when it could not be made)."""
        general = self.ctx
        self.ctx = replace(general, providers={**general.providers, **providers})
        numbers: list[str | None] = []
        try:
            for item in items:
                sheet = self.sheet(item.kind, deposit, late=item.late, patient=item.patient)
                numbers.append(self.add(sheet, deposit) if sheet is not None else None)
        finally:
            self.ctx = general
        return numbers

    def take(self) -> ClaimBatch:
        batch, self.batch = self.batch, ClaimBatch()
        return batch

    def sheet(
        self, kind: str, deposit: date, *, late: bool = False, patient: int | None = None
    ) -> Sheet | None:
        """A care sheet of this kind (None when the database lacks what it needs)."""
        rng = self.rng
        if kind == "duplicate":
            if not self.recent:
                return None
            self.kinds[kind] += 1
            return self.recent[int(rng.random() * len(self.recent))]
        if late:
            care = deposit - timedelta(days=FILING_DEADLINE_DAYS + 1 + int(rng.random() * 90))
        else:
            care = deposit - timedelta(days=int(rng.random() ** 2 * 45))
        if patient is None:
            if kind == "ineligible":
                if not self.ctx.ended:
                    return None
                patient = self.ctx.ended[int(rng.random() * len(self.ctx.ended))]
            elif kind == "chronic":
                if not self.ald_patients:
                    return None
                patient = self.ald_patients[int(rng.random() * len(self.ald_patients))]
            else:
                patient, birth = self.ctx.patients[int(rng.random() * len(self.ctx.patients))]
                care = max(care, birth)
        ald_code = self.ctx.ald.get(patient) if kind == "chronic" else None
        if kind == "chronic" and ald_code is None:
            return None
        build = getattr(self, f"_{BUILDERS.get(kind, kind)}")
        lines = build(care, deposit, ald_code)
        if not lines:
            return None
        self.kinds[kind] += 1
        return Sheet(patient, lines, ald_code, late)

    def add(self, sheet: Sheet, deposit: date) -> str:
        """Number the sheet and append its rows (claim, lines, `received` event)."""
        rng = self.rng
        cid = self.ids.take("claims")
        number = claim_number(next(self.numbers))
        channel = Channel.AGENCY if sheet.late or rng.random() < 0.35 else Channel.ELECTRONIC
        at = time(8 + int(rng.random() * 9), int(rng.random() * 60))
        received = datetime.combine(deposit, at, tzinfo=BUSINESS_TZ).astimezone(UTC)
        charged = sum(line.charged for line in sheet.lines)
        rows = self.batch.rows
        rows["claims"].append(
            (
                cid,
                number,
                sheet.patient,
                channel.value,
                deposit,
                received,
                sheet.ald_code,
                ClaimStatus.RECEIVED.value,
                charged,
                0,
                0,
                0,
                0,
                self.actor,
                *self.audit,
            )
        )
        for no, line in enumerate(sheet.lines, start=1):
            rows["claim_lines"].append(
                (
                    self.ids.take("claim_lines"),
                    cid,
                    no,
                    line.category,
                    line.care_date,
                    line.provider,
                    line.prescriber,
                    line.prescription_date,
                    line.act_key,
                    line.coefficient_milli,
                    line.drug_code,
                    line.quantity,
                    line.charged,
                    line.ald_code,
                )
            )
        rows["claim_status_events"].append(
            (
                self.ids.take("claim_status_events"),
                cid,
                None,
                ClaimStatus.RECEIVED.value,
                received,
                self.actor,
                f"received ({channel.value})",
            )
        )
        self.batch.claims += 1
        if len(self.recent) < RECENT:
            self.recent.append(sheet)
        else:
            self.recent[int(rng.random() * RECENT)] = sheet
        return number

    # -- kinds of care sheets ----------------------------------------------------------

    def _pick(self, group: str) -> Prov | None:
        found = self.ctx.providers.get(group)
        return found[int(self.rng.random() * len(found))] if found else None

    def _act(
        self,
        category: CareCategory,
        key: str,
        coefficient: int,
        care: date,
        provider: int,
        markup: float = 0.3,
        quantity: int = 1,
    ) -> Line | None:
        """A coded act: charged the tariff x coefficient, plus up to `markup` more."""
        value = self.ctx.tariffs.get(key)
        if value is None:
            return None
        milli = coefficient * 1000
        reference = value * milli // 1000 * quantity
        charged = reference + int(reference * markup * self.rng.random()) // 100 * 100
        return Line(category.value, care, provider, key, milli, quantity=quantity, charged=charged)

    def _medicines(
        self, care: date, deposit: date, prescriber: int, ald_code: str | None = None
    ) -> list[Line]:
        rng = self.rng
        pharmacy = self._pick(ProviderKind.PHARMACY.value)
        pool = self.ctx.ald_medicines(ald_code) if ald_code else self.ctx.reimbursable
        if pharmacy is None or not pool:
            return []
        bought = min(care + timedelta(days=int(rng.random() * 2)), deposit)
        lines = []
        chosen: dict[str, Medicine] = {}  # one line per drug: a repeated box is a duplicate
        for _ in range(1 + int(rng.random() ** 2 * 4)):
            medicine = pool[int(rng.random() * len(pool))]
            if ald_code is None and self.ctx.not_reimbursable and rng.random() < 0.08:
                medicine = self.ctx.not_reimbursable[
                    int(rng.random() * len(self.ctx.not_reimbursable))
                ]
            chosen[medicine.code] = medicine
        for medicine in chosen.values():
            quantity = 1 + int(rng.random() ** 3 * (3 if ald_code else 2))
            lines.append(
                Line(
                    CareCategory.MEDICINE.value,
                    bought,
                    pharmacy.id,
                    drug_code=medicine.code,
                    quantity=quantity,
                    charged=medicine.ppv * quantity,
                    prescriber=prescriber,
                    prescription_date=care,
                    ald_code=ald_code,
                )
            )
        return lines

    def _consultation(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        rng = self.rng
        doctor = self._pick("gp" if rng.random() < 0.55 else "specialist") or self._pick("gp")
        if doctor is None:
            return []
        first = self._act(CareCategory.CONSULTATION, doctor.key, 1, care, doctor.id, markup=0.6)
        if first is None:
            return []
        lines = [first]
        if rng.random() < 0.7:
            lines += self._medicines(care, deposit, doctor.id)
        if rng.random() < 0.12:
            lines += self._lab(care, deposit, None, prescriber=doctor.id)
        elif rng.random() < 0.06:
            lines += self._imaging(care, deposit, None, prescriber=doctor.id)
        return lines

    def _chronic(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        doctor = self._pick("specialist") or self._pick("gp")
        if doctor is None:
            return []
        return self._medicines(care, deposit, doctor.id, ald_code)

    def _lab(
        self, care: date, deposit: date, ald_code: str | None, prescriber: int | None = None
    ) -> list[Line]:
        rng = self.rng
        lab = self._pick(ProviderKind.LAB.value)
        doctor = prescriber or getattr(self._pick("gp"), "id", None)
        if lab is None or doctor is None:
            return []
        day = min(care + timedelta(days=int(rng.random() * 3)), deposit)
        # the tests of one prescription add up to one B coefficient
        line = self._act(CareCategory.LAB, "B", 40 + int(rng.random() * 560), day, lab.id)
        if line is None:
            return []
        line.prescriber, line.prescription_date = doctor, care
        return [line]

    def _imaging(
        self, care: date, deposit: date, ald_code: str | None, prescriber: int | None = None
    ) -> list[Line]:
        rng = self.rng
        centre = self._pick("imaging_centre")
        doctor = prescriber or getattr(self._pick("gp"), "id", None)
        if centre is None or doctor is None:
            return []
        day = min(care + timedelta(days=int(rng.random() * 5)), deposit)
        if rng.random() < 0.6:  # radiography (Z), else ultrasound (K)
            line = self._act(CareCategory.IMAGING, "Z", 15 + int(rng.random() * 60), day, centre.id)
        else:
            line = self._act(CareCategory.IMAGING, "K", 10 + int(rng.random() * 20), day, centre.id)
        if line is None:
            return []
        line.prescriber, line.prescription_date = doctor, care
        return [line]

    def _dental(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        rng = self.rng
        dentist = self._pick(ProviderKind.DENTIST.value)
        if dentist is None:
            return []
        # the care of one visit adds up to one D coefficient
        care_line = self._act(
            CareCategory.DENTAL, "D", 4 + int(rng.random() * 40), care, dentist.id
        )
        lines = [care_line] if care_line is not None else []
        if rng.random() < 0.15:
            prosthesis = self._act(
                CareCategory.DENTAL_PROSTHESIS, "DP", 40 + int(rng.random() * 180), care, dentist.id
            )
            if prosthesis is not None:
                lines.append(prosthesis)
        return lines

    def _over_ceiling(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        """A dental prosthesis above 3,000 MAD of base (the shipped two-year ceiling)."""
        dentist = self._pick(ProviderKind.DENTIST.value)
        if dentist is None:
            return []
        coefficient = 260 + int(self.rng.random() * 80)
        line = self._act(CareCategory.DENTAL_PROSTHESIS, "DP", coefficient, care, dentist.id)
        return [line] if line is not None else []

    def _hospital(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        if self.rng.random() < 0.4:
            return self._public_stay(care, deposit, ald_code)
        return self._private_stay(care, deposit, ald_code)

    def _public_stay(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        return self._stay(care, public=True)

    def _private_stay(self, care: date, deposit: date, ald_code: str | None) -> list[Line]:
        return self._stay(care, public=False)

    def _stay(self, care: date, *, public: bool) -> list[Line]:
        """A medical stay (per-day tariff), with a surgical act (K) now and then."""
        rng = self.rng
        facility = self._pick("hospital_public" if public else "clinic") or self._pick(
            "hospital_private"
        )
        if facility is None:
            return []
        days = 1 + int(rng.random() ** 2 * 6)
        stay = self._act(
            CareCategory.HOSPITALISATION,
            "HOSP_MED",
            1,
            care,
            facility.id,
            markup=0.0 if public else 0.4,
            quantity=days,
        )
        if stay is None:
            return []
        lines = [stay]
        if rng.random() < 0.45:
            surgery = self._act(
                CareCategory.MEDICAL_ACT, "K", 30 + int(rng.random() * 120), care, facility.id
            )
            if surgery is not None:
                lines.append(surgery)
        return lines


@dataclass
class ClaimsResult:
    claims: int = 0
    featured: list[str | None] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    claim_ids: list[int] = field(default_factory=list)


def claim_rng(seed: int, until: date) -> random.Random:
    return random.Random(f"{seed}:claims:{until.isoformat()}")  # noqa: S311 - synthetic data


def generate_claims(
    session: Session,
    *,
    per_day: int,
    seed: int,
    days: int = 1,
    until: date | None = None,
    actor: str = "synth",
    featured: Sequence[Featured] = (),
    featured_providers: Providers | None = None,
    progress: Progress | None = None,
) -> ClaimsResult:
    """Store `per_day` claims deposited on each of `days` days ending on `until` (default
    today), status `received`; the `featured` sheets first, deposited on `until`.
    Only flushes."""
    until = until or today()
    ctx = load_context(session, until)
    result = ClaimsResult()
    total = per_day * days + len(featured)
    if not ctx.patients or total <= 0:
        return result
    numbers = iter(allocate(session, "claim", total))
    with BulkWriter(session) as writer:
        ids = Ids(writer.next_ids(TABLES))
        first_claim = ids.next["claims"]
        plan = ClaimPlan(
            ctx, rng=claim_rng(seed, until), ids=ids, numbers=numbers, actor=actor, stamp=now()
        )
        result.featured = plan.featured(featured, until, featured_providers or {})

        def write(batch: ClaimBatch) -> None:
            for name, columns in TABLES.items():
                writer.write(name, columns, batch.rows[name])
            result.claims += batch.claims
            if progress:
                progress(result.claims)

        for back in range(days - 1, -1, -1):
            for batch in plan.day(until - timedelta(days=back), per_day):
                write(batch)
        write(plan.take())
        result.claim_ids = list(range(first_claim, ids.next["claims"]))
    result.rows = dict(writer.written)
    result.kinds = dict(sorted(plan.kinds.items()))
    return result
