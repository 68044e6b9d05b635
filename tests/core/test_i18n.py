"""The catalogue of texts (complete in ar, fr and en, placeholders alike, in step with the
code) and the one negotiation of the language."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from daman.core.i18n import (
    CATALOGUES,
    LANGUAGES,
    Text,
    catalogue_path,
    negotiate,
    ranked,
    supported,
    translate,
)

ROOT = CATALOGUES.parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
ARABIC = re.compile(r"[\u0600-\u06FF]")
LETTERS = re.compile(r"[^\W\d_]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _messages(catalog: Catalog) -> dict[str, str]:
    return {m.id: m.string for m in catalog if m.id}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


TEMPLATE = _messages(_read(CATALOGUES / "messages.pot"))


def test_the_catalogue_template_holds_every_text_of_the_code_and_templates() -> None:
    """`make texts` was run: every marked message is in messages.pot, and no other."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "Text": None}
    found = {
        message
        for _, _, message, *_ in extract_from_dir(ROOT, method_map, options_map, keywords)
        if isinstance(message, str)
    }
    assert found - set(TEMPLATE) == set(), "run `make texts`: messages missing from the catalogue"
    assert set(TEMPLATE) - found == set(), "run `make texts`: messages no longer in the code"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    catalog = _read(catalogue_path(lang), lang)
    translated = _messages(catalog)
    assert set(translated) == set(TEMPLATE), f"run `make texts` ({lang})"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == [], f"{lang}: fuzzy entries to check, then remove the fuzzy flag"
    missing = [msgid for msgid, text in translated.items() if not text]
    assert missing == [], f"{lang}: messages without a translation"
    problems = []
    for msgid, text in translated.items():
        if _placeholders(text) != _placeholders(msgid):
            problems.append((msgid, text))
            continue
        if "%" not in msgid:  # not a format: said as it is
            if "%" in text:
                problems.append((msgid, text))
            continue
        try:  # a stray % would break the rendering
            text % defaultdict(str)
        except (TypeError, ValueError) as exc:
            problems.append((msgid, f"{text}: {exc}"))
    assert problems == [], f"{lang}: placeholders differ from the message id"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_is_written_in_its_own_script(lang: str) -> None:
    for msgid, text in _messages(_read(catalogue_path(lang), lang)).items():
        words = LETTERS.search(PLACEHOLDER.sub("", msgid))
        if lang == "ar" and words:
            assert ARABIC.search(text), f"ar: not in Arabic: {text!r}"
        if lang != "ar":
            assert not ARABIC.search(text), f"{lang}: Arabic in {text!r}"


def test_a_text_is_said_in_the_reader_s_language_with_its_values() -> None:
    assert translate("Sign in", "ar") == "تسجيل الدخول"
    assert translate("Sign in", "fr") == "Se connecter"
    assert translate("Sign in", "en") == "Sign in"
    assert translate("Sign in", "de") == "Se connecter"  # unknown: French
    assert translate("Sign in", "AR-ma") == "تسجيل الدخول"
    assert translate("Not in the catalogue %(x)s", "fr", x=date(2026, 1, 2)) == (
        "Not in the catalogue 2026-01-02"
    )
    inner = Text("Sign in")
    assert Text("Not in the catalogue %(x)s", x=inner).render("ar") == (
        "Not in the catalogue تسجيل الدخول"
    )
    assert Text("Sign in") == inner and hash(Text("Sign in")) == hash(inner)
    assert translate("Not in the catalogue %(x)s", "en", x=None) == "Not in the catalogue "
    with pytest.raises(KeyError):
        translate("Not in the catalogue %(x)s", "en", y=1)


@pytest.mark.parametrize(
    ("value", "lang"),
    [("ar", "ar"), ("FR", "fr"), ("ar-MA", "ar"), ("fr_MA", "fr"), ("de", "fr"), (None, "fr")],
)
def test_a_stored_language_is_one_of_ar_fr_en(value: str | None, lang: str) -> None:
    assert supported(value) == lang


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "fr"),
        ("", "fr"),
        ("en", "en"),
        ("ar-MA,ar;q=0.9,fr;q=0.8", "ar"),
        ("fr-MA", "fr"),
        ("ar-MA", "ar"),
        ("en-GB;q=0.5, fr-MA;q=0.7", "fr"),
        ("de-DE,de;q=0.9,en;q=0.4,fr;q=0.6", "fr"),
        ("es, *;q=0.1", "fr"),
        ("en;q=bad, ar;q=0.2", "ar"),
        ("fr;q=0.2, en;q=0.9, ar;q=0.5", "en"),
        ("ar;q=0.5, en;q=0.5", "ar"),  # equal q: the order given
        ("en;q=0, ar;q=0.1", "ar"),  # q=0: not acceptable
        ("en;q=0", "fr"),
        ("en;q=2, ar;q=0.3", "ar"),  # q above 1 is malformed
        ("EN-us", "en"),
        ("zz-ZZ, 12, en-", "fr"),
    ],
)
def test_the_language_of_an_answer_from_accept_language(header: str | None, lang: str) -> None:
    assert negotiate(accept_language=header) == lang


def test_an_explicit_choice_comes_before_accept_language() -> None:
    assert negotiate("ar", None, accept_language="en") == "ar"
    assert negotiate(None, "en", accept_language="ar") == "en"  # the remembered choice
    assert negotiate("xx", None, accept_language="ar;q=0.4, en;q=0.8") == "en"
    assert negotiate("", "", accept_language=None) == "fr"


def test_accept_language_is_ranked_by_q_value_then_order() -> None:
    assert ranked("de;q=0.1, fr-MA, ar;q=0.8, en;q=0.8, *") == ["fr-MA", "ar", "en", "de"]
