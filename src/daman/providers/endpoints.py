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
# Bank details (RIB) are read by finance staff and the provider itself only; the others get
# null (daman.registry.repository.sees_bank_details).


@router.post("/providers", status_code=201, responses=error_responses(ValidationFailed, Conflict))
def create_provider(
    data: ProviderIn, session: Session = SESSION, who: Principal = Depends(KEEPERS)
) -> ProviderOut:
    return service.provider_out(service.create_provider(session, data, who.actor), who)


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
    return service.search_providers(session, q, kind, sector, city, page.limit, page.offset, who)


@router.get("/providers/{inpe}", responses=error_responses(NotFound))
def get_provider(
    inpe: str, session: Session = SESSION, who: Principal = Depends(READ_ANY)
) -> ProviderOut:
    return service.provider_out(service.get_provider(session, inpe), who)


@router.patch("/providers/{inpe}", responses=error_responses(ValidationFailed, NotFound))
def update_provider(
    inpe: str,
    patch: ProviderPatch,
    session: Session = SESSION,
    who: Principal = Depends(KEEPERS),
) -> ProviderOut:
    return service.provider_out(service.update_provider(session, inpe, patch, who.actor), who)
