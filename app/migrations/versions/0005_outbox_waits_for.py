"""outbox: the parent a rejected row waits for; sync state: recovery pending after a restore

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waits_for', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.create_index('ix_outbox_waits_for', ['waits_for'], unique=False, sqlite_where=sa.text('waits_for IS NOT NULL'))
        batch_op.create_index('ix_outbox_refused', ['seq'], unique=False,
                              sqlite_where=sa.text('rejected_reason IS NOT NULL AND acked_at IS NULL'))
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recover_pending', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Rows an earlier release set aside only because their parent had not arrived did not know which
    # parent: send them once more; the district now names the parent if it is still missing.
    op.execute("UPDATE outbox SET rejected_reason = NULL WHERE acked_at IS NULL AND rejected_reason LIKE '引用的%记录尚未同步或不存在'")


def downgrade() -> None:
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('recover_pending')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_refused')
        batch_op.drop_index('ix_outbox_waits_for')
        batch_op.drop_column('waits_for')
