"""accounts: one-time sign-in links, rate-limit counters, an index for per-user submission quotas

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_tokens",
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=False,
            comment="sha256 of the random token; the token itself is never stored",
        ),
        sa.Column("email", sa.String(length=320), nullable=False, comment="normalised to lower case"),
        sa.Column("next_url", sa.Text(), nullable=True, comment="local path to go to after signing in"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_login_tokens")),
    )
    op.create_index(op.f("ix_login_tokens_email"), "login_tokens", ["email"])
    op.create_index(op.f("ix_login_tokens_expires_at"), "login_tokens", ["expires_at"])
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=255), nullable=False, comment="e.g. signin-ip:203.0.113.9"),
        sa.Column("window_start", sa.BigInteger(), nullable=False, comment="start of the fixed window, Unix seconds"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limits")),
    )
    op.create_index("ix_listings_submitted_by_created", "listings", ["submitted_by", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_listings_submitted_by_created", table_name="listings")
    op.drop_table("rate_limits")
    op.drop_table("login_tokens")
