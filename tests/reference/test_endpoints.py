"""The reference API: values in force at a date, versioned writes and the error shapes."""

API = "/api/v1/reference"


def test_regimes(client):
    body = client.get(f"{API}/regimes").json()
    assert [r["code"] for r in body] == ["CHAMIL", "CNOPS", "CNSS_SAL", "TADAMON", "TNS"]
    assert {r["fund"] for r in body} == {"CNOPS", "CNSS"}


def test_tariff_in_force_on_the_date(client):
    def c(regime, on):
        r = client.get(f"{API}/tariffs", params={"key": "C", "regime": regime, "date": on})
        assert r.status_code == 200, r.text
        return r.json()["value_centimes"]

    assert c("CNSS_SAL", "2019-12-31") == 8000
    assert c("CNSS_SAL", "2020-02-01") == 15000
    assert c("CNOPS", "2020-02-01") == 8000
    general = client.get(f"{API}/tariffs", params={"key": "K", "date": "2024-01-01"}).json()
    assert general["regime_code"] is None and general["value_centimes"] == 2250


def test_tariff_errors(client):
    r = client.get(f"{API}/tariffs", params={"key": "XX", "date": "2024-01-01"})
    assert r.status_code == 404
    assert r.json() == {
        "error": "tariff_not_found",
        "detail": "no tariff for key 'XX' on 2024-01-01",
    }
    r = client.get(f"{API}/tariffs", params={"key": "C", "regime": "NOPE"})
    assert r.status_code == 400
    assert r.json() == {
        "error": "validation_failed",
        "detail": [{"field": "regime", "reason": "unknown regime NOPE"}],
    }
    r = client.get(f"{API}/tariffs", params={"key": "C", "date": "31/12/2019"})
    assert r.status_code == 422 and r.json()["error"] == "malformed_request"
    assert r.json()["detail"][0]["field"] == "date"
    assert client.get(f"{API}/tariffs").status_code == 422


