"""recruiters' decisions; report runs per person and posting

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('posting_id', sa.String(length=200), nullable=False),
    sa.Column('applicant', sa.String(length=320), nullable=True),
    sa.Column('message_pk', sa.Integer(), nullable=True),
    sa.Column('document', sa.String(length=100), nullable=True),
    sa.Column('file', sa.String(length=300), nullable=True),
    sa.Column('piece', sa.String(length=100), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=320), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_pk'], ['messages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_dossier', ['posting_id', 'applicant'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_message_pk'), ['message_pk'], unique=False)

    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postings', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report_runs', schema=None) as batch_op:
        batch_op.drop_column('postings')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_message_pk'))
        batch_op.drop_index('ix_decisions_dossier')

    op.drop_table('decisions')
