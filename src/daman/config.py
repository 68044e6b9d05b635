"""Typed settings, read from the environment (prefix DAMAN_) or a .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development
DEVELOPMENT_FUND_RIB = "010780000000000012345682"  # refused outside development


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
    # Pre-authorisations: the legal answer time, counted from timestamps (paused while the
    # fund waits for information from the requester).
    preauth_answer_hours: int = 48
    # ALD exemptions: how long a grant lasts when the controller gives no end date.
    ald_default_years: int = 5
    # Notifications (outbox): delivered by `daman notifications send` through this server.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "Daman <no-reply@daman.localhost>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    notification_max_attempts: int = 5

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres(cls, v: str) -> str:
        # psycopg 3 is the driver; accept the plain URLs people paste.
        for prefix in ("postgres://", "postgresql://"):
            if v.startswith(prefix):
                return "postgresql+psycopg://" + v[len(prefix) :]
        return v

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "DAMAN_SECRET_KEY must be set outside development "
                f"(DAMAN_ENVIRONMENT={self.environment})"
            )
        return self

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


@lru_cache
def get_settings() -> Settings:
    return Settings()
