"""Broadcasts: the messages editors send to a bot's subscribers, and one recipient row per subscriber

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('image_id', sa.String(length=40), nullable=True),
    sa.Column('buttons', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('audience', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'paused', 'cancelled', 'finished')", name=op.f('ck_broadcasts_status')),
    sa.ForeignKeyConstraint(['bot_id'], ['telegram_bots.id'], name=op.f('fk_broadcasts_bot_id_telegram_bots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['operators.id'], name=op.f('fk_broadcasts_created_by_operators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['image_id'], ['attachments.id'], name=op.f('fk_broadcasts_image_id_attachments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_broadcasts_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_index(op.f('ix_broadcasts_bot_id'), 'broadcasts', ['bot_id'], unique=False)
    op.create_index('ix_broadcasts_due', 'broadcasts', ['scheduled_at'], unique=False, postgresql_where=sa.text("status = 'scheduled'"))
    op.create_index('ix_broadcasts_sending', 'broadcasts', ['bot_id'], unique=False, postgresql_where=sa.text("status = 'sending'"))
    op.create_index('ix_broadcasts_workspace_created', 'broadcasts', ['workspace_id', 'created_at'], unique=False)
    op.create_table('broadcast_recipients',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('broadcast_id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('subscriber_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.BigInteger(), nullable=True),
    sa.Column('in_flight_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'skipped', 'unconfirmed')", name=op.f('ck_broadcast_recipients_status')),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_broadcast_recipients_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_broadcast_recipients_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['telegram_subscribers.id'], name=op.f('fk_broadcast_recipients_subscriber_id_telegram_subscribers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_broadcast_recipients_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_recipients')),
    sa.UniqueConstraint('broadcast_id', 'subscriber_id', name=op.f('uq_broadcast_recipients_broadcast_id'))
    )
    op.create_index('ix_broadcast_recipients_due', 'broadcast_recipients', ['broadcast_id', 'next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.create_index(op.f('ix_broadcast_recipients_subscriber_id'), 'broadcast_recipients', ['subscriber_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_broadcast_recipients_subscriber_id'), table_name='broadcast_recipients')
    op.drop_index('ix_broadcast_recipients_due', table_name='broadcast_recipients', postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_table('broadcast_recipients')
    op.drop_index('ix_broadcasts_workspace_created', table_name='broadcasts')
    op.drop_index('ix_broadcasts_sending', table_name='broadcasts', postgresql_where=sa.text("status = 'sending'"))
    op.drop_index('ix_broadcasts_due', table_name='broadcasts', postgresql_where=sa.text("status = 'scheduled'"))
    op.drop_index(op.f('ix_broadcasts_bot_id'), table_name='broadcasts')
    op.drop_table('broadcasts')
