"""Typed settings, read from the environment (prefix DAMAN_) or a .env file."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development
DEVELOPMENT_FUND_RIB = "010780000000000012345682"  # refused outside development
MIN_SECRET_BYTES = 32  # outside development: 256 bits for the HMACs keyed with it


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAMAN_", env_file=".env", extra="ignore")

    environment: str = "development"
    database_url: str = "sqlite:///./daman.db"
    secret_key: str = DEFAULT_SECRET
    data_dir: Path = Path("var")
    timezone: str = "Africa/Casablanca"
    currency: str = "MAD"
    page_size_max: int = 200
    demo_seed: int = 20260101
    max_document_bytes: int = 10 * 1024 * 1024  # claim documents (PDF, JPEG, PNG)
    max_request_bytes: int = 11 * 1024 * 1024  # any request body: a document and its form
    # The fund's own account, debited by the payment batches (pain.001 debtor). The defaults
    # are for development only: bank files are refused with them outside development.
    fund_name: str = "Daman AMO (development)"
    fund_iban_or_rib: str = DEVELOPMENT_FUND_RIB
    fund_bic: str = "DAMNMAMC"
    # Sign-in attempts allowed from one client address per 5 minutes (per server process).
    sign_in_limit: int = 20
    # Addresses or networks of the reverse proxies whose X-Forwarded-For names the client
    # (comma-separated, e.g. "10.0.0.5,10.1.0.0/16"). Empty: the header is ignored and the
    # connecting address is the client's (a client cannot pick the address it is counted as).
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # The API documentation (/docs, /redoc, the OpenAPI schema) without signing in. Unset:
    # public in development, behind a sign-in elsewhere.
    public_api_docs: bool | None = None
    # A payment batch still without its bank file this long after it was formed is flagged
    # (`daman payments status`, GET /payments/status): a run died between the two steps.
    payment_file_grace_minutes: int = 15
    # Pre-authorisations: the legal answer time, counted from timestamps (paused while the
    # fund waits for information from the requester).
    preauth_answer_hours: int = 48
    # ALD exemptions: how long a grant lasts when the controller gives no end date.
    ald_default_years: int = 5
    # Rights look-ups (GET /eligibility) by one provider per minute (per server process;
    # a counter checks a patient or two a minute, a scan of the registry is stopped) ...
    provider_lookup_limit: int = 30
    # ... and how far back it may ask: the filing deadline (60 days); never a future date.
    provider_lookup_days: int = 60
    # ALD exemptions ending within this many days get a reminder (daman notifications
    # ald-reminders), sent to whoever asked for the exemption.
    ald_reminder_days: int = 60
    # Notifications (outbox): delivered by `daman notifications send` through this server.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "Daman <no-reply@daman.localhost>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    notification_max_attempts: int = 5
    # SMS (sign-in codes, decisions): "file" appends each message to data_dir/sms/outbox.jsonl
    # (development and tests read it there); "http" posts it as JSON to sms_http_url with
    # sms_http_token as a bearer token (the operator's gateway).
    sms_gateway: str = "file"
    sms_http_url: str | None = None
    sms_http_token: str | None = None
    sms_sender: str = "DAMAN"
    # The address people reach the site at (https://daman.example.ma), printed in the rights
    # certificates' QR codes; unset: the address the request came to.
    public_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres(cls, v: str) -> str:
        # psycopg 3 is the driver; accept the plain URLs people paste.
        for prefix in ("postgres://", "postgresql://"):
            if v.startswith(prefix):
                return "postgresql+psycopg://" + v[len(prefix) :]
        return v

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, v: object) -> object:
        items = [x.strip() for x in v.split(",")] if isinstance(v, str) else v
        if not isinstance(items, list):
            return items
        for item in [x for x in items if x]:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"DAMAN_TRUSTED_PROXIES: not an IP address or network: {item}"
                ) from None
        return [x for x in items if x]

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "DAMAN_SECRET_KEY must be set outside development "
                f"(DAMAN_ENVIRONMENT={self.environment})"
            )
        if self.environment != "development" and len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"DAMAN_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes outside "
                f"development (DAMAN_ENVIRONMENT={self.environment}); "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if self.public_api_docs is None:
            self.public_api_docs = self.environment == "development"
        return self

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def sms_dir(self) -> Path:
        """Where the "file" SMS gateway writes (development, tests)."""
        return self.data_dir / "sms"

    @property
    def bank_dir(self) -> Path:
        """Where payment runs write the bank files (the outbox the bank channel reads)."""
        return self.data_dir / "bank"


@lru_cache
def get_settings() -> Settings:
    return Settings()
