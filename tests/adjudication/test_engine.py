"""The worked examples of rules.md, valued by the engine; every amount computed by hand."""

from __future__ import annotations

from datetime import timedelta

from daman.adjudication.engine import adjudicate

from .engine_builders import (
    BRAND,
    GENERIC,
    NOT_REIMBURSABLE,
    D,
    context,
    decide,
    exemption,
    line,
    lines_frame,
    medicine,
    rights,
)


def amounts(decision: dict) -> tuple[int, int, int, int, int]:
    return (
        decision["reference_centimes"],
        decision["base_centimes"],
        decision["amo_centimes"],
        decision["complementary_centimes"],
        decision["patient_centimes"],
    )


def test_gp_consultation_before_and_after_the_2020_cnss_convention() -> None:
    before, after = decide(
        line(care_date=D(2019, 12, 31), charged_centimes=20000),
        line(claim_id=2, care_date=D(2020, 2, 1), charged_centimes=20000),
    )
    # 2019-12-31: TNR C = 80 MAD; base 80.00, AMO 80 % = 64.00, patient 200 - 64 = 136.00
    assert amounts(before) == (8000, 8000, 6400, 0, 13600)
    assert before["status"] == "accepted"
    assert before["rate_bp"] == 8000
    assert before["reasons"] == ["ok", "above_reference"]
    # 2020-02-01: CNSS convention C = 150 MAD; AMO 120.00, patient 80.00
    assert amounts(after) == (15000, 15000, 12000, 0, 8000)
    assert after["reasons"] == ["ok", "above_reference"]


def test_the_regime_row_of_a_tariff_beats_the_any_regime_row_only_for_that_regime() -> None:
    cnss, cnops = decide(
        line(patient_id=1, charged_centimes=15000),
        line(patient_id=2, claim_id=2, charged_centimes=15000),
        regimes={1: "CNSS_SAL", 2: "CNOPS"},
    )
    assert cnss["reference_centimes"] == 15000
    assert cnops["reference_centimes"] == 8000  # CNOPS stayed on the 2006 TNR
    assert amounts(cnops) == (8000, 8000, 6400, 0, 8600)


def test_brand_drug_is_based_on_prix_br_times_quantity_at_70_percent() -> None:
    (decision,) = decide(medicine(BRAND, quantity=2, charged=16000))
    # PRIX_BR 50.00 x 2 = 100.00 (PPV 80.00 x 2 charged); AMO 70.00; patient 160 - 70 = 90.00
    assert amounts(decision) == (5000, 10000, 7000, 0, 9000)
    assert decision["rate_bp"] == 7000
    assert decision["allowed_quantity"] == 2
    assert decision["reasons"] == ["ok", "above_reference"]


def test_non_reimbursable_drug_is_rejected_and_paid_by_the_patient() -> None:
    (decision,) = decide(medicine(NOT_REIMBURSABLE, quantity=1, charged=3000))
    assert decision["status"] == "rejected"
    assert decision["reasons"] == ["drug_not_reimbursable"]
    assert decision["rate_bp"] == 0
    assert amounts(decision) == (3000, 0, 0, 0, 3000)


def test_cnops_medicine_gets_the_mutual_top_up_of_16_percent() -> None:
    (decision,) = decide(
        medicine(GENERIC, quantity=3, charged=12000),
        regimes={1: "CNOPS"},
        mutuals={1: "MGPAP"},
    )
    # base 3 x 40.00 = 120.00; AMO 70 % = 84.00; mutual 16 % = 19.20; patient 16.80
    assert amounts(decision) == (4000, 12000, 8400, 1920, 1680)
    assert decision["reasons"] == ["ok"]


def test_a_mutual_specific_rate_beats_the_any_mutual_rate() -> None:
    from .engine_builders import COMPLEMENTARY, top_up

    (decision,) = decide(
        medicine(GENERIC, quantity=1, charged=4000),
        regimes={1: "CNOPS"},
        mutuals={1: "MGPAP"},
        complementary=[*COMPLEMENTARY, top_up("medicine", 2000, mutual="MGPAP")],
    )
    assert decision["complementary_centimes"] == 800  # 20 % of 40.00


def test_complementary_cover_never_takes_amo_plus_top_up_above_what_was_charged() -> None:
    (decision,) = decide(
        medicine(GENERIC, quantity=1, charged=4000, ald_code="E10"),
        regimes={1: "CNOPS"},
        mutuals={1: "MGPAP"},
        exemptions=[exemption(1, "E10")],
    )
    # ALD: AMO 100 % of 40.00 = 40.00; the 16 % top-up (6.40) is capped to 0
    assert amounts(decision) == (4000, 4000, 4000, 0, 0)


