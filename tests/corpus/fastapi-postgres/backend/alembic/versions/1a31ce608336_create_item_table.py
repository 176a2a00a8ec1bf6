"""create item table

Revision ID: 1a31ce608336
Revises:
Create Date: 2024-10-21 09:12:44.118202
"""
import sqlalchemy as sa
from alembic import op

revision = "1a31ce608336"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_item_title", "item", ["title"])


def downgrade() -> None:
    op.drop_index("ix_item_title", table_name="item")
    op.drop_table("item")
