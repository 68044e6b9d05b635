"""Money is integer centimes (MAD); rates are integer basis points (7000 = 70 %).

No float ever touches an amount. Rounding is half-up to the centime, done once per line.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

BP = 10_000  # basis points in 100 %
# The largest amount the fund stores anywhere: 20,000,000.00 MAD. Amounts live in 32-bit
# integer columns (at most 2,147,483,647 centimes); the policy's limits per line and per
# claim stay within this, and an input beyond it is refused before any arithmetic.
MAX_CENTIMES = 2_000_000_000


class MoneyError(ValueError):
    pass


def parse_mad(text: str | int | Decimal) -> int:
    """'95.00' -> 9500 centimes. Refuses more than two decimals and non-numbers."""
    try:
        value = Decimal(str(text).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not an amount: {text!r}")
    centimes = value * 100
    if centimes != centimes.to_integral_value():
        raise MoneyError(f"more than two decimals: {text!r}")
    return int(centimes)


def parse_rate(text: str | Decimal) -> int:
    """'0.70' -> 7000 basis points."""
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise MoneyError(f"not a rate: {text!r}") from exc
    bp = value * BP
    if not value.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= BP:
        raise MoneyError(f"rate must be between 0 and 1 with at most 4 decimals: {text!r}")
    return int(bp)


def apply_rate(centimes: int, rate_bp: int) -> int:
    """centimes x rate, rounded half-up to the centime (integers only)."""
    if centimes < 0 or rate_bp < 0:
        raise MoneyError("amount and rate must not be negative")
    return (centimes * rate_bp * 2 + BP) // (2 * BP)


def mul_half_up(centimes: int, numerator: int, denominator: int) -> int:
    """centimes x numerator / denominator, half-up; for coefficients like K 22.5."""
    if denominator <= 0 or centimes < 0 or numerator < 0:
        raise MoneyError("non-negative amount and positive denominator required")
    return (centimes * numerator * 2 + denominator) // (2 * denominator)


def format_mad(centimes: int) -> str:
    """9500 -> '95.00'."""
    sign = "-" if centimes < 0 else ""
    whole, cents = divmod(abs(centimes), 100)
    return f"{sign}{whole}.{cents:02d}"
