"""jobs: the background job queue (fetch, embed, index, send), claimed with leases

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="fetch, embed, index, send, prune"),
        sa.Column(
            "key",
            sa.String(length=200),
            nullable=True,
            comment="dedupe key, e.g. send@2026-11-29T10:00:00+00:00: one job per kind and period",
        ),
        sa.Column("payload", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False, comment="queued, running, done, failed"),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False, comment="not claimed before this moment"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False),
        sa.Column("locked_by", sa.String(length=128), nullable=True, comment="worker id holding the lease"),
        sa.Column(
            "locked_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="lease end; a running job past it is taken over",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_state_run_at", table_name="jobs")
    op.drop_table("jobs")
