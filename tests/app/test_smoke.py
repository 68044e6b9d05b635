from sqlalchemy import inspect


def test_schema_migrated(session):
    tables = set(inspect(session.connection()).get_table_names())
    assert {"persons", "drugs", "drug_prices", "providers", "counters"} <= tables


def test_health_and_error_shape(client):
    assert client.get("/api/v1/health").json()["status"] == "ok"
    r = client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
