"""FastAPI application factory: routers, error handlers, middleware."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from daman import __version__
from daman.core.admission import Admission
from daman.core.errors import DamanError

log = logging.getLogger("daman")

API = "/api/v1"


def _field(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def create_app() -> FastAPI:
    app = FastAPI(
        title="Daman",
        version=__version__,
        description="Mandatory health insurance fund: registry, reference data, rights.",
        openapi_url=f"{API}/openapi.json",
        docs_url="/docs",
    )
    app.add_middleware(Admission)

    @app.exception_handler(DamanError)
    async def _domain_error(_: Request, exc: DamanError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=exc.body())

    @app.exception_handler(RequestValidationError)
    async def _malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return JSONResponse(
            status_code=422, content={"error": "malformed_request", "detail": detail}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            status_code=exc.status_code, content={"error": code, "detail": str(exc.detail)}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            status_code=500,
            content={"error": "internal_error", "detail": "unexpected error, logged"},
        )

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get(f"{API}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for router in _routers():
        app.include_router(router, prefix=API)
    return app


def _routers() -> list[APIRouter]:
    from daman.adjudication.endpoints import router as adjudication
    from daman.claims.endpoints import router as claims
    from daman.payments.endpoints import router as payments
    from daman.providers.endpoints import router as providers
    from daman.reference.endpoints import router as reference
    from daman.registry.endpoints import router as registry

    return [reference, registry, providers, claims, adjudication, payments]
