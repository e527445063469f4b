"""batch content hash: a batch id reused with other rows is refused

Revision ID: d0005
Revises: d0004
Create Date: 2026-11-30 01:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'd0005'
down_revision = 'd0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batches logged before this revision have no hash: a resend of one is answered as before.
    with op.batch_alter_table('batch_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('batch_log', schema=None) as batch_op:
        batch_op.drop_column('content_sha256')
