"""sync state, outbox acknowledgements, announcements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 06:14:26.754867
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


import app.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('announcement',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('published_at', app.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', app.models.base.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('pushed', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('pulled', sa.Integer(), nullable=False),
    sa.Column('bytes_sent', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('account_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('ca_file', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('pull_cursor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('auto_minutes', sa.Integer(), nullable=False),
    sa.Column('last_success_at', app.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acked_at', app.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('rejected_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.create_index('ix_outbox_pending', ['acked_at', 'rejected_reason', 'seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
        batch_op.drop_column('rejected_reason')
        batch_op.drop_column('acked_at')

    op.drop_table('sync_state')
    op.drop_table('sync_run')
    op.drop_table('announcement')
