"""Folding text for search: the same key for the spellings a person may type of one name.

``fold`` lower-cases, takes accents and every other combining mark off (Latin accents,
Arabic short vowels and shadda), writes the hamza and alef variants of Arabic as their bare
letter (أ إ آ ٱ -> ا, ؤ -> و, ئ -> ي, a lone ء dropped), ta marbuta as ha (ة -> ه), alef
maqsura as ya (ى -> ي), drops the tatweel, turns Eastern Arabic digits into 0-9 and any run
of punctuation or spaces into one space. It is applied to both sides, the stored key and
what is typed, so "Benaïssa" finds "BENAISSA" and "أحمد" finds "احمد".

``fold(fold(x)) == fold(x)`` for any text (the property tests check this and the rest).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Letters with no decomposition that a person types as their plain form.
_LETTERS = {
    "ٱ": "ا",  # alef wasla
    "ة": "ه",  # ta marbuta
    "ى": "ي",  # alef maqsura
    "ی": "ي",  # Persian ya
    "ک": "ك",  # Persian kaf
    "ء": "",  # a lone hamza
    "ـ": "",  # tatweel (kashida), a stretch of the line
    "œ": "oe",
    "æ": "ae",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ı": "i",
}
_DIGITS = {chr(0x0660 + n): str(n) for n in range(10)} | {
    chr(0x06F0 + n): str(n) for n in range(10)
}
_TABLE = str.maketrans(_LETTERS | _DIGITS)
_SEPARATORS = re.compile(r"[\W_]+")


def _bare(text: str) -> str:
    """Compatibility-decomposed, lower case, with no combining mark."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(
        c for c in unicodedata.normalize("NFKD", decomposed) if not unicodedata.combining(c)
    )


def fold(text: str | None) -> str:
    """The search form of a text (see the module's docstring)."""
    if not text:
        return ""
    folded = _bare(_bare(text).translate(_TABLE))
    return _SEPARATORS.sub(" ", folded).strip()


def folded_words(text: str | None) -> list[str]:
    """The distinct words of the folded text, in the order typed."""
    return list(dict.fromkeys(fold(text).split()))


def search_key(parts: Iterable[str | None]) -> str:
    """One folded text of several (a person's names in both scripts), words kept apart."""
    return fold(" ".join(p for p in parts if p))
