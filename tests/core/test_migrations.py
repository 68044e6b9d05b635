"""The migrations and the models describe the same schema, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from daman.models import Base


def test_models_match_migrations(session):
    ctx = MigrationContext.configure(session.connection(), opts={"compare_type": False})
    diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
