"""demand_hop and sync_state.directory: a demand 转派ed down or 上报ed up to another tier's ledger (#30, seed 五.2)


Revision ID: 0010
Revises: 0009
Create Date: 2027-01-25 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from app.models.base import UTCDateTime

revision = '0010'
down_revision = '0009'
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
    with op.batch_alter_table('demand_hop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_hop_demand_id'), ['demand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_hop_station_id'), ['station_id'], unique=False)
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('directory')
    with op.batch_alter_table('demand_hop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_hop_station_id'))
        batch_op.drop_index(batch_op.f('ix_demand_hop_demand_id'))
    op.drop_table('demand_hop')
