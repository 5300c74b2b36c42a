"""The newest migration under migrations/versions (tests/test_architecture.py checks it): a
database at this revision needs no migration. Its own module, so that the quick poll can
check it without importing SQLAlchemy."""

SCHEMA_HEAD = "0400_ocr_note"
