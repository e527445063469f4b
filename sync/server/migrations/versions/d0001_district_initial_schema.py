"""district initial schema

Revision ID: d0001
Revises: 
Create Date: 2026-11-29 06:15:10.013180
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


import app.models.base

revision = 'd0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('announcement',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', app.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    op.create_table('function_room',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('function', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('function_room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_function_room_station_id'), ['station_id'], unique=False)

    op.create_table('service_point',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_point_station_id'), ['station_id'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('station',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('opening_hours', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('activity_day', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('manager', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_station_id'), ['station_id'], unique=False)

    op.create_table('station_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('street', sa.String(length=100), nullable=False),
    sa.Column('station_id', sa.String(length=36), nullable=True),
    sa.Column('enroll_code_hash', sa.String(length=64), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('enrolled_at', app.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_sync_at', app.models.base.UTCDateTime(), nullable=True),
    sa.Column('rows_received', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('client_version', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('station_id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('volunteer',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('name_pinyin', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_initials', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('id_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('id_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('phone_tail', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('political_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('skills', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('station_id', 'number', name='uq_volunteer_number')
    )
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_id_number', ['station_id', 'id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_name_initials'), ['name_initials'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_name_pinyin'), ['name_pinyin'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_phone_tail'), ['phone_tail'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_station_id'), ['station_id'], unique=False)

    op.create_table('batch_log',
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('received_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['station_account.id'], ),
    sa.PrimaryKeyConstraint('batch_id')
    )
    with op.batch_alter_table('batch_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_log_account_id'), ['account_id'], unique=False)

    op.create_table('rejection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('row_id', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('at', app.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['station_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rejection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejection_account_id'), ['account_id'], unique=False)

    op.create_table('staff_session',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', app.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_table('stored_file',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('received_at', app.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['station_account.id'], ),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('team',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('leader_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['volunteer.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_station_id'), ['station_id'], unique=False)

    op.create_table('activity',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('organiser', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('own_name', sa.Boolean(), nullable=False),
    sa.Column('served_count', sa.Integer(), nullable=False),
    sa.Column('service_target', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_station_date', ['station_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_station_id'), ['station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_team_id'), ['team_id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('volunteer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], initially='DEFERRED', deferrable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_station_id'), ['station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('participation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('volunteer_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], initially='DEFERRED', deferrable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_station_id'), ['station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('photo',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('station_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('caption', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_station_id'), ['station_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_station_id'))
        batch_op.drop_index(batch_op.f('ix_photo_sha256'))
        batch_op.drop_index(batch_op.f('ix_photo_activity_id'))

    op.drop_table('photo')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_participation_station_id'))
        batch_op.drop_index(batch_op.f('ix_participation_activity_id'))

    op.drop_table('participation')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_membership_team_id'))
        batch_op.drop_index(batch_op.f('ix_membership_station_id'))

    op.drop_table('membership')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_team_id'))
        batch_op.drop_index(batch_op.f('ix_activity_station_id'))
        batch_op.drop_index('ix_activity_station_date')

    op.drop_table('activity')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_station_id'))

    op.drop_table('team')
    op.drop_table('stored_file')
    op.drop_table('staff_session')
    with op.batch_alter_table('rejection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejection_account_id'))

    op.drop_table('rejection')
    with op.batch_alter_table('batch_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_log_account_id'))

    op.drop_table('batch_log')
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_station_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_phone_tail'))
        batch_op.drop_index(batch_op.f('ix_volunteer_name_pinyin'))
        batch_op.drop_index(batch_op.f('ix_volunteer_name_initials'))
        batch_op.drop_index(batch_op.f('ix_volunteer_name'))
        batch_op.drop_index('ix_volunteer_id_number')

    op.drop_table('volunteer')
    op.drop_table('station_account')
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_station_id'))

    op.drop_table('station')
    op.drop_table('staff')
    with op.batch_alter_table('service_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_point_station_id'))

    op.drop_table('service_point')
    with op.batch_alter_table('function_room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_function_room_station_id'))

    op.drop_table('function_room')
    op.drop_table('announcement')