def test_cnss_patient_has_no_complementary_cover() -> None:
    (decision,) = decide(medicine(GENERIC, quantity=1, charged=4000))
    assert decision["complementary_centimes"] == 0


def test_ald_linked_line_is_rated_at_the_disease_specific_ald_rate() -> None:
    exempted, other_disease = decide(
        medicine(GENERIC, quantity=1, charged=4000, ald_code="E10"),
        medicine(GENERIC, quantity=1, charged=4000, ald_code="I10", claim_id=2, patient_id=2),
        exemptions=[exemption(1, "E10", since=D(2019, 1, 1), until=D(2023, 12, 31))],
    )
    # CNSS_SAL row for E10 (95 %) beats the any-disease ALD row (100 %): 40.00 x 95 % = 38.00
    assert exempted["rate_bp"] == 9500
    assert amounts(exempted) == (4000, 4000, 3800, 0, 200)
    assert exempted["reasons"] == ["ok", "ald_exemption_applied"]
    # declared ALD-linked without an exemption for that disease: ordinary 70 %
    assert other_disease["rate_bp"] == 7000
    assert other_disease["amo_centimes"] == 2800
    assert other_disease["reasons"] == ["ok", "ald_not_exempted"]


def test_an_expired_exemption_does_not_apply() -> None:
    (decision,) = decide(
        medicine(GENERIC, quantity=1, charged=4000, ald_code="E10"),
        exemptions=[exemption(1, "E10", until=D(2020, 1, 31))],
    )
    assert decision["rate_bp"] == 7000
    assert decision["reasons"] == ["ok", "ald_not_exempted"]


def test_alc_exemption_uses_the_alc_rate() -> None:
    (decision,) = decide(
        medicine(GENERIC, quantity=1, charged=4000, ald_code="T86"),
        exemptions=[exemption(1, "T86", kind="alc")],
    )
    assert decision["rate_bp"] == 10000
    assert decision["amo_centimes"] == 4000


def test_private_hospitalisation_at_90_and_public_at_100_percent() -> None:
    private, public = decide(
        line(
            category="hospitalisation",
            act_key="HOSP_MED",
            quantity=3,
            charged_centimes=300000,
            has_document=True,
        ),
        line(
            claim_id=2,
            patient_id=2,
            category="hospitalisation",
            sector="public",
            act_key="HOSP_MED",
            quantity=3,
            charged_centimes=255000,
            has_document=True,
        ),
    )
    # 3 days x 850.00 = 2,550.00; private 90 % = 2,295.00; patient 3,000 - 2,295 = 705.00
    assert amounts(private) == (85000, 255000, 229500, 0, 70500)
    assert private["rate_bp"] == 9000
    # public 100 %: nothing left to the patient
    assert amounts(public) == (85000, 255000, 255000, 0, 0)
    assert public["rate_bp"] == 10000
    assert public["reasons"] == ["ok"]


def test_a_specific_sector_rate_beats_the_any_sector_rate() -> None:
    from .engine_builders import rate

    private, public = decide(
        line(),
        line(claim_id=2, sector="public"),
        rates=[rate("consultation", 7000), rate("consultation", 9000, sector="public")],
    )
    assert private["rate_bp"] == 7000
    assert public["rate_bp"] == 9000


def test_filed_on_day_60_is_on_time_and_on_day_61_is_late() -> None:
    care = D(2020, 2, 1)
    on_time, late = decide(
        line(care_date=care, deposit_date=care + timedelta(days=60)),
        line(claim_id=2, care_date=care, deposit_date=care + timedelta(days=61), provider_id=7),
    )
    assert on_time["status"] == "accepted"
    assert late["status"] == "rejected"
    assert late["reasons"] == ["late_filing"]
    assert amounts(late) == (15000, 0, 0, 0, 15000)
    assert late["allowed_quantity"] == 0


def test_continuous_treatment_counts_the_deadline_from_its_end() -> None:
    (decision,) = decide(
        line(
            care_date=D(2020, 1, 15),
            continuous_end=D(2020, 3, 31),
            deposit_date=D(2020, 3, 31) + timedelta(days=60),
        )
    )
    assert decision["status"] == "accepted"


