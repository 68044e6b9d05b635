"""POST/GET/PATCH /providers, search, and the errors of bad input."""

from __future__ import annotations

from datetime import date

import pytest

from daman.core.identifiers import rib_key
from daman.providers import builders as pb
from daman.providers.models import Provider
from daman.providers.repository import active_on, ids_by_inpe

API = "/api/v1"
FIRST22 = "0118100000000000123456"
RIB = FIRST22 + rib_key(FIRST22)


def body(**changes):
    out = {
        "inpe": "INPE-771203",
        "kind": "doctor",
        "name": "Dr Nadia Berrada",
        "sector": "private",
        "specialty": "pédiatrie",
        "city": "Fès",
        "rib": RIB,
        "valid_from": "2010-05-01",
    }
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def reasons(r):
    return {e["field"]: e["reason"] for e in r.json()["detail"]}


def test_create_get_patch(client, session):
    r = client.post(f"{API}/providers", json=body(), headers={"X-Daman-Actor": "ops"})
    assert r.status_code == 201, r.text
    assert (r.json()["inpe"], r.json()["rib"], r.json()["valid_to"]) == ("INPE-771203", RIB, None)
    assert session.get(Provider, r.json()["id"]).created_by == "user:ops"
    got = client.get(f"{API}/providers/INPE-771203")
    assert got.json() == r.json()
    patched = client.patch(
        f"{API}/providers/INPE-771203", json={"city": "Meknès", "valid_to": "2030-12-31"}
    )
    assert (patched.json()["city"], patched.json()["valid_to"]) == ("Meknès", "2030-12-31")
    provider = session.get(Provider, r.json()["id"])
    assert active_on(provider, date(2030, 12, 31)) and not active_on(provider, date(2031, 1, 1))


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"rib": FIRST22 + f"{(int(RIB[22:]) + 1) % 100:02d}"}, "rib", f"expected {RIB[22:]}"),
        ({"rib": "RIB"}, "rib", "24 digits"),
        ({"valid_to": "2009-01-01"}, "valid_to", "before valid_from"),
    ],
)
def test_bad_input(client, changes, field, words):
    r = client.post(f"{API}/providers", json=body(**changes))
    assert (r.status_code, r.json()["error"]) == (400, "validation_failed")
    assert words in reasons(r)[field]


def test_malformed_kind_and_sector(client):
    r = client.post(f"{API}/providers", json=body(kind="shaman", sector="mixed"))
    assert r.status_code == 422
    assert {"kind", "sector"} <= set(reasons(r))


def test_duplicate_inpe(client):
    assert client.post(f"{API}/providers", json=body()).status_code == 201
    r = client.post(f"{API}/providers", json=body(name="Another"))
    assert (r.status_code, r.json()["error"]) == (409, "duplicate_inpe")
    assert "inpe" in reasons(r)


def test_unknown_provider_and_bad_patch(client, session):
    r = client.get(f"{API}/providers/NOPE")
    assert (r.status_code, r.json()["error"]) == (404, "provider_not_found")
    p = pb.provider(session)
    bad = client.patch(f"{API}/providers/{p.inpe}", json={"rib": "1" * 24, "name": None})
    assert set(reasons(bad)) == {"rib", "name"}


def test_search_filters_and_pagination(client, session):
    pb.provider(session, name="Pharmacie Al Amal", kind="pharmacy", specialty=None, city="Rabat")
    pb.provider(session, name="Pharmacie Atlas", kind="pharmacy", specialty=None, city="Fès")
    pb.provider(session, name="Clinique Atlas", kind="clinic", city="Rabat")
    pb.provider(session, name="CHU Ibn Sina", kind="hospital", sector="public", city="Rabat")
    page = client.get(f"{API}/providers", params={"q": "pharmacie", "limit": 1}).json()
    assert (page["total"], [p["name"] for p in page["items"]]) == (2, ["Pharmacie Al Amal"])
    second = client.get(f"{API}/providers", params={"q": "pharmacie", "limit": 1, "offset": 1})
    assert [p["name"] for p in second.json()["items"]] == ["Pharmacie Atlas"]
    atlas = client.get(f"{API}/providers", params={"q": "atlas", "kind": "clinic"}).json()
    assert [p["name"] for p in atlas["items"]] == ["Clinique Atlas"]
    public = client.get(f"{API}/providers", params={"sector": "public", "city": "rabat"}).json()
    assert [p["name"] for p in public["items"]] == ["CHU Ibn Sina"]
    assert client.get(f"{API}/providers", params={"kind": "shaman"}).status_code == 422


def test_builder_and_bulk_lookup(session):
    a, c = pb.provider(session), pb.provider(session, kind="lab", specialty=None)
    assert ids_by_inpe(session, [a.inpe, c.inpe, "unknown"]) == {a.inpe: a.id, c.inpe: c.id}
