"""Knowledge-base chunks keep their `tsv` in the row (STORAGE MAIN: compressed if need be, but not
moved out to TOAST), so ranking lexical candidates reads no TOAST pages. Rows written from now on;
older ones move as they are re-indexed (or all at once with `VACUUM FULL kb_chunks`).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE kb_chunks ALTER COLUMN tsv SET STORAGE MAIN")


def downgrade() -> None:
    op.execute("ALTER TABLE kb_chunks ALTER COLUMN tsv SET STORAGE EXTENDED")
