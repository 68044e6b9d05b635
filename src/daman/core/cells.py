"""Cells of an imported CSV file as Pydantic types: one rule and one message per kind of cell.

A row model types each column with ``Annotated[...]`` and one of these validators, which
take the cell as the reader hands it (stripped, an empty cell ``""``) and return the value
or refuse it with ``refuse(kind, reason)``:

    class ContributionRow(BaseModel):
        immatriculation: Annotated[str | None, text(12, required=True, case=str.upper)] = None
        month: Annotated[date | None, month()] = None
        declared_days: Annotated[int | None, whole_number(0, 31)] = None

An empty optional cell is ``None`` (or the ``empty`` value given); an empty required one is
refused as ``missing`` ("is required"). Identifiers are checked by ``daman.core.identifiers``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from daman.core.identifiers import cnie_problem, normalise_cnie, rib_problem
from daman.core.money import MoneyError, parse_mad

MISSING = "missing"
TOO_LONG = "too_long"
TRUE = frozenset({"1", "true", "yes", "oui", "y", "o"})
FALSE = frozenset({"", "0", "false", "no", "non", "n"})


def refuse(kind: str, reason: str) -> PydanticCustomError:
    """The error a cell rule raises: a stable kind and a sentence (taken as it is, braces
    included)."""
    return PydanticCustomError(kind, "{reason}", {"reason": reason})


def _cell(
    value: Any,
    max_length: int | None,
    *,
    required: bool,
    case: Callable[[str], str] | None = None,
) -> Any:
    if not isinstance(value, str):
        return value  # not from a file: the field's type decides
    if not value:
        if required:
            raise refuse(MISSING, "is required")
        return None
    if max_length is not None and len(value) > max_length:
        raise refuse(TOO_LONG, f"longer than {max_length} characters")
    return case(value) if case else value


def text(
    max_length: int | None = 100,
    *,
    required: bool = False,
    case: Callable[[str], str] | None = None,
    empty: str | None = None,
) -> BeforeValidator:
    """Text of at most ``max_length`` characters (None: any length), optionally upper- or
    lower-cased; an empty cell reads as ``empty``."""

    def check(value: Any) -> Any:
        out = _cell(value, max_length, required=required, case=case)
        return empty if out is None else out

    return BeforeValidator(check)


def one_of(
    values: Collection[str],
    reason: str,
    *,
    kind: str,
    required: bool = False,
    case: Callable[[str], str] | None = None,
    max_length: int | None = 100,
    empty: str | None = None,
) -> BeforeValidator:
    """One of ``values`` (after ``case``); else refused as ``kind`` with ``reason``, a
    template where ``{value!r}`` is the cell. An empty cell reads as ``empty``."""

    def check(value: Any) -> Any:
        out = _cell(value, max_length, required=required, case=case)
        if out is None:
            return empty
        if isinstance(out, str) and out not in values:
            raise refuse(kind, reason.format(value=out))
        return out

    return BeforeValidator(check)


def iso_date(*, required: bool = False) -> BeforeValidator:
    """A date written YYYY-MM-DD."""

    def check(value: Any) -> Any:
        out = _cell(value, 100, required=required)
        if not isinstance(out, str):
            return out
        try:
            return date.fromisoformat(out)
        except ValueError:
            raise refuse("bad_date", f"{out!r} is not a date YYYY-MM-DD") from None

    return BeforeValidator(check)


def month(*, required: bool = True) -> BeforeValidator:
    """A month written YYYY-MM (a full date is taken as its month): its first day."""

    def check(value: Any) -> Any:
        out = _cell(value, 100, required=required)
        if not isinstance(out, str):
            return out
        try:
            return date.fromisoformat(f"{out}-01" if len(out) == 7 else out).replace(day=1)
        except ValueError:
            raise refuse("bad_month", f"{out!r} is not a month YYYY-MM") from None

    return BeforeValidator(check)


def yes_no(default: bool) -> BeforeValidator:
    """yes/no, true/false, oui/non, 1/0, y/n, o/n in any case; an empty cell is ``default``."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        word = value.lower()
        if not word:
            return default
        if word in TRUE:
            return True
        if word not in FALSE:
            raise refuse("bad_yes_no", f"{word!r} is not yes/no")
        return False

    return BeforeValidator(check)


def whole_number(low: int, high: int, *, required: bool = True) -> BeforeValidator:
    """A whole number from ``low`` to ``high``, written in digits."""

    def check(value: Any) -> Any:
        out = _cell(value, 100, required=required)
        if not isinstance(out, str):
            return out
        if not (out.isascii() and out.isdigit() and low <= int(out) <= high):
            raise refuse("bad_number", f"{out!r} is not a whole number from {low} to {high}")
        return int(out)

    return BeforeValidator(check)


def amount(max_length: int = 20) -> BeforeValidator:
    """An amount in MAD (312.50, at most two decimals, not negative) as integer centimes;
    an empty cell is 0."""

    def check(value: Any) -> Any:
        out = _cell(value, max_length, required=False)
        if not isinstance(out, str):
            return 0 if out is None else out
        try:
            centimes = parse_mad(out)
        except MoneyError as exc:
            raise refuse("bad_amount", str(exc)) from None
        if centimes < 0:
            raise refuse("bad_amount", "must not be negative")
        return centimes

    return BeforeValidator(check)


def cnie(max_length: int = 20) -> BeforeValidator:
    """A national identity card number (BE123456), upper-cased, spaces removed."""

    def check(value: Any) -> Any:
        out = _cell(value, max_length, required=False)
        if not isinstance(out, str):
            return out
        number = normalise_cnie(out)
        if problem := cnie_problem(number):
            raise refuse("bad_cnie", problem)
        return number

    return BeforeValidator(check)


def rib(max_length: int = 40) -> BeforeValidator:
    """A Moroccan RIB: 24 digits (spaces allowed in the cell) whose key checks."""

    def check(value: Any) -> Any:
        out = _cell(value, max_length, required=False)
        if not isinstance(out, str):
            return out
        number = out.replace(" ", "")
        if not number:
            return None
        if problem := rib_problem(number):
            raise refuse("bad_rib", problem)
        return number

    return BeforeValidator(check)
