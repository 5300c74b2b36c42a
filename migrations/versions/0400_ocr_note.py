"""ocr note: a cached document text read by OCR keeps its remark for review

Revision ID: 0400_ocr_note
Revises: 0300_mailbox_health
"""
from alembic import op
import sqlalchemy as sa

revision = '0400_ocr_note'
down_revision = '0300_mailbox_health'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('extracted_texts') as batch:
        batch.add_column(sa.Column('note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('extracted_texts') as batch:
        batch.drop_column('note')
