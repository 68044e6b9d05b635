"""Imports every table so that Alembic and the tests see the whole schema."""

from daman.core.db import Base
from daman.core.identifiers import Counter
from daman.exemptions.models import AldExemption
from daman.providers.models import Provider
from daman.reference.models import (
    ActTariff,
    AldDisease,
    ComplementaryRate,
    CoverageRate,
    Drug,
    DrugPrice,
    ImportRun,
    Mutual,
    Regime,
    RightsRule,
)
from daman.registry.models import (
    Affiliation,
    Contribution,
    DependentLink,
    Employer,
    Person,
    StudentProof,
)

__all__ = [
    "ActTariff",
    "Affiliation",
    "AldDisease",
    "AldExemption",
    "Base",
    "ComplementaryRate",
    "Contribution",
    "Counter",
    "CoverageRate",
    "DependentLink",
    "Drug",
    "DrugPrice",
    "Employer",
    "ImportRun",
    "Mutual",
    "Person",
    "Provider",
    "Regime",
    "RightsRule",
    "StudentProof",
]
