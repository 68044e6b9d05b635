"""What members owe: contribution rules as effective-dated rows (rules.md, section 7).

Every figure the calls are computed from is a row here, with its dates, source and
confidence: rates and shares by regime and kind of member, the TNS categories and the
reference income they multiply, the AMO Chamil bands by RSU score, and, per regime, the
due date, the late-payment penalties and the rounding. None is a constant in code; a new
decree is a new row from its date (the row in force is closed the day before).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, StringEnum, Tracked
from daman.core.enums import Confidence


class MemberKind(StrEnum):
    """Who a line of a call is about; with the regime, it selects the rate row."""

    EMPLOYEE = "employee"  # CNSS_SAL: a salaried employee, on gross pay
    GROUP_COVER = "group_cover"  # CNSS_SAL: employee of an employer with pre-2006 group cover
    PENSIONER = "pensioner"  # CNSS_SAL, CNOPS, TNS: on base pensions
    VOLUNTARY = "voluntary"  # CNSS_SAL voluntary insured
    ACTIVE = "active"  # CNOPS civil servant; TNS active member (on the category's income)
    BENEFICIARY = "beneficiary"  # TADAMON: each person of the household, paid by the State
    HOUSEHOLD = "household"  # CHAMIL: one amount per insured household, by RSU band


class Rounding(StrEnum):
    """How an amount x a rate becomes whole centimes (the texts do not say: a setting)."""

    HALF_UP = "half_up"
    TRUNCATE = "truncate"


class ContributionRate(Tracked, Base):
    """The shares of a regime and kind of member, in basis points of the base, or a flat
    amount per person and month. `share_min/max_centimes` bound the member's and the
    employer's share each (CNOPS: 70 to 400 MAD a month)."""

    __tablename__ = "contribution_rates"
    __table_args__ = (
        CheckConstraint(
            "member_bp BETWEEN 0 AND 10000 AND employer_bp BETWEEN 0 AND 10000"
            " AND solidarity_bp BETWEEN 0 AND 10000",
            name="rates_range",
        ),
        CheckConstraint(
            "share_min_centimes IS NULL OR share_max_centimes IS NULL"
            " OR share_min_centimes <= share_max_centimes",
            name="share_bounds",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"), index=True)
    member_kind: Mapped[MemberKind] = mapped_column(StringEnum(MemberKind, 20))
    member_bp: Mapped[int] = mapped_column(Integer, default=0)  # the member's share
    employer_bp: Mapped[int] = mapped_column(Integer, default=0)  # the employer's share
    solidarity_bp: Mapped[int] = mapped_column(Integer, default=0)  # employer, "solidarity"
    share_min_centimes: Mapped[int | None] = mapped_column(Integer)
    share_max_centimes: Mapped[int | None] = mapped_column(Integer)
    flat_centimes: Mapped[int | None] = mapped_column(Integer)  # per person and month
    payer: Mapped[str] = mapped_column(String(40))  # who pays the call (employer, member ...)
    base: Mapped[str] = mapped_column(Text, default="")  # what the base is, in words
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class TnsReferenceIncome(Tracked, Base):
    """One "SMIG reference" of the TNS flat incomes (a category's income is a multiple of
    it), with the rounding of that product."""

    __tablename__ = "tns_reference_incomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    amount_centimes: Mapped[int] = mapped_column(Integer)
    income_rounding: Mapped[Rounding] = mapped_column(StringEnum(Rounding, 10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class TnsCategory(Tracked, Base):
    """A TNS category (one decree each) and its flat income as a multiple of the reference,
    in thousandths (1.75 x = 1750)."""

    __tablename__ = "tns_categories"
    __table_args__ = (CheckConstraint("multiple_milli > 0", name="multiple_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    label: Mapped[str] = mapped_column(Text)  # French, as the decree names it
    label_ar: Mapped[str] = mapped_column(Text, default="")
    multiple_milli: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class ChamilBand(Tracked, Base):
    """The monthly AMO Chamil amount of a household whose RSU score is above `rsu_above`
    and at most `rsu_up_to` (open above when empty); scores are exact decimals, as text."""

    __tablename__ = "chamil_bands"
    id: Mapped[int] = mapped_column(primary_key=True)
    rsu_above: Mapped[str] = mapped_column(String(20))
    rsu_up_to: Mapped[str | None] = mapped_column(String(20))
    amount_centimes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class CollectionRule(Tracked, Base):
    """When a regime's call of month M is due, what paying late costs, how shares round.

    Due on day `due_day` of month M + `due_month_offset` (clamped to the month's end).
    Paid late: `first_month_penalty_bp` of what was unpaid at the due date, then
    `further_month_penalty_bp` for each further started month, on what was unpaid when
    that month started (zero: no penalty known)."""

    __tablename__ = "collection_rules"
    __table_args__ = (
        CheckConstraint("due_day BETWEEN 1 AND 31", name="due_day_range"),
        CheckConstraint("due_month_offset BETWEEN 0 AND 12", name="due_offset_range"),
        CheckConstraint(
            "first_month_penalty_bp BETWEEN 0 AND 10000"
            " AND further_month_penalty_bp BETWEEN 0 AND 10000",
            name="penalty_range",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"), index=True)
    due_day: Mapped[int] = mapped_column(Integer)
    due_month_offset: Mapped[int] = mapped_column(Integer)
    first_month_penalty_bp: Mapped[int] = mapped_column(Integer, default=0)
    further_month_penalty_bp: Mapped[int] = mapped_column(Integer, default=0)
    rounding: Mapped[Rounding] = mapped_column(StringEnum(Rounding, 10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )
