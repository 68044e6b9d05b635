"""Synthetic care providers: doctors (general practitioners and specialists), dentists,
pharmacies, labs, imaging centres, clinics, public and private hospitals, a few
physiotherapists and opticians, each with a unique INPE.

Generated INPEs are 9 digits: a digit for the kind, then 8 digits that are a permutation
of the row id (so unique). They never start with 9, kept for the fixed demo providers.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from daman.core.enums import ProviderKind, Sector
from daman.synth import names
from daman.synth.population import YEAR, Ids, Row, Weighted, make_rib, tracked

PROVIDER_COLUMNS = tracked("id inpe kind name sector specialty city rib valid_from valid_to")

GENERAL_PRACTICE = "médecine générale"
INPE_MULTIPLIER = 3_579_137  # coprime with 10

# (what, share of providers)
MIX: tuple[tuple[str, float], ...] = (
    ("gp", 0.28),
    ("specialist", 0.22),
    ("dentist", 0.12),
    ("pharmacy", 0.22),
    ("lab", 0.05),
    ("imaging", 0.03),
    ("clinic", 0.035),
    ("public_hospital", 0.018),
    ("private_hospital", 0.007),
    ("physio", 0.01),
    ("optician", 0.01),
)

KIND = {
    "gp": ProviderKind.DOCTOR,
    "specialist": ProviderKind.DOCTOR,
    "dentist": ProviderKind.DENTIST,
    "pharmacy": ProviderKind.PHARMACY,
    "lab": ProviderKind.LAB,
    "imaging": ProviderKind.IMAGING_CENTRE,
    "clinic": ProviderKind.CLINIC,
    "public_hospital": ProviderKind.HOSPITAL,
    "private_hospital": ProviderKind.HOSPITAL,
    "physio": ProviderKind.PARAMEDICAL,
    "optician": ProviderKind.OPTICIAN,
}
INPE_DIGIT = {"gp": 1, "specialist": 1, "dentist": 2, "pharmacy": 3, "lab": 4, "imaging": 5}
INPE_DIGIT |= {"clinic": 6, "public_hospital": 7, "private_hospital": 7, "physio": 8}
INPE_DIGIT |= {"optician": 8}


def inpe_number(what: str, provider_id: int) -> str:
    return f"{INPE_DIGIT[what]}{(provider_id * INPE_MULTIPLIER + 11) % 10**8:08d}"


def _kinds(count: int) -> list[str]:
    """Exactly `count` kinds in the shares of MIX (largest remainders), at least one of
    each kind once count allows it."""
    exact = [(what, share * count) for what, share in MIX]
    counts = {what: int(x) for what, x in exact}
    if count >= len(MIX):
        counts = {what: max(n, 1) for what, n in counts.items()}
    by_remainder = sorted(exact, key=lambda e: e[1] - int(e[1]), reverse=True)
    i = 0
    while sum(counts.values()) < count:
        counts[by_remainder[i % len(MIX)][0]] += 1
        i += 1
    while sum(counts.values()) > count:
        largest = max(counts, key=lambda w: counts[w])
        counts[largest] -= 1
    return [what for what, _ in MIX for _ in range(counts[what])]


def provider_rows(
    rng: random.Random,
    count: int,
    ids: Ids,
    as_of: date,
    audit: tuple[datetime, str, datetime, str],
) -> list[Row]:
    cities = Weighted(names.CITIES)
    kinds = _kinds(count)
    rng.shuffle(kinds)
    rows: list[Row] = []
    for what in kinds:
        pid = ids.take("providers")
        city = cities.pick(rng)
        sector = Sector.PRIVATE
        specialty: str | None = None
        if what in ("gp", "specialist", "dentist", "physio"):
            first, _ = rng.choice(names.MALE_FIRST_NAMES + names.FEMALE_FIRST_NAMES)
            family, _ = rng.choice(names.FAMILY_NAMES)
            person = f"{first} {family}"
            if what == "gp":
                specialty, name = GENERAL_PRACTICE, f"Dr {person}"
                sector = Sector.PUBLIC if rng.random() < 0.15 else Sector.PRIVATE
            elif what == "specialist":
                specialty, name = rng.choice(names.SPECIALTIES)[0], f"Dr {person}"
                sector = Sector.PUBLIC if rng.random() < 0.2 else Sector.PRIVATE
            elif what == "dentist":
                specialty = "orthodontie" if rng.random() < 0.15 else "chirurgie dentaire"
                name = f"Dr {person}"
            else:
                specialty, name = "kinésithérapie", f"Cabinet de kinésithérapie {person}"
        elif what == "pharmacy":
            name = f"Pharmacie {rng.choice(names.PHARMACY_NAMES)}"
        elif what == "lab":
            specialty = "biologie médicale"
            name = f"Laboratoire d'analyses médicales {rng.choice(names.COMPANY_PLACES)}"
        elif what == "imaging":
            specialty = "radiologie"
            name = f"Centre de radiologie {rng.choice(names.COMPANY_PLACES)}"
        elif what == "clinic":
            name = f"Clinique {rng.choice(names.CLINIC_NAMES)}"
        elif what == "public_hospital":
            sector = Sector.PUBLIC
            level = rng.choice(("Centre hospitalier provincial", "Hôpital régional"))
            name = f"{level} de {city}"
        elif what == "private_hospital":
            name = f"Hôpital privé de {city}"
        else:
            name = f"Optique {rng.choice(names.COMPANY_PLACES)}"
        since = as_of - timedelta(days=int((1 + rng.random() * 29) * YEAR))
        rows.append(
            (
                pid,
                inpe_number(what, pid),
                KIND[what].value,
                name,
                sector.value,
                specialty,
                city,
                make_rib(rng) if rng.random() < 0.9 else None,
                since,
                None,
                *audit,
            )
        )
    return rows
