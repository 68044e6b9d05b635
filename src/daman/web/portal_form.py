"""The portal's care sheet form as an insured person fills it in, and the claim it stands for.

What a person types is what is printed on their papers: the date, the INPE on the stamp of
the doctor, pharmacy or laboratory, what they paid, and for medicines the 13-digit code
under each box's barcode with the number of boxes; for tests and imaging the number after
the letter on the invoice (B 120: 120). ``draft`` reads it into the API's ``ClaimIn``
(channel electronic), or says what is wrong, field by field; numbers and dates accept
Eastern Arabic digits, amounts 150, 150.50 or 150,50.

Photos sent with a "check" are reduced and kept in the document store at once (a file with
no row is harmless there: daman.documents.store); the form then carries each as a token
signed for this account (``Kept``), so that the next post, "send" included, attaches them
without sending them again, and nobody can name another person's file.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError
from stdnum import ean

from daman.claims.models import Channel
from daman.claims.schemas import ClaimIn
from daman.config import get_settings
from daman.core.enums import CareCategory
from daman.core.errors import FieldError
from daman.core.i18n import N_
from daman.core.money import MoneyError, parse_mad
from daman.core.text import western_digits
from daman.portal.checklist import Kind, Photo

MAX_BOXES = 12
FIRST_BOXES = 2
KEY_OF = {Kind.LAB: "B", Kind.IMAGING: "Z"}  # the letter on a laboratory's or centre's invoice
CATEGORY_OF = {
    Kind.CONSULTATION: CareCategory.CONSULTATION,
    Kind.MEDICINE: CareCategory.MEDICINE,
    Kind.LAB: CareCategory.LAB,
    Kind.IMAGING: CareCategory.IMAGING,
}
DOCTORS = (("C", N_("General practitioner")), ("Cs", N_("Specialist")))

# What to write in a refused field (the message names the field and says how).
ADVICE = {
    "member": N_("Member: choose who received the care."),
    "kind": N_("Kind of care: choose one."),
    "care_date": N_("Date of the care: write it as YYYY-MM-DD, today or earlier."),
    "provider": N_(
        "INPE on the stamp: write the number printed on the stamp of the doctor, pharmacy "
        "or laboratory that was paid."
    ),
    "doctor": N_("Doctor: choose general practitioner or specialist."),
    "charged": N_("Amount paid: write it in MAD, for example 150 or 150.50, more than 0."),
    "coefficient": N_(
        "Number after the letter: write the number printed after B or Z on the invoice, for "
        "example 120."
    ),
    "prescriber": N_(
        "Prescribing doctor's INPE: write the number on the stamp of the prescription."
    ),
    "prescribed_on": N_(
        "Date of the prescription: write it as YYYY-MM-DD, on or before the date of the care."
    ),
    "boxes": N_("Boxes: fill in at least one box of medicine."),
    "ean": N_(
        "Barcode: write the 13 digits under the barcode of the box's sticker, of a medicine "
        "the fund reimburses."
    ),
    "quantity": N_("Number of boxes: write a whole number, 1 or more."),
    "price": N_("Price paid: write what these boxes cost in MAD, for example 32.50."),
    "care_sheet": N_(
        "Care sheet or invoice: photos (JPEG, PNG) or PDF, readable, 10 MB each at most, 5 at "
        "a time."
    ),
    "prescription": N_(
        "Prescription: photos (JPEG, PNG) or PDF, readable, 10 MB each at most, 5 at a time."
    ),
    "barcodes": N_(
        "Barcode stickers: photos (JPEG, PNG) or PDF, readable, 10 MB each at most, 5 at a time."
    ),
    "kept": N_("Your earlier photos could not be found: choose them again."),
    "checklist": N_("Something is still missing: see the list of what to send."),
    "key": N_("This care sheet was sent already, with other values: check it, then send it."),
    "lines": N_("The care sheet cannot be sent as it is: check each value."),
}


@dataclass
class Box:
    ean: str = ""
    quantity: str = "1"
    price: str = ""

    @property
    def blank(self) -> bool:
        return not (self.ean.strip() or self.price.strip())


@dataclass(frozen=True)
class Kept:
    """A photo already received and kept by checksum, carried by the form."""

    photo: Photo
    sha256: str
    extension: str  # .jpg, .png, .pdf


def _signature(kept: Kept, user_id: int) -> str:
    key = get_settings().secret_key.encode()
    text = f"portal-upload:{user_id}:{kept.photo}:{kept.sha256}:{kept.extension}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def signed(kept: Kept, user_id: int) -> str:
    return f"{kept.photo}:{kept.sha256}:{kept.extension}:{_signature(kept, user_id)}"


def kept_of(token: str, user_id: int) -> Kept | None:
    """The photo a token names, if this account's form signed it."""
    parts = token.split(":")
    if len(parts) != 4:
        return None
    photo, sha, extension, signature = parts
    if photo not in Photo.__members__.values() or extension not in (".jpg", ".png", ".pdf"):
        return None
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        return None
    found = Kept(Photo(photo), sha, extension)
    return found if hmac.compare_digest(signature, _signature(found, user_id)) else None


