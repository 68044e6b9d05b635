"""The protocol's envelope: a compact JWE (RSA-OAEP, A256GCM) whose protected header
carries the ``x-hcx-*`` headers, with jwcrypto. Daman's own key pair lives in the data
directory (``hcx/daman-key.json``, created on first use, readable by its owner only);
its public half is published at /hcx/v1/keys for partners to encrypt to."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from jwcrypto import jwe, jwk
from jwcrypto.common import JWException

from daman.config import get_settings

ALG = "RSA-OAEP"
ENC = "A256GCM"


class EnvelopeError(ValueError):
    """The payload is no compact JWE, or it cannot be decrypted (tampered, wrong key)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def key_path() -> Path:
    return Path(get_settings().data_dir) / "hcx" / "daman-key.json"


def own_key() -> jwk.JWK:
    """Daman's private key, made on first use."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = jwk.JWK.generate(kty="RSA", size=2048, kid="daman-hcx-1")
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key.export_private())
        os.replace(tmp, path)
    return jwk.JWK.from_json(path.read_text())


def public_jwks() -> dict[str, Any]:
    return {"keys": [json.loads(own_key().export_public())]}


def protected_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWE, readable without decrypting."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 5:
        raise EnvelopeError("ERR_INVALID_PAYLOAD", "the payload is not a compact JWE (5 parts)")
    try:
        padded = parts[0] + "=" * (-len(parts[0]) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError("ERR_INVALID_PAYLOAD", "the protected header is not JSON") from exc
    if not isinstance(header, dict):
        raise EnvelopeError("ERR_INVALID_PAYLOAD", "the protected header is not an object")
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise EnvelopeError("ERR_INVALID_PAYLOAD", f"alg must be {ALG} and enc {ENC}")
    return header


def decrypt(token: str, key: jwk.JWK) -> bytes:
    envelope = jwe.JWE()
    try:
        envelope.deserialize(token, key=key)
    except (JWException, ValueError, TypeError) as exc:
        raise EnvelopeError(
            "ERR_INVALID_ENCRYPTION", "the payload cannot be decrypted with the recipient's key"
        ) from exc
    payload: bytes = envelope.payload
    return payload


def encrypt(payload: bytes, headers: dict[str, Any], public_key: jwk.JWK) -> str:
    envelope = jwe.JWE(
        payload, protected=json.dumps({"alg": ALG, "enc": ENC, **headers}), recipient=public_key
    )
    token: str = envelope.serialize(compact=True)
    return token
