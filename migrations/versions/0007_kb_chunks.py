"""Knowledge base retrieval: pgvector, chunks of live revisions with a tsvector and an embedding

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE EXTENSION IF NOT EXISTS vector')
    op.create_table('kb_chunks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('workspace_id', sa.BigInteger(), nullable=False),
    sa.Column('article_id', sa.BigInteger(), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('model_id', sa.String(length=100), nullable=True),
    sa.Column('embedding', Vector(dim=384), nullable=True),
    sa.Column('tsv', postgresql.TSVECTOR(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_chunks_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_kb_chunks_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_chunks'))
    )
    op.create_index(op.f('ix_kb_chunks_article_id'), 'kb_chunks', ['article_id'], unique=False)
    op.create_index(op.f('ix_kb_chunks_workspace_id'), 'kb_chunks', ['workspace_id'], unique=False)
    op.create_index('ix_kb_chunks_tsv', 'kb_chunks', ['tsv'], unique=False, postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_kb_chunks_tsv', table_name='kb_chunks', postgresql_using='gin')
    op.drop_index(op.f('ix_kb_chunks_workspace_id'), table_name='kb_chunks')
    op.drop_index(op.f('ix_kb_chunks_article_id'), table_name='kb_chunks')
    op.drop_table('kb_chunks')
    # the vector extension stays: other databases objects may use it
