"""failed staff logins and enrollment attempts, counted across server processes; photos kept in the database

Revision ID: d0006
Revises: d0005
Create Date: 2026-11-30 05:00:00
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime

revision = 'd0006'
down_revision = 'd0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attempt',
        sa.Column('kind', sa.String(length=16), primary_key=True),
        sa.Column('key', sa.String(length=100), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_at', UTCDateTime(), nullable=False),
        sa.Column('locked_until', UTCDateTime(), nullable=True),
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_column('data')
    op.drop_table('attempt')
