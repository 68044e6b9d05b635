"""Every text a person reads, in Arabic, French and English, and the choice of language.

One Babel catalogue, ``src/daman/translations/<ar|fr|en>/LC_MESSAGES/messages.po``, holds
every text of the pages, the API's explanations, the PDF statements and the messages sent.
A message's id is its English wording, placeholders named (``%(amount)s``) so translators
see what fills them. The .po files are the source: they are compiled in memory when first
read, so there is no build step and no .mo file to keep in step. ``make texts`` extracts
the messages of the code and templates into ``messages.pot`` and updates the catalogues.

A text is written in the code in one of three ways, which the extraction finds:

* ``Text("Died on %(date)s.", date=d)``: a text with its values, said later in the
  reader's language (``text.render("ar")``); values may be Texts themselves;
* ``N_("Line accepted.")``: marks a message kept in a table, said with
  ``translate(message, lang, **values)``;
* ``_("Sign in")`` in a template.

`negotiate` picks the language of an answer: an explicit choice (a page's ``?lang=``, the
remembered cookie), else the best language of ``Accept-Language`` by q-value, else French.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("fr", "ar", "en")
DEFAULT = "fr"
SOURCE = "en"  # the language of the message ids
RTL = frozenset({"ar"})
CATALOGUES = Path(__file__).resolve().parents[1] / "translations"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is said."""
    return message


def catalogue_path(lang: str) -> Path:
    return CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of a language (for templates: ``translations(lang).gettext``)."""
    path = catalogue_path(supported(lang))
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=path.parents[1].name)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def supported(lang: str | None) -> str:
    """A stored or given language as one of ar/fr/en (``AR-ma`` -> ``ar``; others: fr)."""
    if lang is not None and lang in LANGUAGES:
        return lang
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT


def translate(message: str, lang: str, /, **values: object) -> str:
    """A message of the catalogue in a language, its placeholders filled.

    Values are shown as text: a Text in the same language, a date in ISO form, None as
    nothing. A placeholder without a value raises KeyError. A message with a ``%`` is a
    format (a literal percent sign is written ``%%``).
    """
    lang = supported(lang)
    text = translations(lang).gettext(message)
    if "%" not in text:
        return text
    return text % {name: _shown(value, lang) for name, value in values.items()}


def _shown(value: object, lang: str) -> str:
    if isinstance(value, Text):
        return value.render(lang)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Text:
    """A text a person will read, not yet in a language: a message of the catalogue and
    the values of its placeholders. ``render(lang)`` says it in that language."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, /, **values: object) -> None:
        self.message = message
        self.values = values

    def render(self, lang: str) -> str:
        return translate(self.message, lang, **self.values)

    def __repr__(self) -> str:
        values = "".join(f", {k}={v!r}" for k, v in self.values.items())
        return f"Text({self.message!r}{values})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Text):
            return NotImplemented
        return self.message == other.message and self.values == other.values

    def __hash__(self) -> int:
        return hash((self.message, tuple(sorted(self.values))))


# ---------------------------------------------------------------------------------------
# The language of an answer

_PART = re.compile(
    r"^\s*(?P<tag>[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*"
    r"(?:;\s*q\s*=\s*(?P<q>[0-9.]+))?\s*$"
)


def ranked(accept_language: str | None) -> list[str]:
    """The language tags of an Accept-Language header, best first: by q-value, then in
    the order given. Tags with q=0 (not acceptable), ``*`` and malformed parts are left out.
    """
    found: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        m = _PART.match(part)
        if m is None or m["tag"] == "*":
            continue
        try:
            q = float(m["q"]) if m["q"] is not None else 1.0
        except ValueError:
            continue
        if 0 < q <= 1:
            found.append((-q, n, m["tag"]))
    return [tag for _, _, tag in sorted(found)]


def negotiate(*chosen: str | None, accept_language: str | None = None) -> str:
    """The language to answer in, one of ar/fr/en: the first of `chosen` (a page's
    ``?lang=``, the remembered cookie) that is one of them, else the best of
    ``Accept-Language`` by q-value (``fr-MA`` counts as ``fr``), else French."""
    preferred = [c for c in chosen if c] + ranked(accept_language)
    found = negotiate_locale(preferred, LANGUAGES, sep="-", aliases={})
    return supported(found) if found else DEFAULT


# ---------------------------------------------------------------------------------------
# Keeping the catalogues (make texts)


def fill_source(languages: Iterable[str] = (SOURCE,)) -> None:
    """Give the new or changed messages of the English catalogue their id as text (the id
    is the English wording; edit the catalogue where the English shown should differ)."""
    for lang in languages:
        path = catalogue_path(lang)
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        changed = False
        for message in catalog:
            if message.id and (not message.string or message.fuzzy):
                message.string = message.id
                message.flags.discard("fuzzy")
                changed = True
        if changed:
            with path.open("wb") as f:
                write_po(f, catalog, width=76, ignore_obsolete=True)
