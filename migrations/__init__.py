"""Alembic migrations, installed as intake.migrations and applied automatically on start."""
