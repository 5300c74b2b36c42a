"""outbox: acknowledgements to applicants, written with the dossier change, sent from here

Revision ID: 0100_outbox
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0100_outbox'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('posting_id', sa.String(length=200), nullable=False),
        sa.Column('applicant', sa.String(length=320), nullable=False),
        sa.Column('message_pk', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('message_id', sa.String(length=500), nullable=False),
        sa.Column('to_addr', sa.String(length=320), nullable=False),
        sa.Column('from_addr', sa.String(length=320), nullable=True),
        sa.Column('reply_to', sa.String(length=320), nullable=True),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('in_reply_to', sa.String(length=500), nullable=True),
        sa.Column('references', sa.Text(), nullable=True),
        sa.Column('told', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sending_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['message_pk'], ['messages.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_dossier', ['posting_id', 'applicant'], unique=False)
        batch_op.create_index('ix_outbox_due', ['state', 'send_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_to_addr'), ['to_addr'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_to_addr'))
        batch_op.drop_index('ix_outbox_due')
        batch_op.drop_index('ix_outbox_dossier')
    op.drop_table('outbox')