def test_late_penalty_policy_cuts_amo_per_started_month() -> None:
    care = D(2020, 2, 1)  # deadline 2020-04-01
    one_month, two_months, twenty = decide(
        line(care_date=care, deposit_date=D(2020, 5, 1)),
        line(claim_id=2, care_date=care, deposit_date=D(2020, 5, 2), provider_id=2),
        line(claim_id=3, care_date=care, deposit_date=D(2021, 12, 1), provider_id=3),
        late_policy="penalty",
        late_penalty_bp=500,
    )
    # base 150.00 x 80 % = 120.00, less 5 % for one started month = 114.00
    assert one_month["status"] == "reduced"
    assert one_month["reasons"] == ["late_penalty"]
    assert amounts(one_month) == (15000, 15000, 11400, 0, 3600)
    # one day more starts a second month: 10 % off = 108.00
    assert two_months["amo_centimes"] == 10800
    # 20 months or more: nothing left, the line is rejected as late
    assert twenty["status"] == "rejected"
    assert twenty["reasons"] == ["late_filing"]


def test_same_item_same_provider_same_day_is_a_duplicate() -> None:
    from .engine_builders import history_row

    in_history, in_batch_first, in_batch_second, other_provider = decide(
        line(care_date=D(2020, 3, 2)),
        line(claim_id=2, care_date=D(2020, 3, 3)),
        line(claim_id=3, care_date=D(2020, 3, 3)),
        line(claim_id=4, care_date=D(2020, 3, 3), provider_id=999),
        history=[history_row(1, D(2020, 3, 2), category="consultation", act_key="C", base=15000)],
    )
    assert in_history["status"] == "rejected"
    assert in_history["reasons"] == ["duplicate"]
    assert in_batch_first["status"] == "accepted"
    assert in_batch_second["reasons"] == ["duplicate"]
    assert amounts(in_batch_second) == (15000, 0, 0, 0, 15000)
    # same patient, day and act from another provider: checked by a controller
    assert other_provider["status"] == "pending_review"
    assert other_provider["reasons"] == ["suspected_duplicate"]
    assert other_provider["amo_centimes"] == 12000  # shown, not paid until reviewed


def test_an_earlier_rejected_line_does_not_make_a_duplicate() -> None:
    care = D(2020, 3, 2)
    late, on_time = decide(
        line(care_date=care, deposit_date=care + timedelta(days=90)),
        line(claim_id=2, care_date=care, deposit_date=care + timedelta(days=5)),
    )
    assert late["reasons"] == ["late_filing"]
    assert on_time["status"] == "accepted"


def test_duplicate_lines_within_one_claim() -> None:
    first, second = decide(medicine(GENERIC, 1, 4000), medicine(GENERIC, 1, 4000, line_no=2))
    assert first["status"] == "accepted"
    assert second["reasons"] == ["duplicate"]


def test_dependent_child_of_22_not_a_student_has_no_rights() -> None:
    lines = lines_frame(line(patient_id=5))
    eligibility = rights(lines, refused={(5, D(2020, 2, 1)): "dependent_child_over_age"})
    (decision,) = adjudicate(lines, context(lines, eligibility=eligibility)).to_dicts()
    assert decision["status"] == "rejected"
    assert decision["reasons"] == ["not_eligible", "eligibility:dependent_child_over_age"]
    assert amounts(decision) == (15000, 0, 0, 0, 15000)


def test_a_patient_missing_from_the_eligibility_frame_has_no_rights() -> None:
    lines = lines_frame(line(patient_id=5))
    eligibility = rights(lines_frame(line(patient_id=6)))
    (decision,) = adjudicate(lines, context(lines, eligibility=eligibility)).to_dicts()
    assert decision["reasons"] == ["not_eligible"]


def test_rejected_line_lists_every_reject_reason_and_nothing_else() -> None:
    lines = lines_frame(line(deposit_date=D(2020, 6, 1), charged_centimes=20000))
    eligibility = rights(lines, refused={(1, D(2020, 2, 1)): "contributions_unpaid"})
    (decision,) = adjudicate(lines, context(lines, eligibility=eligibility)).to_dicts()
    assert decision["reasons"] == [
        "not_eligible",
        "eligibility:contributions_unpaid",
        "late_filing",
    ]


def prosthesis(claim_id: int, care: object, coefficient: int, charged: int) -> dict:
    return line(
        claim_id=claim_id,
        care_date=care,
        category="dental_prosthesis",
        act_key="DP",
        coefficient_milli=coefficient * 1000,
        charged_centimes=charged,
        has_document=True,
        provider_id=300 + claim_id,
    )


