"""HTTP endpoints of care providers (doctors, pharmacies, labs, clinics, hospitals)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.enums import ProviderKind, Sector
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.pagination import Page, PageParams, page_params
from daman.providers import service
from daman.providers.schemas import ProviderIn, ProviderOut, ProviderPatch

router = APIRouter(tags=["providers"])

# The directory names doctors: everyone who deals with care, but not the analysts, who
# never receive a name.
READ_ANY = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER, Role.ADMIN)
KEEPERS = allow(Role.ADMIN, Role.AGENT)  # agreements with providers


@router.post("/providers", status_code=201, responses=error_responses(ValidationFailed, Conflict))
def create_provider(
    data: ProviderIn, session: Session = SESSION, who: Principal = Depends(KEEPERS)
) -> ProviderOut:
    return ProviderOut.model_validate(service.create_provider(session, data, who.actor))


@router.get("/providers")
def search_providers(
    q: str | None = Query(None, description="words of the name, specialty or city, or an INPE"),
    kind: ProviderKind | None = None,
    sector: Sector | None = None,
    city: str | None = None,
    page: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(READ_ANY),
) -> Page[ProviderOut]:
    return service.search_providers(session, q, kind, sector, city, page.limit, page.offset)


@router.get("/providers/{inpe}", responses=error_responses(NotFound))
def get_provider(
    inpe: str, session: Session = SESSION, who: Principal = Depends(READ_ANY)
) -> ProviderOut:
    return ProviderOut.model_validate(service.get_provider(session, inpe))


@router.patch("/providers/{inpe}", responses=error_responses(ValidationFailed, NotFound))
def update_provider(
    inpe: str,
    patch: ProviderPatch,
    session: Session = SESSION,
    who: Principal = Depends(KEEPERS),
) -> ProviderOut:
    return ProviderOut.model_validate(service.update_provider(session, inpe, patch, who.actor))
