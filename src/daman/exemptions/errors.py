"""Errors of the exemptions domain (codes the API returns)."""

from __future__ import annotations

from daman.core.errors import Conflict


class RequestNotOpen(Conflict):
    code = "exemption_request_not_open"


class AlreadyExempted(Conflict):
    code = "already_exempted"


class RequestAlreadyOpen(Conflict):
    code = "exemption_request_open"


class ExemptionOverlaps(Conflict):
    code = "exemption_overlaps"
