"""Telegram: connected bots (token sealed), subscribers (blocked or not), handled update ids

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telegram_bots',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.String(length=32), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('token_sealed', sa.Text(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('messages_per_second', sa.BigInteger(), server_default='30', nullable=False),
    sa.Column('paid_broadcasts', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('updates_offset', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('polled_by', sa.String(length=64), nullable=True),
    sa.Column('polling_lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('connected_by', sa.BigInteger(), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('disconnected_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("mode IN ('webhook', 'polling')", name=op.f('ck_telegram_bots_mode')),
    sa.CheckConstraint('messages_per_second BETWEEN 1 AND 1000', name=op.f('ck_telegram_bots_messages_per_second')),
    sa.ForeignKeyConstraint(['connected_by'], ['operators.id'], name=op.f('fk_telegram_bots_connected_by_operators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_telegram_bots_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_bots')),
    sa.UniqueConstraint('connection_id', name=op.f('uq_telegram_bots_connection_id'))
    )
    op.create_index(op.f('ix_telegram_bots_workspace_id'), 'telegram_bots', ['workspace_id'], unique=False)
    op.create_index('uq_telegram_bots_connected', 'telegram_bots', ['telegram_id'], unique=True, postgresql_where=sa.text('disconnected_at IS NULL'))
    op.create_table('telegram_subscribers',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='subscribed', nullable=False),
    sa.Column('unsubscribed_reason', sa.String(length=32), nullable=True),
    sa.Column('start_payload', sa.String(length=64), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('first_name', sa.String(length=128), nullable=True),
    sa.Column('language_code', sa.String(length=16), nullable=True),
    sa.Column('subscribed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('subscribed', 'unsubscribed')", name=op.f('ck_telegram_subscribers_status')),
    sa.ForeignKeyConstraint(['bot_id'], ['telegram_bots.id'], name=op.f('fk_telegram_subscribers_bot_id_telegram_bots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_telegram_subscribers_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_telegram_subscribers_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_subscribers')),
    sa.UniqueConstraint('bot_id', 'chat_id', name=op.f('uq_telegram_subscribers_bot_id'))
    )
    op.create_index('ix_telegram_subscribers_audience', 'telegram_subscribers', ['workspace_id', 'status', 'bot_id'], unique=False)
    op.create_index(op.f('ix_telegram_subscribers_contact_id'), 'telegram_subscribers', ['contact_id'], unique=False)
    op.create_table('telegram_updates',
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['bot_id'], ['telegram_bots.id'], name=op.f('fk_telegram_updates_bot_id_telegram_bots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('bot_id', 'update_id', name=op.f('pk_telegram_updates'))
    )
    op.create_index(op.f('ix_telegram_updates_received_at'), 'telegram_updates', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_telegram_updates_received_at'), table_name='telegram_updates')
    op.drop_table('telegram_updates')
    op.drop_index(op.f('ix_telegram_subscribers_contact_id'), table_name='telegram_subscribers')
    op.drop_index('ix_telegram_subscribers_audience', table_name='telegram_subscribers')
    op.drop_table('telegram_subscribers')
    op.drop_index('uq_telegram_bots_connected', table_name='telegram_bots', postgresql_where=sa.text('disconnected_at IS NULL'))
    op.drop_index(op.f('ix_telegram_bots_workspace_id'), table_name='telegram_bots')
    op.drop_table('telegram_bots')
