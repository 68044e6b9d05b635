"""What a care sheet sent from the portal needs, by kind of care: the documents to
photograph and what to type from them, so that nothing is missing when it reaches the fund
(the reason people come back to an agency today).

`check(kind, given)` is pure: ``given`` names what the form holds (``photo:prescription``,
``inpe``, ``prescriber``, ``barcodes`` ...), and each item of the kind's list is done or
missing. A care sheet is sent only when every item is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from daman.core.i18n import N_


class Kind(StrEnum):
    """The kinds of care an insured person sends from the portal."""

    CONSULTATION = "consultation"
    MEDICINE = "medicine"
    LAB = "lab"
    IMAGING = "imaging"


KIND_LABELS = {
    Kind.CONSULTATION: N_("A doctor's consultation"),
    Kind.MEDICINE: N_("Medicines from a pharmacy"),
    Kind.LAB: N_("Laboratory tests"),
    Kind.IMAGING: N_("Imaging (X-ray, scan, ultrasound)"),
}


class Photo(StrEnum):
    """The documents photographed, each in its own field of the form."""

    CARE_SHEET = "care_sheet"  # the care sheet (or invoice), signed and stamped
    PRESCRIPTION = "prescription"
    BARCODES = "barcodes"  # the boxes' stickers (vignettes) with their barcodes


PHOTO_LABELS = {
    Photo.CARE_SHEET: N_("Care sheet or invoice, signed and stamped"),
    Photo.PRESCRIPTION: N_("Prescription"),
    Photo.BARCODES: N_("Barcode stickers of the boxes"),
}


@dataclass(frozen=True)
class Item:
    key: str  # what must be given: photo:<Photo> or a typed fact
    text: str  # a message of the catalogue
    field: str  # the form's field where it is given


ITEMS: dict[Kind, tuple[Item, ...]] = {
    Kind.CONSULTATION: (
        Item(
            "photo:care_sheet",
            N_("Photo of the care sheet, signed and stamped by the doctor"),
            "care_sheet",
        ),
        Item("inpe", N_("The doctor's INPE, as on the stamp"), "provider"),
    ),
    Kind.MEDICINE: (
        Item("photo:prescription", N_("Photo of the prescription"), "prescription"),
        Item(
            "prescriber",
            N_("The prescribing doctor's INPE and the prescription's date"),
            "prescriber",
        ),
        Item("inpe", N_("The pharmacy's INPE, as on its stamp"), "provider"),
        Item("photo:barcodes", N_("Photo of the boxes' barcode stickers"), "barcodes"),
        Item("barcodes", N_("The 13-digit code under each barcode"), "boxes"),
    ),
    Kind.LAB: (
        Item("photo:prescription", N_("Photo of the prescription"), "prescription"),
        Item(
            "prescriber",
            N_("The prescribing doctor's INPE and the prescription's date"),
            "prescriber",
        ),
        Item(
            "photo:care_sheet",
            N_("Photo of the laboratory's invoice, stamped"),
            "care_sheet",
        ),
        Item("inpe", N_("The laboratory's INPE, as on its stamp"), "provider"),
    ),
    Kind.IMAGING: (
        Item("photo:prescription", N_("Photo of the prescription"), "prescription"),
        Item(
            "prescriber",
            N_("The prescribing doctor's INPE and the prescription's date"),
            "prescriber",
        ),
        Item(
            "photo:care_sheet",
            N_("Photo of the imaging centre's invoice, stamped"),
            "care_sheet",
        ),
        Item("inpe", N_("The imaging centre's INPE, as on its stamp"), "provider"),
    ),
}

# The photos each kind asks for, in the order of the form.
PHOTOS: dict[Kind, tuple[Photo, ...]] = {
    kind: tuple(Photo(i.key.removeprefix("photo:")) for i in items if i.key.startswith("photo:"))
    for kind, items in ITEMS.items()
}


@dataclass(frozen=True)
class Checked:
    item: Item
    done: bool


def check(kind: Kind, given: set[str]) -> list[Checked]:
    """Each item the kind of care needs, done when ``given`` holds its key."""
    return [Checked(item, item.key in given) for item in ITEMS[kind]]


def complete(checked: list[Checked]) -> bool:
    return all(c.done for c in checked)
