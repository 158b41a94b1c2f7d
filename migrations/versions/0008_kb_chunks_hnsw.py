"""Knowledge base retrieval: an HNSW index on the chunks' embeddings for cosine distance

Revision ID: 0008
Revises: 0007

Built inside the migration's transaction: writes to kb_chunks wait meanwhile (reads do not), a
few seconds for thousands of chunks. m 16 (pgvector's default), ef_construction 128 (the default 64
strands queries in the wrong cluster on clustered data: knowledge_base/models.py HNSW_BUILD).
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_kb_chunks_embedding', 'kb_chunks', ['embedding'], unique=False, postgresql_using='hnsw', postgresql_with={'m': 16, 'ef_construction': 128}, postgresql_ops={'embedding': 'vector_cosine_ops'})


def downgrade() -> None:
    op.drop_index('ix_kb_chunks_embedding', table_name='kb_chunks', postgresql_using='hnsw', postgresql_with={'m': 16, 'ef_construction': 128}, postgresql_ops={'embedding': 'vector_cosine_ops'})
