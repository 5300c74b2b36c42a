"""The migrations build exactly the schema the models describe (nothing forgotten in either),
and a new database, built from the models at once, is the same and at the newest revision."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from intake.db import Database, make_engine, migrate
from intake.models import Base
from intake.schema import SCHEMA_HEAD


def differences_from_the_models(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def revision(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


@pytest.mark.parametrize("from_scratch", [False, True], ids=["every migration", "new database at once"])
def test_a_new_database_matches_the_models_at_the_newest_revision(db_url, from_scratch):
    engine = make_engine(db_url)
    try:
        migrate(engine, from_scratch=from_scratch)
        assert differences_from_the_models(engine) == []
        assert revision(engine) == SCHEMA_HEAD
        Database(db_url).dispose()     # opening it again: nothing left to migrate
        assert revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()
