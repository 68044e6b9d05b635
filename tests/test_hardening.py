"""HTTP hardening: request size cap, no internals in error responses, default secret."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError

from daman.app import create_app
from daman.config import DEFAULT_SECRET, Settings
from daman.core.hardening import BodyLimit


def echo_app(limit: int) -> TestClient:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimit, limit=limit)
    return TestClient(app)


def test_a_body_over_the_limit_is_refused_before_it_is_read():
    client = echo_app(limit=100)
    assert client.post("/echo", content=b"x" * 100).json() == {"bytes": 100}
    r = client.post("/echo", content=b"x" * 101)
    assert r.status_code == 413 and r.json()["error"] == "request_too_large"


def test_a_streamed_body_without_length_is_cut_at_the_limit():
    client = echo_app(limit=100)

    def chunks():
        for _ in range(5):
            yield b"x" * 40

    r = client.post("/echo", content=chunks())  # chunked: no Content-Length
    assert r.status_code == 413 and "over 100 bytes" in r.json()["detail"]


def test_an_unexpected_error_shows_no_internals():
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 in /srv/daman/secret.py line 12")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert r.json() == {"error": "internal_error", "detail": "unexpected error, logged"}
    assert "hunter2" not in r.text and "Traceback" not in r.text


def test_the_default_secret_is_refused_outside_development():
    with pytest.raises(ValidationError, match="DAMAN_SECRET_KEY must be set"):
        Settings(environment="production", secret_key=DEFAULT_SECRET)
    assert Settings(environment="production", secret_key="x" * 40).secret_key == "x" * 40


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/claims/CL%00", None, "path"),
        ("/api/v1/reference/drugs?q=para%00", None, "query"),
        ("/api/v1/health", b'{"patient": "DM\\u0000"}', "body"),
    ],
)
def test_a_nul_character_is_refused_at_the_door(path, body, field):
    client = TestClient(create_app())
    headers = {"content-type": "application/json"}
    r = client.post(path, content=body, headers=headers) if body else client.get(path)
    assert r.status_code == 422
    assert r.json() == {
        "error": "malformed_request",
        "detail": [{"field": field, "reason": r.json()["detail"][0]["reason"]}],
    }
    assert "NUL" in r.json()["detail"][0]["reason"]
