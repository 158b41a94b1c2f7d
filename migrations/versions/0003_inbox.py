"""Inbox: presence, capacity, queues, assignment, tags, canned replies, message search

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canned_replies',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('shortcut', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['operators.id'], name=op.f('fk_canned_replies_owner_id_operators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_canned_replies_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies'))
    )
    op.create_index('uq_canned_replies_shortcut', 'canned_replies', ['workspace_id', sa.literal_column('coalesce(owner_id, 0)'), sa.literal_column('lower(shortcut)')], unique=True)
    op.create_table('tags',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('color', sa.String(length=7), server_default='#6b7280', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_tags_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags'))
    )
    op.create_index('uq_tags_workspace_name', 'tags', ['workspace_id', sa.literal_column('lower(name)')], unique=True)
    op.create_table('conversation_tags',
    sa.Column('conversation_id', sa.BigInteger(), nullable=False),
    sa.Column('tag_id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_tags_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_conversation_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_conversation_tags_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'tag_id', name=op.f('pk_conversation_tags'))
    )
    op.create_index(op.f('ix_conversation_tags_tag_id'), 'conversation_tags', ['tag_id'], unique=False)
    op.add_column('conversations', sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('conversations', sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_conversations_assignee_open', 'conversations', ['assignee_id'], unique=False, postgresql_where=sa.text("status = 'open'"))
    op.create_index('ix_conversations_queue', 'conversations', ['workspace_id', 'group_id', 'queued_at'], unique=False, postgresql_where=sa.text("owner = 'queue' AND status = 'open'"))
    op.add_column('group_members', sa.Column('capacity', sa.BigInteger(), nullable=True))
    op.add_column('group_members', sa.Column('last_assigned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('memberships', sa.Column('presence', sa.String(length=8), server_default='offline', nullable=False))
    op.add_column('memberships', sa.Column('presence_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('memberships', sa.Column('last_active_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('memberships', sa.Column('capacity', sa.BigInteger(), server_default='5', nullable=False))
    op.create_index('ix_messages_search', 'messages', [sa.literal_column("to_tsvector('simple'::regconfig, body)")], unique=False, postgresql_using='gin')
    op.add_column('operator_groups', sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('operator_groups', sa.Column('assignment_policy', sa.String(length=16), server_default='round_robin', nullable=False))
    op.add_column('operator_groups', sa.Column('requeue_on_offline', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.create_index('uq_operator_groups_default', 'operator_groups', ['workspace_id'], unique=True, postgresql_where=sa.text('is_default'))
    op.add_column('workspaces', sa.Column('restrict_to_groups', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.create_check_constraint(op.f('ck_memberships_presence'), 'memberships', "presence IN ('online', 'away', 'offline')")
    op.create_check_constraint(op.f('ck_memberships_capacity'), 'memberships', 'capacity BETWEEN 0 AND 1000')
    op.create_check_constraint(
        op.f('ck_operator_groups_assignment_policy'), 'operator_groups', "assignment_policy IN ('round_robin', 'least_busy')"
    )


def downgrade() -> None:
    op.drop_column('workspaces', 'restrict_to_groups')
    op.drop_index('uq_operator_groups_default', table_name='operator_groups', postgresql_where=sa.text('is_default'))
    op.drop_column('operator_groups', 'requeue_on_offline')
    op.drop_column('operator_groups', 'assignment_policy')
    op.drop_column('operator_groups', 'is_default')
    op.drop_index('ix_messages_search', table_name='messages', postgresql_using='gin')
    op.drop_column('memberships', 'capacity')
    op.drop_column('memberships', 'last_active_at')
    op.drop_column('memberships', 'presence_changed_at')
    op.drop_column('memberships', 'presence')
    op.drop_column('group_members', 'last_assigned_at')
    op.drop_column('group_members', 'capacity')
    op.drop_index('ix_conversations_queue', table_name='conversations', postgresql_where=sa.text("owner = 'queue' AND status = 'open'"))
    op.drop_index('ix_conversations_assignee_open', table_name='conversations', postgresql_where=sa.text("status = 'open'"))
    op.drop_column('conversations', 'assigned_at')
    op.drop_column('conversations', 'queued_at')
    op.drop_index(op.f('ix_conversation_tags_tag_id'), table_name='conversation_tags')
    op.drop_table('conversation_tags')
    op.drop_index('uq_tags_workspace_name', table_name='tags')
    op.drop_table('tags')
    op.drop_index('uq_canned_replies_shortcut', table_name='canned_replies')
    op.drop_table('canned_replies')
