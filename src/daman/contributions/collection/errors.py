"""Errors of the contributions domain: each a stable code and an HTTP status."""

from __future__ import annotations

from daman.core.errors import Conflict, DamanError, NotFound


class AccountNotFound(NotFound):
    code = "payer_account_not_found"


class CallNotFound(NotFound):
    code = "call_not_found"


class NoRuleInForce(Conflict):
    """The reference data has no rule for the regime, kind or month asked."""

    code = "no_contribution_rule"


class AlreadyImported(Conflict):
    code = "already_imported"


class MandateExists(Conflict):
    code = "mandate_exists"


class MandateNotFound(NotFound):
    code = "mandate_not_found"


class RunNotFound(NotFound):
    code = "collection_run_not_found"


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"


class NotInSuspense(Conflict):
    code = "receipt_not_in_suspense"


class NoEmployerLinked(NotFound):
    """A user of role employer is not linked to an employer yet (an agent links it)."""

    code = "no_employer_linked"


class StatementTooLong(DamanError):
    code = "statement_too_long"
    status = 400
