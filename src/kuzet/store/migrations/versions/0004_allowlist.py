"""allow-list of licensed operators and official sources

Revision ID: 0004
Revises: 0003_networks
Create Date: 2026-11-29 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_networks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allowlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=600), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("match_key", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "resource", name="uq_allowlist_kind_resource"),
    )
    with op.batch_alter_table("allowlist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allowlist_match_key"), ["match_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("allowlist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allowlist_match_key"))
    op.drop_table("allowlist")
