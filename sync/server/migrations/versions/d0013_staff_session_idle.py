"""staff_session.last_seen (#28): a staff session also ends after IDLE_MINUTES without a page, not only 12 h
after login

Revision ID: d0013
Revises: d0012
Create Date: 2027-01-26 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime

revision = 'd0013'
down_revision = 'd0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_session') as batch:
        batch.add_column(sa.Column('last_seen', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_session') as batch:
        batch.drop_column('last_seen')
