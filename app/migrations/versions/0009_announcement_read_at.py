"""announcement.read_at: a district announcement stays on the 工作台 until someone at the station marks it read (#30)


Revision ID: 0009
Revises: 0008
Create Date: 2027-01-18 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from app.models.base import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('read_by', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False, server_default=''))
    # Announcements received before this release were shown on the 同步 page already: not news any more.
    op.execute("UPDATE announcement SET read_at = published_at")


def downgrade() -> None:
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_column('read_by')
        batch_op.drop_column('read_at')