@dataclass
class ClaimForm:
    member: str = ""
    kind: str = Kind.CONSULTATION.value
    care_date: str = ""
    provider: str = ""
    doctor: str = "C"
    charged: str = ""
    coefficient: str = ""
    prescriber: str = ""
    prescribed_on: str = ""
    key: str = ""
    boxes: list[Box] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    @property
    def chosen_kind(self) -> Kind | None:
        return Kind(self.kind) if self.kind in Kind.__members__.values() else None

    def photos(self, photo: Photo) -> list[Kept]:
        return [k for k in self.kept if k.photo == photo]


def boxes_of(eans: list[str], quantities: list[str], prices: list[str]) -> list[Box]:
    rows = min(MAX_BOXES, max(len(eans), len(quantities), len(prices)))

    def cell(values: list[str], i: int, default: str = "") -> str:
        return values[i] if i < len(values) else default

    return [Box(cell(eans, i), cell(quantities, i, "1"), cell(prices, i)) for i in range(rows)]


def _digits(value: str) -> str:
    return western_digits(value).strip()


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(_digits(value))
    except ValueError:
        return None


def _amount(value: str) -> int | None:
    try:
        centimes = parse_mad(_digits(value).replace("٬", "").replace(" ", ""))
    except MoneyError:
        return None
    return centimes if centimes > 0 else None


def _inpe(value: str) -> str:
    return _digits(value).replace(" ", "")


def given(form: ClaimForm) -> set[str]:
    """What the form holds, as the checklist names it (daman.portal.checklist)."""
    out = {f"photo:{k.photo}" for k in form.kept}
    if _inpe(form.provider):
        out.add("inpe")
    if _inpe(form.prescriber) and _date(form.prescribed_on):
        out.add("prescriber")
    typed = [b for b in form.boxes if not b.blank]
    if typed and all(ean.is_valid(_digits(b.ean)) for b in typed):
        out.add("barcodes")
    return out


@dataclass
class Drafted:
    claim: ClaimIn | None
    problems: dict[str, str]  # anchor -> message id (ADVICE)
    rows: list[int]  # the form's box of each medicine line


