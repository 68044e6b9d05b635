"""API shapes of accounts, tokens and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from daman.auth.models import Role


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1000)
    label: str = Field("", max_length=200, description="where the token is used")


class TokenOut(BaseModel):
    token: str = Field(description="shown once: keep it; send as Authorization: Bearer ...")
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_at: datetime | None
    username: str
    role: Role


class MeOut(BaseModel):
    actor: str
    role: Role
    username: str | None
    via: str
    person: str | None = Field(description="immatriculation, for an insured user")
    provider: str | None = Field(description="INPE, for a provider user or API key")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    role: Role
    password: str = Field(min_length=1, max_length=1000)
    full_name: str = Field("", max_length=200)
    person: str | None = Field(None, max_length=12, description="immatriculation (insured)")
    provider: str | None = Field(None, max_length=20, description="INPE (provider)")


class UserOut(BaseModel):
    username: str
    full_name: str
    role: Role
    person: str | None
    provider: str | None
    active: bool
    locked_until: datetime | None
    created_at: datetime
    created_by: str


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=200, description="the software or site")


class ApiKeyOut(BaseModel):
    id: int
    provider: str = Field(description="INPE")
    label: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="shown once: the provider's software sends it as a bearer")
