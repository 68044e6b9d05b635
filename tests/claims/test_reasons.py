"""The reason catalogue: complete, in three languages, and explanations that never fail."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

from daman.adjudication import frames as f
from daman.adjudication.engine import adjudicate
from daman.claims.reasons import REASONS, Severity, explain, explain_all, severity
from daman.core.i18n import LANGUAGES, translate, translations
from tests.adjudication.engine_builders import (
    GENERIC,
    LISTED_LATE,
    NOT_REIMBURSABLE,
    D,
    ceiling,
    context,
    exemption,
    frame,
    history_row,
    line,
    lines_frame,
    medicine,
    rights,
)

ARABIC = re.compile(r"[\u0600-\u06FF]")


def short(code: str, lang: str) -> str:
    return translate(REASONS[code].short, lang)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_code_is_explained_in_french_english_and_arabic(code: str) -> None:
    reason = REASONS[code]
    assert reason.code == code
    text = {lang: translations(lang).gettext(reason.text) for lang in LANGUAGES}
    brief = {lang: translations(lang).gettext(reason.short) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert text[lang].strip()
        assert brief[lang].strip()
        assert "%(" not in brief[lang]
    assert ARABIC.search(text["ar"]) and ARABIC.search(brief["ar"])
    assert not ARABIC.search(text["fr"] + text["en"])
    assert text["fr"] != reason.text and brief["fr"] != reason.short  # translated
    # the full sentence uses the same placeholders in every language
    names = {lang: set(re.findall(r"%\((\w+)\)s", text[lang])) for lang in LANGUAGES}
    assert names["fr"] == names["en"] == names["ar"]


def test_values_fill_the_placeholders_as_amounts_percentages_and_dates() -> None:
    assert explain("ok", "en", amo_centimes=12000, base_centimes=15000) == (
        "Line accepted: AMO pays 120.00 MAD on a base of 150.00 MAD."
    )
    assert explain("late_filing", "fr", deposit_date=D(2020, 4, 2), days=61, deadline_days=60) == (
        "Dossier déposé le 2020-04-02, 61 jours après les soins : le délai est de 60 jours."
    )
    arabic = explain("ald_exemption_applied", "ar", ald_code="E10", rate_bp=9500)
    assert "E10" in arabic and "95 %" in arabic
    assert "12.5 %" in explain("late_penalty", "en", months=1, penalty_bp=1250)
    assert "درهم" in explain("ok", "ar", amo_centimes=1, base_centimes=2)


def test_a_missing_value_falls_back_to_the_short_sentence() -> None:
    for lang in LANGUAGES:
        assert explain("late_filing", lang, days=61) == short("late_filing", lang)
        assert explain("ceiling_reached", lang) == short("ceiling_reached", lang)


def test_registry_codes_are_explained_generically() -> None:
    code = "eligibility:dependent_child_over_age"
    assert explain(code, "en") == (
        "Reason given by the register of insured persons: dependent child over age."
    )
    assert "dependent child over age" in explain(code, "fr")
    assert ARABIC.search(explain(code, "ar"))
    assert severity(code) is Severity.INFO
    assert explain("eligibility:", "en").endswith("?.")


def test_unknown_codes_and_languages_do_not_fail() -> None:
    assert explain("no_such_code", "en") == "Reason no_such_code."
    assert explain("ok", "de") == short("ok", "fr") == "Ligne acceptée."
    assert explain("ok", "AR-ma") == short("ok", "ar") == "تم قبول السطر."
    assert explain_all(["ok", "above_reference"], "en", charged_centimes=100) == [
        "Line accepted.",
        "Charged 1.00 MAD, above the reference price: the difference stays with the patient.",
    ]


def _emitted(lines: pl.DataFrame, **world: object) -> set[str]:
    decisions = adjudicate(lines, context(lines, **world))
    return set(decisions.get_column("reasons").explode().to_list())


def _preauth_codes() -> set[str]:
    """Hospital stays needing an authorisation: none (rejected), one (rated by it) and an
    over-run of it (review)."""
    stay = {"category": "hospitalisation", "act_key": "HOSP_MED", "has_document": True}
    lines = lines_frame(
        line(claim_id=30, quantity=2, charged_centimes=170_000, **stay),
        line(claim_id=31, patient_id=3, quantity=2, charged_centimes=170_000, **stay),
        line(claim_id=32, patient_id=3, quantity=4, care_date=D(2020, 2, 9), **stay),
    )
    world = context(lines)
    ctx = replace(
        world,
        requirements=frame(f.REQUIREMENTS, [{"category": "hospitalisation"}]),
        authorisations=frame(
            f.AUTHORISATIONS,
            [
                {
                    "auth_id": 1,
                    "patient_id": 3,
                    "provider_id": 100,
                    "category": "hospitalisation",
                    "item": "HOSP_MED",
                    "valid_from": D(2020, 1, 1),
                    "valid_to": D(2020, 3, 1),
                    "rate_bp": 9000,
                    "max_base_centimes": 340_000,
                    "max_quantity": 4,
                }
            ],
        ),
    )
    return set(adjudicate(lines, ctx).get_column("reasons").explode().to_list())


def test_every_code_the_engine_emits_is_catalogued_and_every_code_can_be_emitted() -> None:
    care = D(2020, 2, 1)
    prosthesis = {
        "category": "dental_prosthesis",
        "act_key": "DP",
        "has_document": True,
        "coefficient_milli": 100_000,
    }
    lines = lines_frame(
        line(),  # ok
        line(claim_id=2, patient_id=2),  # not eligible
        line(claim_id=3, deposit_date=care + timedelta(days=61), provider_id=3),
        line(claim_id=4, act_key="ZZ"),
        medicine("6118999999999", 1, 1000, claim_id=5),
        medicine(LISTED_LATE, 1, 1000, claim_id=6),
        medicine(NOT_REIMBURSABLE, 1, 1000, claim_id=7),
        line(claim_id=8),  # duplicate of claim 1
        line(claim_id=9, provider_id=9),  # same act, other provider
        line(claim_id=10, category="device", act_key=None, has_document=True),
        line(
            claim_id=11, category="optical", act_key="C", has_document=True, care_date=D(2020, 2, 5)
        ),
        line(claim_id=12, category="hospitalisation", act_key="HOSP_MED", quantity=1),
        line(
            claim_id=13,
            category="hospitalisation",
            act_key="HOSP_MED",
            quantity=9,
            charged_centimes=900_000,
            has_document=True,
            care_date=D(2020, 3, 1),
        ),
        line(claim_id=14, quantity=0),
        medicine(GENERIC, 1, 9000, claim_id=15, ald_code="E10"),
        medicine(GENERIC, 1, 9000, claim_id=16, ald_code="I10", patient_id=3),
        line(claim_id=17, charged_centimes=300_000, care_date=D(2020, 5, 1), **prosthesis),
        line(claim_id=18, charged_centimes=300_000, care_date=D(2020, 5, 2), **prosthesis),
        line(claim_id=19, charged_centimes=300_000, care_date=D(2020, 5, 3), **prosthesis),
        line(claim_id=20, category="lab", act_key="B", quantity=3, charged_centimes=330),
        line(
            claim_id=21,
            category="lab",
            act_key="B",
            quantity=3,
            charged_centimes=330,
            care_date=D(2020, 2, 2),
        ),
        line(
            claim_id=22,
            category="lab",
            act_key="B",
            quantity=3,
            charged_centimes=330,
            care_date=D(2020, 2, 3),
        ),
    )
    eligibility = rights(lines, refused={(2, care): "no_rights"})
    emitted = _emitted(
        lines,
        eligibility=eligibility,
        exemptions=[exemption(1, "E10")],
        ceilings=[
            ceiling("dental_prosthesis", max_base=200_000),
            ceiling("lab", max_quantity=4, period_days=30),
        ],
        history=[history_row(9, care, category="consultation", act_key="C", base=1)],
    )
    late = lines_frame(line(deposit_date=care + timedelta(days=70)))
    emitted |= _emitted(late, late_policy="penalty")
    emitted |= _preauth_codes()
    registry = {c for c in emitted if c.startswith("eligibility:")}
    assert registry == {"eligibility:no_rights"}
    assert emitted - registry == set(REASONS)
