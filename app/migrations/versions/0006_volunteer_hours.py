"""volunteer hours kept as a figure (per year and in total), maintained by triggers; the log of reveals of personal
data; the 证明登记簿 of certificates issued

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from app.models.base import UTCDateTime

from app.models import hours

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'volunteer_hours',
        sa.Column('volunteer_id', sa.String(length=36), primary_key=True),
        sa.Column('total', sa.Float(), nullable=False),
    )
    op.create_index('ix_volunteer_hours_total', 'volunteer_hours', ['total'], unique=False)
    op.create_table(
        'volunteer_year_hours',
        sa.Column('volunteer_id', sa.String(length=36), primary_key=True),
        sa.Column('year', sa.Integer(), primary_key=True),
        sa.Column('hours', sa.Float(), nullable=False),
    )
    hours.install(op.execute)
    hours.rebuild(op.execute)  # every volunteer's figure from the ledger as it stands
    op.create_table(
        'personal_data_view',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('row_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    )
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        'certificate',
        sa.Column('number', text(length=40), primary_key=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', text(length=36), nullable=False),
        sa.Column('volunteer_number', text(length=20), nullable=False),
        sa.Column('volunteer_name', text(length=50), nullable=False),
        sa.Column('id_masked', text(length=40), nullable=False),
        sa.Column('date_from', sa.Date(), nullable=False),
        sa.Column('date_to', sa.Date(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('activities', sa.Integer(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('operator', text(length=50), nullable=False),
        sa.Column('full_id', sa.Boolean(), nullable=False),
        sa.Column('pdf_sha256', text(length=64), nullable=False),
    )
    op.create_index('ix_certificate_year', 'certificate', ['year'], unique=False)
    op.create_index('ix_certificate_volunteer_id', 'certificate', ['volunteer_id'], unique=False)


def downgrade() -> None:
    op.drop_table('certificate')
    op.drop_table('personal_data_view')
    hours.drop(op.execute)
    op.drop_table('volunteer_year_hours')
    op.drop_index('ix_volunteer_hours_total', table_name='volunteer_hours')
    op.drop_table('volunteer_hours')
