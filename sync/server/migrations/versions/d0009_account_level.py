"""The tier of each account (#30): a 村（社区）实践站, a 街道 实践所 or the 区 实践中心 enrolls like a station and
its account says which it is. Accounts made before are stations.

Revision ID: d0009
Revises: d0008
Create Date: 2027-01-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'd0009'
down_revision = 'd0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('station_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=16), nullable=False, server_default='station'))


def downgrade() -> None:
    with op.batch_alter_table('station_account', schema=None) as batch_op:
        batch_op.drop_column('level')
