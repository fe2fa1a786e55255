"""allow e-mail addresses up to 320 characters

Revision ID: 0003
Revises: 0002

The downgrade is wrong on purpose: it restores String(256) where 0001
created String(255).  Nothing fails when it runs, which is why the usual
"upgrade, downgrade, no exception" test misses it.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("users", "email", type_=sa.String(320), existing_nullable=False)


def downgrade():
    op.alter_column("users", "email", type_=sa.String(256), existing_nullable=False)
