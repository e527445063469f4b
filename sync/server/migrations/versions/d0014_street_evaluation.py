"""The district evaluates each 街道 (#30, 六.4–六.5): the published weights and the entered scores (观摩打分, 媒体报道,
特色项目), each with who, when and a note

Revision ID: d0014
Revises: d0013
Create Date: 2027-01-28 09:00:00
"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime

revision = 'd0014'
down_revision = 'd0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'street_weights',
        sa.Column('version', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('published_at', UTCDateTime(), nullable=False),
        sa.Column('published_by', sa.String(length=100), nullable=False),
    )
    op.create_table(
        'street_score',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('street', sa.String(length=100), nullable=False),
        sa.Column('item', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('entered_by', sa.String(length=100), nullable=False),
        sa.Column('entered_at', UTCDateTime(), nullable=False),
        sa.Column('weights_version', sa.Integer(), nullable=False),
    )
    op.create_index('ix_street_score_period', 'street_score', ['year', 'month'])


def downgrade() -> None:
    op.drop_index('ix_street_score_period', table_name='street_score')
    op.drop_table('street_score')
    op.drop_table('street_weights')
