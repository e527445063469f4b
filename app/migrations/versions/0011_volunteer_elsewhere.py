"""volunteer_elsewhere: this ledger's volunteers registered in other ledgers too, as the district last said (#30)


Revision ID: 0011
Revises: 0010
Create Date: 2027-02-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from app.models.base import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('volunteer_elsewhere',
    sa.Column('volunteer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ledgers', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('as_of', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('volunteer_id')
    )


def downgrade() -> None:
    op.drop_table('volunteer_elsewhere')
