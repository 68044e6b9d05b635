"""The registry: persons, their affiliations to a regime, dependents and contributions.

A *person* is anyone Daman covers. A *principal insured* is a person with an affiliation
(membership of a regime, effective-dated: a worker changing regime gets a new row). A
*dependent* is a person linked to one principal at a time through a dependent link.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, StringEnum, Tracked
from daman.core.enums import AffiliationEndReason, LinkEndReason, Relationship, Sex
from daman.core.fold import search_key


class Employer(Tracked, Base):
    __tablename__ = "employers"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # CNSS affiliation number
    name: Mapped[str] = mapped_column(String(300))
    ice: Mapped[str | None] = mapped_column(String(15))  # company identifier (15 digits)
    city: Mapped[str] = mapped_column(String(100), default="")


NAMES = ("last_name", "first_name", "last_name_ar", "first_name_ar")


def _names_key(context: Any) -> str:
    """The search key of a row being inserted, ORM or not (an import's bulk insert)."""
    values = context.get_current_parameters()
    return search_key(values.get(name) for name in NAMES)


class Person(Tracked, Base):
    __tablename__ = "persons"
    # Finding a person by any part of a name: a trigram index on PostgreSQL serves
    # "contains" (LIKE '%...%') on a million persons; elsewhere a plain index.
    __table_args__ = (
        Index(
            "ix_persons_search_name",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    immatriculation: Mapped[str] = mapped_column(String(12), unique=True)
    cnie: Mapped[str | None] = mapped_column(String(10), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name_ar: Mapped[str | None] = mapped_column(String(100))
    first_name_ar: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(StringEnum(Sex, 1))
    death_date: Mapped[date | None] = mapped_column(Date)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    rib: Mapped[str | None] = mapped_column(String(24))
    phone: Mapped[str | None] = mapped_column(String(20))
    preferred_language: Mapped[str] = mapped_column(String(2), default="fr")
    # The names in both scripts folded for search (daman.core.fold): set on every insert
    # and name change, never written by hand.
    search_name: Mapped[str] = mapped_column(String(400), default=_names_key, server_default="")

    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="person", order_by="Affiliation.valid_from"
    )


@event.listens_for(Person, "before_update")
def _rekey(mapper: Any, connection: Any, person: Person) -> None:
    person.search_name = search_key(getattr(person, name) for name in NAMES)


class Affiliation(Tracked, Base):
    """A principal insured's membership of a regime over a period."""

    __tablename__ = "affiliations"
    __table_args__ = (Index("ix_affiliations_person", "person_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))  # CNSS_SAL
    mutual_code: Mapped[str | None] = mapped_column(ForeignKey("mutuals.code"))  # CNOPS
    rsu_score: Mapped[str | None] = mapped_column(String(20))  # TADAMON/CHAMIL, exact decimal
    valid_from: Mapped[date] = mapped_column(Date)  # registration date
    valid_to: Mapped[date | None] = mapped_column(Date)  # conditions stopped (job loss ...)
    end_reason: Mapped[AffiliationEndReason | None] = mapped_column(
        StringEnum(AffiliationEndReason, 20)
    )
    person: Mapped[Person] = relationship(back_populates="affiliations")


class DependentLink(Tracked, Base):
    """A dependent (spouse, child) attached to one principal insured over a period."""

    __tablename__ = "dependent_links"
    __table_args__ = (
        Index("ix_dependent_links_dependent", "dependent_id", "valid_from"),
        Index("ix_dependent_links_principal", "principal_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dependent_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    principal_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    relationship_: Mapped[Relationship] = mapped_column(
        "relationship", StringEnum(Relationship, 10)
    )
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[LinkEndReason | None] = mapped_column(StringEnum(LinkEndReason, 20))


class StudentProof(Tracked, Base):
    """Proof of higher education for a dependent child aged 21-26, one per school year."""

    __tablename__ = "student_proofs"
    __table_args__ = (UniqueConstraint("person_id", "valid_from", name="person_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    institution: Mapped[str] = mapped_column(String(200), default="")


class Contribution(Tracked, Base):
    """A month of declared days (salaried) or of paid contribution (TNS, CHAMIL)."""

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("person_id", "month", "employer_id", name="person_month_employer"),
        Index("ix_contributions_person_month", "person_id", "month"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month declared
    declared_days: Mapped[int] = mapped_column(Integer, default=0)
    amount_centimes: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")


# A granted ALD/ALC exemption: a period during which a patient's care for the disease is
# rated at the ALD rate and their rights are kept. Granted by daman.exemptions (requests,
# decisions, renewals); read here for rights and by the engine.
class AldExemption(Tracked, Base):
    __tablename__ = "ald_exemptions"
    __table_args__ = (Index("ix_ald_exemptions_person", "person_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    ald_code: Mapped[str] = mapped_column(ForeignKey("ald_diseases.code"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
