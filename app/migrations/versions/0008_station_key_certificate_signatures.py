"""the station's Ed25519 signing key; certificates carry its signature, their 作废 and when the district got them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from app.models.base import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        'station_key',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('private_key', text(length=100), nullable=False),
        sa.Column('public_key', text(length=100), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table('certificate') as batch:
        batch.add_column(sa.Column('signature', text(length=100), nullable=False, server_default=''))
        batch.add_column(sa.Column('revoked_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('revoke_reason', text(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('reported_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('certificate') as batch:
        batch.drop_column('reported_at')
        batch.drop_column('revoke_reason')
        batch.drop_column('revoked_on')
        batch.drop_column('signature')
    op.drop_table('station_key')
