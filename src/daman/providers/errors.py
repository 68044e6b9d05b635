"""Errors of the providers domain."""

from __future__ import annotations

from daman.core.errors import Conflict, NotFound


class ProviderNotFound(NotFound):
    code = "provider_not_found"


class DuplicateInpe(Conflict):
    code = "duplicate_inpe"
