"""Errors of the reference domain, each with a stable code."""

from __future__ import annotations

from datetime import date

from daman.core.errors import Conflict, ImportFailed, NotFound


class TariffNotFound(NotFound):
    code = "tariff_not_found"


class RateNotFound(NotFound):
    code = "rate_not_found"


class DrugNotFound(NotFound):
    code = "drug_not_found"


class DrugNotOnList(NotFound):
    """The drug is known but no list in force on that date prices it."""

    code = "drug_not_on_list"


class VersionBeforeCurrent(Conflict):
    """A new version must start after the current one: history is never overwritten."""

    code = "version_before_current"

    def __init__(self, detail: str, *, current_from: date | None = None) -> None:
        super().__init__(detail)
        self.current_from = current_from  # when the version in force started


class OlderDrugList(Conflict):
    code = "older_than_list_in_force"


class BadImportFile(ImportFailed):
    """The file cannot be read as the expected format (encoding, header)."""

    code = "bad_import_file"
