"""post status, and an index for each user's posts

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("posts", sa.Column("status", sa.String(20), nullable=False,
                                     server_default="draft"))
    op.create_index("posts_user_id", "posts", ["user_id"])


def downgrade():
    op.drop_index("posts_user_id", table_name="posts")
    op.drop_column("posts", "status")
