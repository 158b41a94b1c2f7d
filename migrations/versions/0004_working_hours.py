"""Working hours: a workspace's timezone and weekly schedule with holidays (NULL: always open)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('workspaces', sa.Column('timezone', sa.Text(), server_default='UTC', nullable=False))
    op.add_column('workspaces', sa.Column('working_hours', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column('workspaces', 'working_hours')
    op.drop_column('workspaces', 'timezone')
