"""Translations of the pages (ar, fr, en), from Babel catalogues in translations/.

The .po files are the source (extract with ``pybabel extract -F babel.cfg``); they are
compiled in memory when first needed, so there is no build step and no .mo to keep in step.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("fr", "ar", "en")
DEFAULT = "fr"
RTL = frozenset({"ar"})
HERE = Path(__file__).parent / "translations"


@lru_cache
def translations(language: str) -> NullTranslations:
    path = HERE / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page language: ?lang=, else the remembered choice, else the browser's."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT
