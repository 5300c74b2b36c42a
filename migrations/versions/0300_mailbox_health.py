"""mailbox health: the last successful poll of each mailbox, its last error and since when

Revision ID: 0300_mailbox_health
Revises: 0200_privacy
Create Date: 2026-12-03 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0300_mailbox_health'
down_revision = '0200_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mailbox_health',
    sa.Column('mailbox', sa.String(length=200), nullable=False),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('error_kind', sa.String(length=20), nullable=True),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('mailbox')
    )


def downgrade() -> None:
    op.drop_table('mailbox_health')
