"""志愿服务记录证明 at the district (#26): the stations' signing keys and the certificates they issued, for /verify

Revision ID: d0011
Revises: d0010
Create Date: 2026-12-06 20:00:00
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime

revision = 'd0011'
down_revision = 'd0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'station_key',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('station_account.id'), nullable=False),
        sa.Column('public_key', sa.String(length=100), nullable=False),
        sa.Column('first_seen', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_station_key_account_id', 'station_key', ['account_id'])
    op.create_table(
        'certificate',
        sa.Column('number', sa.String(length=40), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('station_account.id'), nullable=False),
        sa.Column('masked_name', sa.String(length=50), nullable=False),
        sa.Column('date_from', sa.Date(), nullable=False),
        sa.Column('date_to', sa.Date(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('activities', sa.Integer(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('signature', sa.String(length=100), nullable=False),
        sa.Column('revoked_on', sa.Date(), nullable=True),
        sa.Column('revoke_reason', sa.String(length=200), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_certificate_account_id', 'certificate', ['account_id'])


def downgrade() -> None:
    op.drop_index('ix_certificate_account_id', table_name='certificate')
    op.drop_table('certificate')
    op.drop_index('ix_station_key_account_id', table_name='station_key')
    op.drop_table('station_key')
