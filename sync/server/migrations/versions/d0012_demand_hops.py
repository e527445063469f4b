"""demand_hop at the district (#30, seed 五.2): the stations' and 所' 转派 and 上报 of a demand, each opening a
dispatch at the target ledger

Revision ID: d0012
Revises: d0011
Create Date: 2027-01-25 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from app.models.base import UTCDateTime

revision = 'd0012'
down_revision = 'd0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('demand_hop',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('demand_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('to_station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('to_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_demand_hop_demand_id', 'demand_hop', ['demand_id'], unique=False)
    op.create_index('ix_demand_hop_station_id', 'demand_hop', ['station_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_demand_hop_station_id', table_name='demand_hop')
    op.drop_index('ix_demand_hop_demand_id', table_name='demand_hop')
    op.drop_table('demand_hop')
