"""Errors of accounts and of the audit trail, rendered as {"error": code, "detail": ...}."""

from __future__ import annotations

from daman.core.errors import Conflict, DamanError, NotFound


class UserNotFound(NotFound):
    code = "user_not_found"


class DuplicateUsername(Conflict):
    code = "duplicate_username"


class LoginRefused(DamanError):
    """A password check failed. The subclasses say why, for logs and operators; a login
    page should show one message for all of them so as not to reveal which accounts exist."""

    code = "login_refused"
    status = 401


class UnknownUser(LoginRefused):
    code = "unknown_user"


class WrongPassword(LoginRefused):
    code = "wrong_password"


class AccountDisabled(LoginRefused):
    code = "account_disabled"
    status = 403


class AccountLocked(LoginRefused):
    code = "account_locked"
    status = 423


class TokenNotFound(NotFound):
    code = "api_key_not_found"


class NotAuthenticated(DamanError):
    """No valid credential: no cookie or token, or an expired or revoked one."""

    code = "not_authenticated"
    status = 401


class Forbidden(DamanError):
    """A valid identity whose role may not call this endpoint."""

    code = "forbidden"
    status = 403


class CsrfRefused(DamanError):
    code = "csrf_refused"
    status = 403


class TooManyAttempts(DamanError):
    code = "too_many_attempts"
    status = 429
