"""Errors of the prescriptions domain (each with a stable code and an HTTP status)."""

from __future__ import annotations

from daman.core.errors import Conflict, DamanError, NotFound


class PrescriptionNotFound(NotFound):
    code = "prescription_not_found"


class NotADoctor(DamanError):
    """Only a doctor's account or key writes a prescription."""

    code = "not_a_doctor"
    status = 403


class NotAPharmacy(DamanError):
    """Only a pharmacy's account or key dispenses a prescription."""

    code = "not_a_pharmacy"
    status = 403


class AlreadyDispensed(Conflict):
    """A box of the prescription was dispensed in the meantime (by another counter)."""

    code = "already_dispensed"


class PrescriptionClosed(Conflict):
    """Expired, or every box dispensed."""

    code = "prescription_closed"
