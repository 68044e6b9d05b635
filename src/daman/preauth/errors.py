"""Errors of the pre-authorisation domain (codes the API returns)."""

from __future__ import annotations

from daman.core.errors import Conflict


class PreauthNotOpen(Conflict):
    code = "preauth_not_open"


class NotWaitingForInformation(Conflict):
    code = "preauth_not_waiting_for_information"


class PreauthNotAgreed(Conflict):
    code = "preauth_not_agreed"
