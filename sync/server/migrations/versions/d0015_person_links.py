"""person_link and person_link_state (#30): one person across ledgers, linked by a keyed hash of the document

The links are not filled here: they are an HMAC under the district's secret, which lives outside the database
(person-link.key in the district folder) and which a migration does not know. The commands that apply stations' rows
(`station district migrate`, `serve`, `import-package`, `demo`) load the key after migrating and link every volunteer
row that has no link yet (sync/server/people.py ``attach``); from then on each batch links the volunteers it applies.

Revision ID: d0015
Revises: d0014
Create Date: 2027-02-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime

revision = 'd0015'
down_revision = 'd0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'person_link',
        sa.Column('volunteer_id', sa.String(length=36), nullable=False),
        sa.Column('station_id', sa.String(length=36), nullable=False),
        sa.Column('person_key', sa.String(length=64), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint('volunteer_id'),
    )
    op.create_index('ix_person_link_station_id', 'person_link', ['station_id'])
    op.create_index('ix_person_link_person_key', 'person_link', ['person_key', 'station_id', 'deleted'])
    op.create_table(
        'person_link_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_check', sa.String(length=64), nullable=False),
        sa.Column('linked_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('person_link_state')
    op.drop_index('ix_person_link_person_key', table_name='person_link')
    op.drop_index('ix_person_link_station_id', table_name='person_link')
    op.drop_table('person_link')
