"""embeddings: one vector per paper and model; pgvector on PostgreSQL

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_index("ix_papers_updated_at", "papers", ["updated_at"])
    op.create_table(
        "embeddings",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False, comment="embedder that made the vector"),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True, comment="float32 little-endian, L2-normalised (SQLite)"),
        sa.Column(
            "embedding",
            Vector().with_variant(sa.LargeBinary(), "sqlite"),
            nullable=True,
            comment="pgvector (PostgreSQL)",
        ),
        sa.Column("content_hash", sa.String(length=32), nullable=False, comment="papers.content_hash it was made from"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_embeddings_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", name=op.f("pk_embeddings")),
    )
    op.create_index("ix_embeddings_model", "embeddings", ["model"])
    op.create_index(op.f("ix_embeddings_updated_at"), "embeddings", ["updated_at"])


def downgrade() -> None:
    op.drop_table("embeddings")
    op.drop_index("ix_papers_updated_at", table_name="papers")
