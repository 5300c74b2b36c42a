"""batched understanding: unfinished runs (poison messages), dossier lookup index

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unfinished_runs',
        sa.Column('message_pk', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('message_pk'),
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_dossier', ['posting_id', 'applicant', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_dossier')
    op.drop_table('unfinished_runs')
