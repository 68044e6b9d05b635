"""FastAPI application factory: routers, error handlers, middleware."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from daman import __version__
from daman.accounts.demo import refuse_open_demo_accounts
from daman.auth.access import PUBLIC, SIGNED_IN, allow
from daman.config import get_settings
from daman.core.admission import Admission
from daman.core.db import database_error
from daman.core.errors import DamanError
from daman.core.hardening import BodyLimit, RefuseNul, SecurityHeaders
from daman.core.text import TEXT_REFUSED
from daman.web import shell
from daman.web.site import page_routers, wide_bodies

log = logging.getLogger("daman")

API = "/api/v1"
OPENAPI = f"{API}/openapi.json"
INTERNAL = {"error": "internal_error", "detail": "unexpected error, logged"}
STATIC = Path(__file__).parent / "web" / "static"
# Swagger UI and ReDoc, pinned: the copies the fastapi-offline package ships (version in
# pyproject.toml), served by the app itself rather than from a CDN.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_STATIC = "/static/docs"


def _field(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def create_app() -> FastAPI:
    import daman.models  # noqa: F401 - every table mapped before the first request

    settings = get_settings()
    if settings.environment != "development":
        # `daman serve` says so in one line before getting here (daman.accounts.demo)
        refuse_open_demo_accounts()
    public_docs = bool(settings.public_api_docs)
    app = FastAPI(
        title="Daman",
        version=__version__,
        description="Mandatory health insurance fund: registry, reference data, rights.",
        openapi_url=OPENAPI if public_docs else None,
        docs_url=None,  # served by _docs, from pinned local assets
        redoc_url=None,
    )
    app.add_middleware(RefuseNul)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, wider=wide_bodies())
    app.add_middleware(Admission)
    app.add_middleware(SecurityHeaders, https=settings.environment != "development")

    @app.exception_handler(DamanError)
    async def _domain_error(_: Request, exc: DamanError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=exc.body())

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        known = database_error(exc)
        if known is None:
            log.exception("database error", exc_info=exc)
            return JSONResponse(status_code=500, content=INTERNAL)
        headers = {"Retry-After": "1"} if known.status == 503 else None
        return JSONResponse(status_code=known.status, content=known.body(), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        detail = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in errors]
        if errors and all(e["type"] == TEXT_REFUSED for e in errors):
            # well-formed, but text a person typed holds what the fund refuses to store
            return JSONResponse(
                status_code=400, content={"error": "validation_failed", "detail": detail}
            )
        return JSONResponse(
            status_code=422, content={"error": "malformed_request", "detail": detail}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            status_code=exc.status_code, content={"error": code, "detail": str(exc.detail)}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(status_code=500, content=INTERNAL)

    @app.get(f"{API}/health", tags=["meta"], dependencies=[PUBLIC])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for router in _routers():
        app.include_router(router, prefix=API)
    for router in _standards_routers():
        app.include_router(router)  # FHIR and HCX, at their own paths
    _document_malformed_requests(app)
    _docs(app, public=public_docs)
    shell.install(app)
    for pages in page_routers():
        app.include_router(pages)
    app.mount(DOCS_STATIC, StaticFiles(directory=DOCS_ASSETS), name="docs-static")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


# What a 422 looks like here (the handler above), in place of FastAPI's default shape.
MALFORMED = {
    "title": "MalformedRequest",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "const": "malformed_request"},
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}


def _document_malformed_requests(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in components:
                components["HTTPValidationError"] = MALFORMED
                components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _docs(app: FastAPI, *, public: bool) -> None:
    """The API documentation (Swagger UI, ReDoc) from copies of their scripts pinned with
    the app (the fund's machines may have no internet). Open to anyone when ``public``
    (DAMAN_PUBLIC_API_DOCS, the default in development), else to signed-in callers only
    (any role, by bearer token or web session), the schema included."""
    guard = [] if public else [Depends(allow(*SIGNED_IN))]
    if not public:

        @app.get(OPENAPI, include_in_schema=False, dependencies=guard)
        def openapi_schema() -> JSONResponse:
            return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=guard)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False, dependencies=guard)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC}/favicon.png",
            with_google_fonts=False,
        )


def _standards_routers() -> list[APIRouter]:
    from daman.fhir.endpoints import router as fhir
    from daman.hcx.endpoints import router as hcx

    return [fhir, hcx]


def _routers() -> list[APIRouter]:
    from daman.accounts.endpoints import router as accounts
    from daman.adjudication.endpoints import router as adjudication
    from daman.claims.endpoints import router as claims
    from daman.contributions.collection.endpoints import router as contributions
    from daman.contributions.collection.endpoints import statistics as contribution_figures
    from daman.counter.endpoints import router as counter
    from daman.counter.pharmacy_endpoints import router as pharmacy
    from daman.exemptions.endpoints import router as exemptions
    from daman.payments.endpoints import router as payments
    from daman.preauth.endpoints import router as preauth
    from daman.prescriptions.endpoints import router as prescriptions
    from daman.providers.endpoints import router as providers
    from daman.reference.endpoints import router as reference
    from daman.registry.endpoints import router as registry
    from daman.reports.endpoints import router as reports

    return [
        accounts,
        reference,
        registry,
        providers,
        counter,
        prescriptions,
        pharmacy,
        claims,
        adjudication,
        payments,
        preauth,
        exemptions,
        reports,
        contributions,
        contribution_figures,
    ]
