"""USB sync packages imported at the district, with the reply file to hand back (downloadable again);
a station account's kind and population (stations registered in bulk from a sheet); each station's 五有
verdicts kept per month (the evaluation page of thousands of stations)

Revision ID: d0007
Revises: d0006
Create Date: 2026-11-30 07:00:00
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime

revision = 'd0007'
down_revision = 'd0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'package_import',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('station_account.id'), nullable=False, index=True),
        sa.Column('package_id', sa.String(length=36), nullable=False),
        sa.Column('imported_at', UTCDateTime(), nullable=False),
        sa.Column('imported_by', sa.String(length=100), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('applied', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('reply_name', sa.String(length=200), nullable=False),
        sa.Column('reply', sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        'evaluation_cache',
        sa.Column('station_id', sa.String(length=36), primary_key=True),
        sa.Column('period', sa.String(length=7), primary_key=True),
        sa.Column('rules_key', sa.String(length=64), nullable=False),
        sa.Column('computed_at', UTCDateTime(), nullable=False),
        sa.Column('computed_on', sa.Date(), nullable=False),
        sa.Column('verdicts', sa.JSON(), nullable=False),
        sa.Column('met', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('at_risk', sa.Integer(), nullable=False),
        sa.Column('missed', sa.Integer(), nullable=False),
        sa.Column('problems', sa.JSON(), nullable=False),
    )
    with op.batch_alter_table('station_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('population', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_table('evaluation_cache')
    with op.batch_alter_table('station_account', schema=None) as batch_op:
        batch_op.drop_column('population')
        batch_op.drop_column('kind')
    op.drop_table('package_import')
