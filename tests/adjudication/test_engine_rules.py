"""Rules beyond the worked examples: references, rates, review, invalid lines."""

from __future__ import annotations

from datetime import timedelta

from .engine_builders import (
    DRUGS,
    GENERIC,
    LISTED_LATE,
    D,
    ceiling,
    decide,
    drug,
    line,
    medicine,
)


def amounts(d: dict) -> tuple:
    return (
        d["reference_centimes"],
        d["base_centimes"],
        d["amo_centimes"],
        d["complementary_centimes"],
        d["patient_centimes"],
    )


def test_the_drug_price_in_force_on_the_care_date_is_used() -> None:
    prices = [
        *[d for d in DRUGS if d["drug_code"] != GENERIC],
        drug(GENERIC, base=4000, ppv=4000, until=D(2020, 2, 29)),
        drug(GENERIC, base=3500, ppv=3500, since=D(2020, 3, 1)),
    ]
    february, march = decide(
        medicine(GENERIC, 1, 4000, care_date=D(2020, 2, 29)),
        medicine(GENERIC, 1, 4000, care_date=D(2020, 3, 1), claim_id=2),
        drugs=prices,
    )
    assert amounts(february) == (4000, 4000, 2800, 0, 1200)
    assert amounts(march) == (3500, 3500, 2450, 0, 1550)
    assert march["reasons"] == ["ok", "above_reference"]


def test_a_drug_listed_later_is_rejected_before_its_listing() -> None:
    before, after = decide(
        medicine(LISTED_LATE, 1, 2500, care_date=D(2020, 12, 31)),
        medicine(LISTED_LATE, 1, 2500, care_date=D(2021, 1, 1), claim_id=2),
    )
    assert before["reasons"] == ["drug_not_listed_on_date"]
    assert before["reference_centimes"] is None
    assert after["status"] == "accepted"
    assert amounts(after) == (2000, 2000, 1400, 0, 1100)


def test_unknown_codes_are_rejected() -> None:
    act, medicine_line = decide(
        line(act_key="XYZ"),
        medicine("6118000009999", 1, 1000, claim_id=2),
    )
    assert act["reasons"] == ["unknown_tariff"]
    assert medicine_line["reasons"] == ["unknown_drug"]
    assert amounts(medicine_line) == (None, 0, 0, 0, 1000)


def test_a_line_without_reference_waits_for_review() -> None:
    (device,) = decide(
        line(category="device", act_key=None, charged_centimes=90000, has_document=True)
    )
    assert device["status"] == "pending_review"
    assert device["reasons"] == ["no_reference_price"]
    assert amounts(device) == (None, 0, 0, 0, 90000)


def test_a_line_without_rate_waits_for_review_with_its_base_shown() -> None:
    (optical,) = decide(line(category="optical", act_key="C", has_document=True))
    assert optical["status"] == "pending_review"
    assert optical["reasons"] == ["no_rate"]
    assert optical["rate_bp"] is None
    assert amounts(optical) == (15000, 15000, 0, 0, 15000)


def test_documents_are_required_by_category_as_the_policy_says() -> None:
    (hospital,) = decide(
        line(
            category="hospitalisation",
            act_key="HOSP_MED",
            has_document=False,
            charged_centimes=85000,
        )
    )
    assert hospital["status"] == "pending_review"
    assert hospital["reasons"] == ["missing_document"]
    assert hospital["amo_centimes"] == 76500  # 90 % shown, not paid until reviewed
    (relaxed,) = decide(
        line(
            category="hospitalisation",
            act_key="HOSP_MED",
            has_document=False,
            charged_centimes=85000,
        ),
        document_categories=frozenset(),
    )
    assert relaxed["status"] == "accepted"
    (strict,) = decide(line(), document_categories=frozenset({"consultation"}))
    assert strict["reasons"] == ["missing_document"]


def test_a_base_above_the_review_threshold_waits_for_review() -> None:
    at, above = decide(
        line(charged_centimes=15000),
        line(
            claim_id=2,
            provider_id=2,
            category="medical_act",
            act_key="K",
            coefficient_milli=10000,
            charged_centimes=22501,
        ),
        review_threshold_centimes=22499,
    )
    assert at["status"] == "accepted"  # 150.00 is not above 224.99
    assert above["status"] == "pending_review"
    assert above["reasons"] == ["above_review_threshold", "above_reference"]
    assert amounts(above) == (22500, 22500, 18000, 0, 4501)


def test_the_review_threshold_applies_to_the_base_after_a_ceiling() -> None:
    (cut,) = decide(
        line(
            category="dental_prosthesis",
            act_key="DP",
            coefficient_milli=400_000,
            charged_centimes=500_000,
            has_document=True,
        ),
        ceilings=[ceiling("dental_prosthesis", max_base=300_000)],
        review_threshold_centimes=400_000,
    )
    # DP x 400 = 5,000.00 cut to the 3,000.00 ceiling: not above the 4,000.00 threshold
    assert cut["status"] == "reduced"
    assert amounts(cut) == (500_000, 300_000, 240_000, 0, 260_000)


def test_invalid_lines_are_rejected_without_failing() -> None:
    no_quantity, negative, no_deposit = decide(
        line(quantity=0),
        line(claim_id=2, provider_id=2, charged_centimes=-5),
        line(claim_id=3, provider_id=3, deposit_date=None),
    )
    for decision in (no_quantity, negative, no_deposit):
        assert decision["status"] == "rejected"
        assert decision["reasons"][0] == "invalid_line"
        assert decision["amo_centimes"] == decision["complementary_centimes"] == 0
    assert negative["patient_centimes"] == -5


def test_a_ceiling_for_another_regime_does_not_apply() -> None:
    (cnss,) = decide(
        line(
            category="dental_prosthesis",
            act_key="DP",
            coefficient_milli=400_000,
            charged_centimes=500_000,
            has_document=True,
        ),
        ceilings=[ceiling("dental_prosthesis", max_base=300_000, regime="CNOPS")],
    )
    assert cnss["status"] == "accepted"
    assert cnss["base_centimes"] == 500_000


def test_a_specific_regime_ceiling_beats_the_any_regime_one() -> None:
    (cnss,) = decide(
        line(
            category="dental_prosthesis",
            act_key="DP",
            coefficient_milli=400_000,
            charged_centimes=500_000,
            has_document=True,
        ),
        ceilings=[
            ceiling("dental_prosthesis", max_base=300_000),
            ceiling("dental_prosthesis", max_base=450_000, regime="CNSS_SAL"),
        ],
    )
    assert cnss["base_centimes"] == 450_000


def test_output_follows_the_input_order() -> None:
    care = D(2020, 2, 1)
    decisions = decide(
        line(claim_id=3, line_no=2, act_key="Cs", deposit_date=care + timedelta(days=1)),
        line(claim_id=1, line_no=1),
        line(claim_id=3, line_no=1, provider_id=5),
    )
    assert [d["line_id"] for d in decisions] == [3002, 1001, 3001]
