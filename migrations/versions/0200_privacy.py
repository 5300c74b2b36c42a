"""privacy: audit log, erasure log (and its work list), when a message left every dossier

Revision ID: 0200_privacy
Revises: 0003
Create Date: 2026-12-03 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0200_privacy'
down_revision = '0100_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('who', sa.String(length=320), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('posting_id', sa.String(length=200), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_dossier', ['dossier_id'], unique=False)

    op.create_table('erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('compacted', sa.Boolean(), nullable=False),
    sa.Column('by', sa.String(length=320), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=True),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_address_hash'), ['address_hash'], unique=False)

    op.create_table('erasure_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('erasure_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=700), nullable=False),
    sa.ForeignKeyConstraint(['erasure_id'], ['erasures.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('erasure_items', schema=None) as batch_op:
        batch_op.create_index('ix_erasure_items_todo', ['erasure_id', 'kind'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside_since', sa.DateTime(timezone=True), nullable=True))
    # Mail already outside every dossier: its clock starts when it was last understood.
    op.execute("UPDATE messages SET outside_since = COALESCE(understood_at, taken_at) "
               "WHERE state IN ('unmatched', 'ignored', 'failed')")


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('outside_since')
    with op.batch_alter_table('erasure_items', schema=None) as batch_op:
        batch_op.drop_index('ix_erasure_items_todo')
    op.drop_table('erasure_items')
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasures_address_hash'))
    op.drop_table('erasures')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_dossier')
        batch_op.drop_index('ix_audit_at')
    op.drop_table('audit_log')
