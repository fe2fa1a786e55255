"""comments on posts

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("comments_post_id", "comments", ["post_id"])
    op.create_check_constraint("posts_title_not_blank", "posts", "title <> ''")


def downgrade():
    op.drop_constraint("posts_title_not_blank", "posts", type_="check")
    op.drop_index("comments_post_id", table_name="comments")
    op.drop_table("comments")