def test_new_tariff_version_and_history(client):
    body = {
        "key": "Cs",
        "regime_code": "CNSS_SAL",
        "value_centimes": 30000,
        "valid_from": "2026-03-01",
        "source": "test convention",
    }
    r = client.post(f"{API}/tariffs", json=body, headers={"X-Daman-Actor": "alice"})
    assert r.status_code == 201, r.text
    assert r.json()["value_centimes"] == 30000 and r.json()["label"] == "Consultation (specialist)"
    history = client.get(f"{API}/tariffs/history", params={"key": "Cs", "regime": "CNSS_SAL"})
    versions = [
        (t["regime_code"], t["value_centimes"], t["valid_from"], t["valid_to"])
        for t in history.json()
    ]
    assert versions == [
        (None, 15000, "2006-01-01", None),
        ("CNSS_SAL", 25000, "2020-01-13", "2026-02-28"),
        ("CNSS_SAL", 30000, "2026-03-01", None),
    ]
    assert len(client.get(f"{API}/tariffs/history", params={"key": "Cs"}).json()) == 6

    r = client.post(f"{API}/tariffs", json={**body, "valid_from": "2026-02-01"})
    assert r.status_code == 409 and r.json()["error"] == "version_before_current"
    r = client.post(f"{API}/tariffs", json={**body, "regime_code": "XX"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "regime_code"
    r = client.post(f"{API}/tariffs", json={**body, "value_mad": 300})
    assert r.status_code == 422


def test_rates(client):
    def rate(**params):
        return client.get(f"{API}/rates", params=params)

    r = rate(regime="TADAMON", category="medicine", sector="public", date="2024-01-01")
    assert r.status_code == 200 and r.json()["rate_bp"] == 10000 and r.json()["sector"] == "public"
    assert rate(regime="CNSS_SAL", category="lab", date="2018-06-01").json()["rate_bp"] == 7000
    ald = rate(regime="CNSS_SAL", category="medicine", exemption="ald", ald_code="ALD09")
    assert ald.json()["rate_bp"] == 9000 and ald.json()["ald_code"] is None
    missing = rate(regime="CNOPS", category="medicine", date="2004-01-01")
    assert missing.status_code == 404 and missing.json()["error"] == "rate_not_found"
    bad = rate(regime="CNOPS", category="massage")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "category"


def test_new_rate_version(client):
    body = {
        "regime_code": "CNSS_SAL",
        "category": "medicine",
        "exemption": "ald",
        "ald_code": "ALD09",
        "rate_bp": 9800,
        "valid_from": "2022-01-01",
    }
    r = client.post(f"{API}/rates", json=body, headers={"X-Daman-Actor": "bob"})
    assert r.status_code == 201, r.text
    got = client.get(
        f"{API}/rates",
        params={
            "regime": "CNSS_SAL",
            "category": "medicine",
            "exemption": "ald",
            "ald_code": "ALD09",
            "date": "2023-01-01",
        },
    )
    assert got.json()["rate_bp"] == 9800
    r = client.post(f"{API}/rates", json={**body, "rate_bp": 20000, "valid_from": "2023-01-01"})
    assert r.status_code == 400
    assert r.json()["detail"] == [{"field": "rate_bp", "reason": "must be 0 to 10000 basis points"}]


def test_drug_search_and_pagination(client):
    page = client.get(f"{API}/drugs", params={"q": "metformine", "date": "2010-01-01"}).json()
    assert page["total"] == 4
    assert all(d["dci"] == "METFORMINE" and d["price"]["rate_bp"] == 7000 for d in page["items"])
    second = client.get(f"{API}/drugs", params={"q": "Metformine", "limit": 3, "offset": 3}).json()
    assert (second["total"], len(second["items"]), second["offset"]) == (4, 1, 3)
    by_code = client.get(f"{API}/drugs", params={"q": "61189900000"}).json()
    assert by_code["total"] == 9
    assert client.get(f"{API}/drugs", params={"q": "100%_"}).json()["total"] == 0
    everything = client.get(f"{API}/drugs", params={"limit": 200}).json()
    assert everything["total"] == 30
    assert client.get(f"{API}/drugs", params={"limit": 500}).status_code == 422


def test_drug_price_on_a_date(client):
    r = client.get(f"{API}/drugs/6118990000017", params={"date": "2010-01-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "GLUCADEM 850 MG"
    assert (body["price"]["ppv_centimes"], body["price"]["base_centimes"]) == (3200, 1850)
    off = client.get(f"{API}/drugs/6118990000017", params={"date": "2005-12-31"})
    assert off.status_code == 404 and off.json()["error"] == "drug_not_on_list"
    unknown = client.get(f"{API}/drugs/6118000000000")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": "drug_not_found",
        "detail": "no drug with code 6118000000000 on any list",
    }


def test_ald_and_mutuals(client):
    ald = client.get(f"{API}/ald").json()
    assert len(ald) == 36 and ald[0]["code"] == "ALD01" and ald[0]["name_ar"] is None
    assert client.get(f"{API}/ald", params={"date": "2005-01-01"}).json() == []
    mutuals = client.get(f"{API}/mutuals", params={"date": "2024-01-01"}).json()
    eight = {"FRATERNELLE_SN", "MGPTT", "MDII", "OMFAM", "MGPAP", "MGEN", "MFA", "MODEP"}
    assert {m["code"] for m in mutuals["mutuals"]} == eight
    assert all(m["name_ar"] and m["name"] for m in mutuals["mutuals"])
    mgen = next(m for m in mutuals["mutuals"] if m["code"] == "MGEN")
    assert mgen["name_ar"] == "التعاضدية العامة للتربية الوطنية"
    medicine = {
        c["mutual_code"]: c for c in mutuals["complementary_rates"] if c["category"] == "medicine"
    }
    # each mutual has its own rows (MGPAP's published +16 %, the others labelled assumptions)
    assert set(medicine) == eight | {None}
    assert {c["rate_bp"] for c in medicine.values()} == {1600}
    assert medicine["MGPAP"]["confidence"] == "H" and medicine["MFA"]["confidence"] == "assumption"


def test_openapi_declares_the_error_responses(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"404", "400"} <= set(paths[f"{API}/tariffs"]["get"]["responses"])
    assert {"400", "409"} <= set(paths[f"{API}/tariffs"]["post"]["responses"])
    assert "404" in paths[f"{API}/drugs/{{code}}"]["get"]["responses"]
    assert "404" in paths[f"{API}/rates"]["get"]["responses"]


def test_versioned_reference_data_through_the_api(client):
    """Complementary rates, ceilings, the policy, ALD headings and agencies: history read,
    a new version added from a date, the one in force closed the day before."""
    made = client.post(
        f"{API}/ceilings",
        json={
            "category": "dental",
            "max_quantity": 4,
            "period_days": 365,
            "valid_from": "2031-01-01",
        },
    )
    assert made.status_code == 201, made.text
    again = client.post(
        f"{API}/ceilings",
        json={
            "category": "dental",
            "max_quantity": 5,
            "period_days": 365,
            "valid_from": "2030-12-31",
        },
    )
    assert again.status_code == 409 and again.json()["error"] == "version_before_current"
    dental = [c for c in client.get(f"{API}/ceilings").json() if c["category"] == "dental"]
    assert dental[-1]["max_quantity"] == 4 and dental[-1]["updated_by"].startswith("user:")
    rate = client.post(
        f"{API}/complementary-rates",
        json={
            "mutual_code": "MGPTT",
            "category": "lab",
            "rate_bp": 2500,
            "valid_from": "2031-01-01",
        },
    )
    assert rate.status_code == 201, rate.text
    history = client.get(f"{API}/complementary-rates/history", params={"mutual": "MGPTT"})
    assert [r["rate_bp"] for r in history.json() if r["category"] == "lab"][-1] == 2500
    policies = client.get(f"{API}/policies").json()
    body = {k: v for k, v in policies[-1].items() if k not in {"id", "valid_to", "updated_by"}}
    body |= {"valid_from": "2031-01-01", "filing_deadline_days": 90, "document_categories": []}
    body |= {
        name: [c for c in body[name].split(",") if c]
        for name in ("continuous_categories", "continuous_ald_categories")
    }
    policy = client.post(f"{API}/policies", json=body)
    assert policy.status_code == 201, policy.text
    after = client.get(f"{API}/policies").json()
    assert after[-2]["valid_to"] == "2030-12-31" and after[-1]["filing_deadline_days"] == 90
    rates = client.get(f"{API}/rates/history", params={"regime": "CNOPS", "category": "lab"})
    assert rates.status_code == 200 and all(r["category"] == "lab" for r in rates.json())
    heading = client.post(
        f"{API}/ald",
        json={"code": "ALD88", "kind": "ald", "name_fr": "Essai", "valid_from": "2031-01-01"},
    )
    assert heading.status_code == 201, heading.text
    closed = client.post(f"{API}/ald/ALD88/close", json={"closed_from": "2031-02-01"})
    assert closed.status_code == 200 and closed.json()["valid_to"] == "2031-01-31"
    agency = client.post(
        f"{API}/agencies",
        json={
            "code": "AG-API",
            "name_fr": "Agence",
            "name_ar": "وكالة",
            "city": "Fès",
            "region": "Fès-Meknès",
            "valid_from": "2031-01-01",
        },
    )
    assert agency.status_code == 201, agency.text
    shut = client.post(f"{API}/agencies/AG-API/close", json={"closed_from": "2031-01-01"})
    assert shut.status_code == 400 and shut.json()["detail"][0]["field"] == "closed_from"
    assert "AG-API" in [a["code"] for a in client.get(f"{API}/agencies").json()]
