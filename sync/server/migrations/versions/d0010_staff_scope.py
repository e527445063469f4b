"""Staff accounts with a scope (#30): a 街道 account sees only its street's 所 and stations; an account can be
disabled. Accounts made before see the whole district, as they did.

Revision ID: d0010
Revises: d0009
Create Date: 2027-01-11 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'd0010'
down_revision = 'd0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=16), nullable=False, server_default='district'))
        batch_op.add_column(sa.Column('street', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('disabled')
        batch_op.drop_column('street')
        batch_op.drop_column('scope')
