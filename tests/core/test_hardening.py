"""HTTP hardening: request size cap, no internals in error responses, secrets, API docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.app import create_app
from daman.auth.models import Role
from daman.config import DEFAULT_SECRET, Settings, get_settings
from daman.core.hardening import BodyLimit, RefuseNul
from tests.conftest import _app_on


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


def test_a_chunked_json_body_over_the_limit_is_413_in_front_of_the_nul_check():
    """As in the app: BodyLimit outside RefuseNul, which reads JSON bodies whole."""
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    app.add_middleware(RefuseNul)
    app.add_middleware(BodyLimit, limit=100)
    client = TestClient(app, raise_server_exceptions=False)

    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b" " * 40

    for kind in ("application/json", "text/plain"):
        r = client.post("/echo", content=chunks(), headers={"content-type": kind})
        assert r.status_code == 413 and "over 100 bytes" in r.text, kind
    json = {"content-type": "application/json"}
    small = client.post("/echo", content=iter([b"{}"]), headers=json)
    assert small.json() == {"bytes": 2}


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


def test_a_short_secret_is_refused_outside_development():
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(environment="production", secret_key="x" * 31)
    assert len(Settings(environment="production", secret_key="é" * 16).secret_key) == 16
    assert Settings(environment="development", secret_key="short").secret_key == "short"


def test_api_docs_are_public_in_development_only_by_default():
    assert Settings(environment="development").public_api_docs is True
    assert Settings(environment="production", secret_key="x" * 40).public_api_docs is False
    opened = Settings(environment="production", secret_key="x" * 40, public_api_docs=True)
    assert opened.public_api_docs is True


def test_trusted_proxies_are_addresses_or_networks():
    assert Settings(trusted_proxies="").trusted_proxies == []
    listed = Settings(trusted_proxies="10.0.0.5, 192.168.0.0/16,::1")
    assert listed.trusted_proxies == ["10.0.0.5", "192.168.0.0/16", "::1"]
    with pytest.raises(ValidationError, match=r"not an IP address or network: proxy\.local"):
        Settings(trusted_proxies="10.0.0.5,proxy.local")
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(trusted_proxies="*")


@pytest.fixture
def private_docs(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app (real sign-in) with DAMAN_PUBLIC_API_DOCS=false."""
    monkeypatch.setenv("DAMAN_PUBLIC_API_DOCS", "false")
    get_settings.cache_clear()
    try:
        with TestClient(_app_on(session), raise_server_exceptions=False) as c:
            yield c
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_private_api_docs_need_a_sign_in(private_docs: TestClient, session: Session):
    pages = ("/docs", "/redoc", "/api/v1/openapi.json")
    for path in pages:
        r = private_docs.get(path)
        assert (r.status_code, r.json()["error"]) == (401, "not_authenticated"), path
    headers = bearer(session, builders.user(session, Role.INSURED))
    for path in pages:
        assert private_docs.get(path, headers=headers).status_code == 200, path
    schema = private_docs.get("/api/v1/openapi.json", headers=headers).json()
    assert "/api/v1/claims" in schema["paths"]
    assert "/api/v1/openapi.json" not in schema["paths"]
    docs = private_docs.get("/docs", headers=headers)
    assert "/api/v1/openapi.json" in docs.text and "swagger" in docs.text.lower()


def test_public_api_docs_need_no_sign_in(anonymous: TestClient):
    for path in ("/docs", "/redoc", "/api/v1/openapi.json"):
        assert anonymous.get(path).status_code == 200, path


def test_api_docs_load_their_scripts_from_the_app_not_a_cdn(anonymous: TestClient):
    """The fund's machines may have no internet: Swagger UI and ReDoc come from pinned
    copies the app serves, and their pages name no other origin."""
    import re

    for page in ("/docs", "/redoc"):
        r = anonymous.get(page)
        assert "http://" not in r.text and "https://" not in r.text, page
        assert "cdn" not in r.headers["content-security-policy"]
        assets = re.findall(r'(?:src|href)="(/static/docs/[^"]+)"', r.text)
        assert assets, page
        for asset in assets:
            got = anonymous.get(asset)
            assert got.status_code == 200 and len(got.content) > 1000, asset


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
