"""indexes only the station carries, for its screens on a 5-year ledger: a covering index of participations
by activity (a year's hours per team, category and volunteer without reading the rows), and the rows changed
since the last settlement (the 工作台's unsettled-points reminder)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 19:30:00
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_participation_activity_cover', 'participation', ['activity_id', 'deleted', 'volunteer_id', 'hours']),
    ('ix_participation_updated_at', 'participation', ['updated_at']),
    ('ix_activity_updated_at', 'activity', ['updated_at']),
    ('ix_point_entry_station_updated', 'point_entry', ['station_id', 'updated_at']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
