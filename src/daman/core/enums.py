"""Enumerations shared across domains (StrEnum: stored and shown as their value)."""

from __future__ import annotations

from enum import StrEnum


class RegimeCode(StrEnum):
    CNOPS = "CNOPS"
    CNSS_SAL = "CNSS_SAL"
    TNS = "TNS"
    TADAMON = "TADAMON"
    CHAMIL = "CHAMIL"


class Sector(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class CareCategory(StrEnum):
    CONSULTATION = "consultation"
    MEDICAL_ACT = "medical_act"
    MEDICINE = "medicine"
    LAB = "lab"
    IMAGING = "imaging"
    DENTAL = "dental"
    DENTAL_PROSTHESIS = "dental_prosthesis"
    ORTHODONTICS = "orthodontics"
    OPTICAL = "optical"
    DEVICE = "device"
    HOSPITALISATION = "hospitalisation"
    PARAMEDICAL = "paramedical"


class Exemption(StrEnum):
    NONE = "none"
    ALD = "ald"
    ALC = "alc"


class Confidence(StrEnum):
    HIGH = "H"
    MEDIUM = "M"
    LOW = "L"
    ASSUMPTION = "assumption"


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Relationship(StrEnum):
    SPOUSE = "spouse"
    CHILD = "child"


class LinkEndReason(StrEnum):
    DIVORCE = "divorce"
    DEATH_OF_PRINCIPAL = "death_of_principal"
    DEATH = "death"
    OTHER = "other"
    TRANSFER = "transfer"


class AffiliationEndReason(StrEnum):
    JOB_LOSS = "job_loss"
    REGIME_CHANGE = "regime_change"
    DEATH = "death"
    RETIREMENT = "retirement"
    OTHER = "other"


class ProviderKind(StrEnum):
    DOCTOR = "doctor"
    DENTIST = "dentist"
    PHARMACY = "pharmacy"
    LAB = "lab"
    IMAGING_CENTRE = "imaging_centre"
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    PARAMEDICAL = "paramedical"
    OPTICIAN = "optician"
