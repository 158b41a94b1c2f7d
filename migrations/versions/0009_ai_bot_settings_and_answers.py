"""The AI bot: a workspace's settings (model endpoint, key sealed) and one row per question answered

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ai_settings',
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('bot_name', sa.String(length=80), server_default='', nullable=False),
    sa.Column('instructions', sa.Text(), server_default='', nullable=False),
    sa.Column('threshold', sa.Float(), server_default=sa.text('0.8'), nullable=False),
    sa.Column('stop_topics', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('texts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('answers_first_message', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('question_gap_minutes', sa.BigInteger(), server_default=sa.text('30'), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('api_key_sealed', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('question_gap_minutes BETWEEN 0 AND 43200', name=op.f('ck_ai_settings_question_gap')),
    sa.CheckConstraint('threshold >= 0 AND threshold <= 1', name=op.f('ck_ai_settings_threshold')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_ai_settings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_ai_settings'))
    )
    op.create_table('ai_answers',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('conversation_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('request_key', sa.String(length=120), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('prompt_version', sa.String(length=40), nullable=True),
    sa.Column('top_cosine', sa.Float(), nullable=True),
    sa.Column('sources', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('answer', sa.Text(), server_default='', nullable=False),
    sa.Column('question_embedding', Vector(dim=384), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=True),
    sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("decision IN ('answer', 'handoff')", name=op.f('ck_ai_answers_decision')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_ai_answers_conversation_id_conversations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_ai_answers_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_ai_answers_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_answers')),
    sa.UniqueConstraint('workspace_id', 'request_key', name=op.f('uq_ai_answers_workspace_id'))
    )
    op.create_index('ix_ai_answers_conversation', 'ai_answers', ['conversation_id'], unique=False)
    op.create_index('ix_ai_answers_workspace_created', 'ai_answers', ['workspace_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ai_answers_workspace_created', table_name='ai_answers')
    op.drop_index('ix_ai_answers_conversation', table_name='ai_answers')
    op.drop_table('ai_answers')
    op.drop_table('ai_settings')
