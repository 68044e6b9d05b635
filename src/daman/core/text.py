"""Text a person types (names, diagnoses, evidence, reasons, messages): one rule for all.

Bidirectional *embedding, override and isolate* controls (U+202A-U+202E, U+2066-U+2069)
change the order in which the characters around them are displayed: a reason written with
U+202E shows reversed in a PDF statement, an e-mail or a page, so what a reader sees is not
what was stored ("Trojan Source", CVE-2021-42574). No name or message needs them: Arabic and
mixed Arabic-Latin text is laid out by the Unicode bidirectional algorithm from the letters
themselves, and the implicit marks (LRM U+200E, RLM U+200F, ALM U+061C), which reorder
nothing beyond their neighbours, stay allowed.

``SafeText`` is ``str`` refusing these controls: use it, with ``Field(max_length=...)``,
for every field a person fills in. A type that also strips or bounds the text puts
``NO_BIDI`` *after* its ``StringConstraints`` (constraints placed after a validator are no
longer applied to the stripped text):
``Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), NO_BIDI]``.

The refusal is a Pydantic error of type ``TEXT_REFUSED``, which the app answers 400
``validation_failed`` naming the field (a well-formed payload whose content is refused,
not a malformed one); a file import reports it with its line and field.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
TEXT_REFUSED = "text_bidi_control"  # the Pydantic error type of a refused text


def bidi_control(value: str) -> str | None:
    """The first bidirectional control character in ``value`` (as U+XXXX), or None."""
    found = _BIDI.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def strip_bidi(value: str) -> str:
    """``value`` without bidirectional controls: for text stored before they were refused,
    when it is written into a document (a PDF statement)."""
    return _BIDI.sub("", value)


def no_bidi_controls(value: str) -> str:
    """``value`` unchanged, or a Pydantic error naming the control character it holds."""
    if (control := bidi_control(value)) is not None:
        raise PydanticCustomError(
            TEXT_REFUSED,
            "contains the bidirectional control character {control}, which would reorder "
            "the text shown to others; remove it",
            {"control": control},
        )
    return value


NO_BIDI = AfterValidator(no_bidi_controls)
SafeText = Annotated[str, NO_BIDI]


# Digits typed on an Arabic keyboard (Arabic-Indic and Persian forms) read as 0-9; Daman
# shows 0-9 everywhere and accepts either in a field.
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")


def western_digits(value: str) -> str:
    """'١٢٠٫٥٠' -> '120.50'; other characters unchanged."""
    return value.translate(_EASTERN_DIGITS)
