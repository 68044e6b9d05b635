"""POST/GET/PATCH /employers and their search."""

from __future__ import annotations

from daman.registry.models import Employer

API = "/api/v1"


def test_create_get_patch_employer(client, session):
    body = {"number": "1234567", "name": "Atlas Textiles SARL", "ice": "001234567000062"}
    r = client.post(
        f"{API}/employers", json={**body, "city": "Tanger"}, headers={"X-Daman-Actor": "hr"}
    )
    assert r.status_code == 201, r.text
    assert session.get(Employer, r.json()["id"]).created_by == "user:hr"
    assert client.get(f"{API}/employers/1234567").json()["city"] == "Tanger"
    patched = client.patch(f"{API}/employers/1234567", json={"city": "Tétouan"})
    assert (patched.json()["city"], patched.json()["name"]) == ("Tétouan", "Atlas Textiles SARL")
    bad = client.patch(f"{API}/employers/1234567", json={"ice": "001234567000088"})
    assert bad.status_code == 400
    assert bad.json()["detail"] == [{"field": "ice", "reason": "bad ICE key 88 (expected 62)"}]
    assert client.get(f"{API}/employers/1234567").json()["ice"] == "001234567000062"
    dup = client.post(f"{API}/employers", json=body)
    assert (dup.status_code, dup.json()["error"]) == (409, "duplicate_employer")


def test_employer_errors(client):
    bad = client.post(f"{API}/employers", json={"number": "1", "name": "X", "ice": "12"})
    assert bad.status_code == 400
    assert bad.json()["detail"] == [{"field": "ice", "reason": "must be exactly 15 digits"}]
    bad = client.post(
        f"{API}/employers", json={"number": "1", "name": "X", "ice": "001234567000089"}
    )
    assert bad.status_code == 400
    assert bad.json()["detail"] == [{"field": "ice", "reason": "bad ICE key 89 (expected 62)"}]
    missing = client.get(f"{API}/employers/nope")
    assert (missing.status_code, missing.json()["error"]) == (404, "employer_not_found")
    assert client.post(f"{API}/employers", json={"number": "", "name": "X"}).status_code == 422


def test_search_employers(client):
    for number, name, city in [
        ("100", "Atlas Textiles", "Tanger"),
        ("200", "Atlas Logistique", "Casablanca"),
        ("300", "Sahara Mines", "Laayoune"),
    ]:
        client.post(f"{API}/employers", json={"number": number, "name": name, "city": city})
    page = client.get(f"{API}/employers", params={"q": "atlas", "limit": 1}).json()
    assert (page["total"], [e["name"] for e in page["items"]]) == (2, ["Atlas Logistique"])
    assert (
        client.get(f"{API}/employers", params={"q": "laayoune"}).json()["items"][0]["number"]
        == "300"
    )
