"""Electronic prescriptions (ordonnance électronique, الوصفة الطبية الإلكترونية): what a
doctor prescribes, and each box a pharmacy dispenses against it.

A prescription has a unique number (printed with a QR code of it) and lines: a medicine of
the list in force, its dosage, the treatment's duration and the boxes prescribed. A
pharmacy's dispensing is one row per visit to the counter (the care sheet it was billed
on, whether the fund pays the pharmacy directly) and one row per box handed over. A box is
the pair (prescription line, box number 1..boxes): the unique constraint
``prescription_box_once`` makes the database refuse the same box twice, whatever two
counters do at the same moment.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, Tracked
from daman.providers.models import Provider
from daman.reference.models import Drug
from daman.registry.models import Person


class Prescription(Tracked, Base):
    __tablename__ = "prescriptions"
    __table_args__ = (
        Index("ix_prescriptions_patient", "patient_id", "prescribed_on"),
        Index("ix_prescriptions_prescriber", "prescriber_id", "prescribed_on"),
        UniqueConstraint("created_by", "idempotency_key", name="prescription_idempotency_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    prescriber_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    prescribed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # the last day a pharmacy dispenses it
    # the ALD the treatment is for (an exemption of the patient in force when prescribed)
    ald_code: Mapped[str | None] = mapped_column(String(20))
    # the care sheet of the consultation it was written at, when the doctor billed one
    visit_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    # the same key from the same writer never stores a second prescription (a double click)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))

    patient: Mapped[Person] = relationship()
    prescriber: Mapped[Provider] = relationship()
    lines: Mapped[list[PrescriptionLine]] = relationship(
        back_populates="prescription", order_by="PrescriptionLine.line_no"
    )


class PrescriptionLine(Base):
    __tablename__ = "prescription_lines"
    __table_args__ = (
        UniqueConstraint("prescription_id", "line_no", name="prescription_line_no"),
        CheckConstraint("boxes >= 1", name="prescription_line_boxes"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    dosage: Mapped[str] = mapped_column(String(200))  # "1 tablet morning and evening"
    duration_days: Mapped[int] = mapped_column(Integer)
    boxes: Mapped[int] = mapped_column(Integer)

    prescription: Mapped[Prescription] = relationship(back_populates="lines")
    drug: Mapped[Drug] = relationship()
    dispensed: Mapped[list[DispensedBox]] = relationship(order_by="DispensedBox.box_no")


class Dispensing(Base):
    """A pharmacy's visit to the counter with a prescription: the boxes it handed over,
    billed on one care sheet."""

    __tablename__ = "dispensings"
    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    claim_number: Mapped[str] = mapped_column(String(12))  # as the pharmacy knows it
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    # tiers payant: the fund pays the pharmacy (drugs for an ALD the patient is exempted
    # for); else the patient pays the pharmacy and is reimbursed
    third_party: Mapped[bool] = mapped_column(Boolean, default=False)
    dispensed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dispensed_by: Mapped[str] = mapped_column(String(120))

    boxes: Mapped[list[DispensedBox]] = relationship(
        back_populates="dispensing", order_by="DispensedBox.id"
    )


class DispensedBox(Base):
    """One box handed over: which line of the prescription, which of its boxes, the EAN
    scanned (a generic of the same medicine may replace the one prescribed)."""

    __tablename__ = "dispensed_boxes"
    __table_args__ = (
        UniqueConstraint("line_id", "box_no", name="prescription_box_once"),
        CheckConstraint("box_no >= 1", name="dispensed_box_no"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dispensing_id: Mapped[int] = mapped_column(ForeignKey("dispensings.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("prescription_lines.id"))
    box_no: Mapped[int] = mapped_column(Integer)
    ean: Mapped[str] = mapped_column(String(13))
    claim_line_no: Mapped[int] = mapped_column(Integer)  # the care sheet's line billing it

    dispensing: Mapped[Dispensing] = relationship(back_populates="boxes")
