"""The migrations build exactly the schema the models describe (nothing forgotten in either)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from intake.db import Database
from intake.models import Base


def test_migrated_database_matches_the_models(db_url):
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()
    assert differences == []