def test_dental_prosthesis_ceiling_reached_across_two_claims() -> None:
    first, second, third = decide(
        prosthesis(1, D(2020, 2, 1), 200, 250000),
        prosthesis(2, D(2021, 1, 10), 100, 135000),
        prosthesis(3, D(2021, 6, 1), 10, 12500),
    )
    # DP 12.50 x 200 = 2,500.00 of the 3,000.00 ceiling; AMO 80 % = 2,000.00
    assert amounts(first) == (250000, 250000, 200000, 0, 50000)
    # DP x 100 = 1,250.00 but only 500.00 remain: base cut, AMO 400.00, patient 950.00
    assert second["status"] == "reduced"
    assert second["reasons"] == ["ceiling_reached", "above_reference"]
    assert amounts(second) == (125000, 50000, 40000, 0, 95000)
    # nothing remains within the 730 days
    assert third["status"] == "rejected"
    assert third["reasons"] == ["ceiling_exhausted"]
    assert amounts(third) == (12500, 0, 0, 0, 12500)


def test_ceiling_counts_history_within_the_period_only() -> None:
    from .engine_builders import history_row

    care = D(2022, 3, 1)
    used = [history_row(1, care - timedelta(days=729), category="dental_prosthesis", base=300000)]
    (inside,) = decide(prosthesis(1, care, 10, 12500), history=used)
    assert inside["reasons"] == ["ceiling_exhausted"]
    old = [history_row(1, care - timedelta(days=730), category="dental_prosthesis", base=300000)]
    (outside,) = decide(prosthesis(1, care, 10, 12500), history=old)
    assert outside["status"] == "accepted"


def test_frequency_limit_cuts_the_quantity_then_rejects() -> None:
    from .engine_builders import ceiling

    first, second, third = decide(
        line(category="paramedical", act_key="K", quantity=3, charged_centimes=6750),
        line(
            claim_id=2,
            category="paramedical",
            act_key="K",
            quantity=3,
            charged_centimes=6000,
            care_date=D(2020, 2, 10),
        ),
        line(
            claim_id=3,
            category="paramedical",
            act_key="K",
            quantity=1,
            charged_centimes=2250,
            care_date=D(2020, 2, 20),
        ),
        ceilings=[ceiling("paramedical", max_quantity=4, period_days=365)],
        rates=[
            {
                "category": "paramedical",
                "exemption": "none",
                "rate_bp": 8000,
                "valid_from": D(2006, 1, 1),
            }
        ],
    )
    assert first["status"] == "accepted"
    assert first["allowed_quantity"] == 3
    # one unit remains: base 60.00 x 1/3 = 20.00, AMO 16.00
    assert second["status"] == "reduced"
    assert second["reasons"] == ["frequency_limit"]
    assert second["allowed_quantity"] == 1
    assert amounts(second) == (2250, 2000, 1600, 0, 4400)
    assert third["reasons"] == ["frequency_exhausted"]
    assert third["allowed_quantity"] == 0


def test_k_coefficient_is_rounded_half_up_to_the_centime() -> None:
    k_22_5, k_half, k_quarter = decide(
        line(category="medical_act", act_key="K", coefficient_milli=22500, charged_centimes=60000),
        line(
            claim_id=2,
            category="medical_act",
            act_key="K",
            coefficient_milli=22502,
            charged_centimes=60000,
        ),
        line(
            claim_id=3,
            category="medical_act",
            act_key="K",
            coefficient_milli=1,
            charged_centimes=60000,
        ),
    )
    # 22.50 x 22.5 = 506.25 MAD exactly; AMO 80 % = 405.00
    assert amounts(k_22_5)[:3] == (50625, 50625, 40500)
    # 22.50 x 22.502 = 506.295 MAD: half a centime rounds up to 506.30
    assert k_half["reference_centimes"] == 50630
    # 22.50 x 0.001 = 0.0225 MAD: rounds down to 0.02
    assert k_quarter["reference_centimes"] == 2


def test_amo_is_rounded_half_up_once_per_line() -> None:
    (decision,) = decide(medicine(GENERIC, quantity=1, charged=1005))
    # charged 10.05 below PRIX_BR: base 10.05 x 70 % = 7.035 -> 7.04
    assert amounts(decision) == (4000, 1005, 704, 0, 301)
    assert decision["reasons"] == ["ok"]