def draft(form: ClaimForm, members: set[str]) -> Drafted:
    """The care sheet the form stands for, or its problems (each field's advice)."""
    problems: dict[str, str] = {}
    kind = form.chosen_kind
    member = _digits(form.member).upper()
    if member not in members:
        problems["member"] = ADVICE["member"]
    if kind is None:
        problems["kind"] = ADVICE["kind"]
    care = _date(form.care_date)
    if care is None:
        problems["care_date"] = ADVICE["care_date"]
    provider = _inpe(form.provider)
    if not provider:
        problems["provider"] = ADVICE["provider"]
    rows: list[int] = []
    lines: list[dict[str, object]] = []
    base: dict[str, object] = {"care_date": care, "provider_inpe": provider}
    if kind in (Kind.MEDICINE, Kind.LAB, Kind.IMAGING):
        prescriber = _inpe(form.prescriber)
        prescribed = _date(form.prescribed_on)
        if not prescriber:
            problems["prescriber"] = ADVICE["prescriber"]
        if prescribed is None:
            problems["prescribed_on"] = ADVICE["prescribed_on"]
        base |= {"prescriber_inpe": prescriber or None, "prescription_date": prescribed}
    if kind in (Kind.CONSULTATION, Kind.LAB, Kind.IMAGING):
        charged = _amount(form.charged)
        if charged is None:
            problems["charged"] = ADVICE["charged"]
        line = base | {"category": CATEGORY_OF[kind], "charged_centimes": charged}
        if kind == Kind.CONSULTATION:
            if form.doctor not in dict(DOCTORS):
                problems["doctor"] = ADVICE["doctor"]
            line["act_key"] = form.doctor
        else:
            line["act_key"] = KEY_OF[kind]
            try:
                coefficient = Decimal(_digits(form.coefficient).replace(",", "."))
                if not coefficient.is_finite() or coefficient <= 0:
                    raise InvalidOperation
                line["coefficient"] = coefficient
            except InvalidOperation:
                problems["coefficient"] = ADVICE["coefficient"]
        lines.append(line)
    if kind == Kind.MEDICINE:
        typed = [i for i, b in enumerate(form.boxes) if not b.blank]
        if not typed:
            problems["boxes"] = ADVICE["boxes"]
        for i in typed:
            box = form.boxes[i]
            code = _digits(box.ean).replace(" ", "")
            if not ean.is_valid(code) or len(code) != 13:
                problems[f"box-{i}-ean"] = ADVICE["ean"]
            quantity = _digits(box.quantity) or "1"
            if not quantity.isdigit() or int(quantity) < 1:
                problems[f"box-{i}-quantity"] = ADVICE["quantity"]
            price = _amount(box.price)
            if price is None:
                problems[f"box-{i}-price"] = ADVICE["price"]
            rows.append(i)
            lines.append(
                base
                | {
                    "category": CareCategory.MEDICINE,
                    "drug_code": code,
                    "quantity": int(quantity) if quantity.isdigit() else 1,
                    "charged_centimes": price,
                }
            )
    if problems:
        return Drafted(None, problems, rows)
    body = {"patient": member, "channel": Channel.ELECTRONIC, "lines": lines}
    try:
        return Drafted(ClaimIn.model_validate(body), {}, rows)
    except ValidationError as exc:
        found = [
            FieldError(field=".".join(str(p) for p in e["loc"]), reason="") for e in exc.errors()
        ]
        return Drafted(None, refused(found, kind, rows), rows)


LINE_FIELD = {
    "care_date": "care_date",
    "provider_inpe": "provider",
    "prescriber_inpe": "prescriber",
    "prescription_date": "prescribed_on",
    "coefficient": "coefficient",
    "act_key": "doctor",
    "charged_centimes": "charged",
    "drug_code": "ean",
    "quantity": "quantity",
}


def refused(errors: list[FieldError], kind: Kind | None, rows: list[int]) -> dict[str, str]:
    """The service's refusals (``lines[0].provider_inpe``, ``patient``) as the form's."""
    out: dict[str, str] = {}
    for error in errors:
        name = error.field.replace("[", ".").replace("]", "")
        parts = name.split(".")
        if parts[0] == "patient":
            out["member"] = ADVICE["member"]
            continue
        if parts[0] != "lines" or len(parts) < 3 or not parts[1].isdigit():
            out["lines"] = ADVICE["lines"]
            continue
        index, what = int(parts[1]), LINE_FIELD.get(parts[2])
        if what is None:
            out["lines"] = ADVICE["lines"]
        elif kind == Kind.MEDICINE and what in ("ean", "quantity", "charged"):
            row = rows[index] if index < len(rows) else 0
            field_name = "price" if what == "charged" else what
            out[f"box-{row}-{field_name}"] = ADVICE[field_name]
        elif what == "doctor" and kind != Kind.CONSULTATION:
            out["lines"] = ADVICE["lines"]
        else:
            out[what] = ADVICE[what]
    return out or {"lines": ADVICE["lines"]}
