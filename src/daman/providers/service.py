"""Use cases of care providers: register, change, find. Services only flush."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.core.dates import today
from daman.core.enums import ProviderKind, Sector
from daman.core.errors import FieldError, ValidationFailed
from daman.core.identifiers import rib_problem
from daman.core.pagination import Page
from daman.providers import repository as repo
from daman.providers.errors import DuplicateInpe, ProviderNotFound
from daman.providers.models import Provider
from daman.providers.schemas import ProviderIn, ProviderOut, ProviderPatch
from daman.registry.repository import sees_bank_details


def _clean_rib(rib: str | None) -> str | None:
    """Spaces are allowed in input; an empty RIB means none."""
    if rib is None:
        return None
    return rib.replace(" ", "").strip() or None


def _errors(rib: str | None, valid_from: date, valid_to: date | None) -> list[FieldError]:
    errors = []
    if rib is not None and (problem := rib_problem(rib)):
        errors.append(FieldError(field="rib", reason=problem))
    if valid_to is not None and valid_to < valid_from:
        errors.append(FieldError(field="valid_to", reason=f"is before valid_from {valid_from}"))
    return errors


def create_provider(session: Session, data: ProviderIn, actor: str) -> Provider:
    rib = _clean_rib(data.rib)
    valid_from = data.valid_from or today()
    if errors := _errors(rib, valid_from, data.valid_to):
        raise ValidationFailed(errors)
    if repo.by_inpe(session, data.inpe) is not None:
        raise DuplicateInpe(
            [FieldError(field="inpe", reason=f"INPE {data.inpe} is already registered")]
        )
    row = Provider(
        inpe=data.inpe,
        kind=data.kind,
        name=data.name,
        sector=data.sector,
        specialty=data.specialty or None,
        city=data.city,
        rib=rib,
        valid_from=valid_from,
        valid_to=data.valid_to,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def get_provider(session: Session, inpe: str) -> Provider:
    row = repo.by_inpe(session, inpe)
    if row is None:
        raise ProviderNotFound(f"no provider with INPE {inpe}")
    return row


def update_provider(session: Session, inpe: str, patch: ProviderPatch, actor: str) -> Provider:
    row = get_provider(session, inpe)
    changes = patch.model_dump(exclude_unset=True)
    if "rib" in changes:
        changes["rib"] = _clean_rib(changes["rib"])
    errors = _errors(
        changes.get("rib", row.rib),
        changes.get("valid_from") or row.valid_from,
        changes.get("valid_to", row.valid_to),
    )
    required = ("kind", "name", "sector", "city", "valid_from")
    errors += [
        FieldError(field=k, reason="cannot be empty")
        for k in required
        if k in changes and changes[k] is None
    ]
    if errors:
        raise ValidationFailed(errors)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_by = actor
    session.flush()
    return row


def provider_out(row: Provider, who: Principal | None = None) -> ProviderOut:
    """The provider as ``who`` may read it: the RIB only for finance staff and the provider
    itself (see `daman.registry.repository.sees_bank_details`), null for anyone else."""
    out = ProviderOut.model_validate(row)
    if not sees_bank_details(who, provider_id=row.id):
        out.rib = None
    return out


def search_providers(
    session: Session,
    q: str | None,
    kind: ProviderKind | None,
    sector: Sector | None,
    city: str | None,
    limit: int,
    offset: int,
    who: Principal | None = None,
) -> Page[ProviderOut]:
    rows, total = repo.search(session, q, kind, sector, city, limit, offset)
    items = [provider_out(p, who) for p in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)
