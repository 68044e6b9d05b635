"""The HCX-style API at /hcx/v1: partners' asynchronous calls (answered 202 with their
ids), the state of each cycle, Daman's public key, and the partners' register.

Left out of the REST API's OpenAPI schema on purpose: the request and answer shapes,
error codes included, are the HCX protocol's (its own OpenAPI document), not Daman's."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from daman.auth.access import PUBLIC, Principal, allow
from daman.auth.models import Role
from daman.core.dates import now
from daman.core.db import SESSION
from daman.hcx import jwe, service
from daman.hcx.errors import HcxRoute, ProtocolError
from daman.hcx.models import HcxPartner

router = APIRouter(prefix="/hcx/v1", route_class=HcxRoute, include_in_schema=False, tags=["hcx"])

PARTNER = allow(Role.PROVIDER)  # a partner calls with its provider's API key
FOLLOW = allow(Role.PROVIDER, Role.AGENT, Role.CONTROLLER, Role.ADMIN)
ADMIN = allow(Role.ADMIN)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("ERR_INVALID_PAYLOAD", "the body is not JSON") from exc


def _payload(data: Any) -> str:
    payload = data.get("payload") if isinstance(data, dict) else None
    if not isinstance(payload, str):
        raise ProtocolError("ERR_INVALID_PAYLOAD", 'the body is {"payload": "<compact JWE>"}')
    return payload


def _make(action: str) -> Any:
    def call(
        data: Any = Depends(_json), session: Session = SESSION, who: Principal = Depends(PARTNER)
    ) -> JSONResponse:
        cycle = service.receive(session, action, _payload(data), who)
        return JSONResponse(
            {
                "timestamp": now().isoformat(),
                "api_call_id": cycle.api_call_id,
                "correlation_id": cycle.correlation_id,
            },
            status_code=202,
        )

    call.__name__ = "hcx_" + action.replace("/", "_")
    answered = service.ON_ACTION.get(action)
    call.__doc__ = f"{action}: checked and stored now" + (
        f", answered on {answered}." if answered else ", nothing called back."
    )
    return call


for _action in (*service.ON_ACTION, *service.ANSWERS):
    router.post(f"/{_action}")(_make(_action))


@router.get("/keys", dependencies=[PUBLIC])
def keys() -> dict[str, Any]:
    """The fund's participant code and public key: encrypt payloads to it."""
    return {"participant_code": service.DAMAN_CODE, **jwe.public_jwks()}


@router.get("/cycles/{api_call_id}")
def cycle_state(
    api_call_id: str, session: Session = SESSION, who: Principal = Depends(FOLLOW)
) -> dict[str, Any]:
    """Where a call stands: accepted, answered (callback waiting), delivered; attempts."""
    return service.state(service.cycle(session, api_call_id, who))


@router.post("/partners", status_code=201)
def register_partner(
    data: Any = Depends(_json), session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> dict[str, Any]:
    """Register a partner: {code, name, provider_inpe, public_jwk, callback_url}."""
    if not isinstance(data, dict):
        raise ProtocolError("ERR_INVALID_PAYLOAD", "a JSON object")
    fields = ("code", "name", "provider_inpe", "callback_url")
    missing = [f for f in (*fields, "public_jwk") if not data.get(f)]
    if missing or not all(isinstance(data[f], str) for f in fields):
        raise ProtocolError("ERR_INVALID_PAYLOAD", f"required: {', '.join(missing) or fields}")
    if not isinstance(data["public_jwk"], dict):
        raise ProtocolError("ERR_INVALID_PAYLOAD", "public_jwk: a JWK object")
    row = service.register_partner(
        session,
        data["code"],
        data["name"],
        data["provider_inpe"],
        data["public_jwk"],
        data["callback_url"],
        who.actor,
    )
    return {"code": row.code, "name": row.name, "callback_url": row.callback_url}


def _partner_out(row: HcxPartner) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "callback_url": row.callback_url,
        "active": row.active,
        "updated_at": row.updated_at.isoformat(),
        "updated_by": row.updated_by,
    }


@router.post("/partners/{code}/deactivate")
def deactivate_partner(
    code: str, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> dict[str, Any]:
    """Suspend a partner: its calls are refused (ERR_INVALID_SENDER) until reactivated."""
    return _partner_out(service.set_active(session, code, False, who.actor))


@router.post("/partners/{code}/activate")
def activate_partner(
    code: str, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> dict[str, Any]:
    return _partner_out(service.set_active(session, code, True, who.actor))


@router.get("/partners")
def list_partners(
    session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> list[dict[str, Any]]:
    return [
        {"code": p.code, "name": p.name, "callback_url": p.callback_url, "active": p.active}
        for p in service.partners(session)
    ]
