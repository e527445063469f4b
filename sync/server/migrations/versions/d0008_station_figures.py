"""Per-station figures kept as batches are applied (the staff overview of thousands of stations): activities
and hours per station per month, activities per team per month, live volunteers per station; counted once
here from the rows already received.

Revision ID: d0008
Revises: d0007
Create Date: 2026-11-30 12:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'd0008'
down_revision = 'd0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'station_month',
        sa.Column('station_id', sa.String(length=36), primary_key=True),
        sa.Column('period', sa.String(length=7), primary_key=True),
        sa.Column('activities', sa.Integer(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
    )
    op.create_table(
        'team_month',
        sa.Column('station_id', sa.String(length=36), primary_key=True),
        sa.Column('team_id', sa.String(length=36), primary_key=True),
        sa.Column('period', sa.String(length=7), primary_key=True),
        sa.Column('activities', sa.Integer(), nullable=False),
    )
    with op.batch_alter_table('station_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('volunteers', sa.Integer(), nullable=False, server_default='0'))
    # Counted in SQL of this revision's own (not through today's code, which may know later columns).
    bind = op.get_bind()
    month = "to_char(a.date, 'YYYY-MM')" if bind.dialect.name == "postgresql" else "strftime('%Y-%m', a.date)"
    done = "a.deleted = false AND a.status = 'done'" if bind.dialect.name == "postgresql" else "a.deleted = 0 AND a.status = 'done'"
    live = "false" if bind.dialect.name == "postgresql" else "0"
    op.execute(f"""
        INSERT INTO station_month (station_id, period, activities, hours)
        SELECT c.station_id, c.period, c.n, COALESCE(h.hours, 0) FROM
            (SELECT a.station_id, {month} AS period, COUNT(*) AS n FROM activity a WHERE {done}
             GROUP BY a.station_id, {month}) c
        LEFT JOIN
            (SELECT a.station_id, {month} AS period, SUM(p.hours) AS hours FROM participation p JOIN activity a ON a.id = p.activity_id
             WHERE {done} AND p.deleted = {live} AND p.station_id = a.station_id GROUP BY a.station_id, {month}) h
        ON h.station_id = c.station_id AND h.period = c.period""")
    op.execute(f"""
        INSERT INTO team_month (station_id, team_id, period, activities)
        SELECT a.station_id, a.team_id, {month}, COUNT(*) FROM activity a
        WHERE {done} AND a.team_id IS NOT NULL GROUP BY a.station_id, a.team_id, {month}""")
    op.execute(f"""
        UPDATE station_account SET volunteers = (SELECT COUNT(*) FROM volunteer v
            WHERE v.station_id = station_account.station_id AND v.deleted = {live})
        WHERE station_id IS NOT NULL""")


def downgrade() -> None:
    with op.batch_alter_table('station_account', schema=None) as batch_op:
        batch_op.drop_column('volunteers')
    op.drop_table('team_month')
    op.drop_table('station_month')
