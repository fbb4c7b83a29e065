"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 07:17:12.771056
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "papers",
        sa.Column("id", sa.String(length=64), nullable=False, comment="arXiv id without version"),
        sa.Column("version", sa.Integer(), nullable=True, comment="latest version seen"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "authors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="ordered list of names",
        ),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="primary category first",
        ),
        sa.Column("primary_category", sa.String(length=64), nullable=True),
        sa.Column("published", sa.Date(), nullable=True, comment="first published (v1)"),
        sa.Column("updated", sa.Date(), nullable=True, comment="date of the latest version"),
        sa.Column("doi", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("submitter", sa.Text(), nullable=True),
        sa.Column("pdf_url", sa.Text(), nullable=True),
        sa.Column("code_url", sa.Text(), nullable=True),
        sa.Column("project_url", sa.Text(), nullable=True),
        sa.Column(
            "content_hash", sa.String(length=32), nullable=False, comment="hash of the metadata, for change detection"
        ),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_papers")),
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_papers_primary_category"), ["primary_category"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_published"), ["published"], unique=False)

    op.create_table(
        "source_state",
        sa.Column("key", sa.String(length=128), nullable=False, comment="e.g. oai:cs:last_datestamp"),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_source_state")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False, comment="normalised to lower case"),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("role", sa.String(length=16), server_default="user", nullable=False),
        sa.Column("api_token_hash", sa.String(length=128), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("api_token_hash", name=op.f("uq_users_api_token_hash")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True, comment="hidden by an admin"),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True, comment="deleted by its author"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_comments_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_comments_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_paper_created", ["paper_id", "created_at"], unique=False)

    op.create_table(
        "listings",
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False, comment="huggingface, submission, arxiv, ..."),
        sa.Column("submitter", sa.Text(), nullable=True, comment="name given by the source"),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column(
            "source_upvotes",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="upvotes imported from the source",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_listings_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_listings_submitted_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("list_date", "paper_id", name=op.f("pk_listings")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index("ix_listings_paper", ["paper_id"], unique=False)

    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False, comment="casefolded, accents removed"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_paper_authors_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "position", name=op.f("pk_paper_authors")),
    )
    with op.batch_alter_table("paper_authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_authors_name_key"), ["name_key"], unique=False)

    op.create_table(
        "paper_categories",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_paper_categories_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "category", name=op.f("pk_paper_categories")),
    )
    with op.batch_alter_table("paper_categories", schema=None) as batch_op:
        batch_op.create_index("ix_paper_categories_category_paper", ["category", "paper_id"], unique=False)

    op.create_table(
        "paper_sources",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column(
            "source",
            sa.String(length=32),
            nullable=False,
            comment="snapshot, jsonl, huggingface, arxiv-api, oai, submission",
        ),
        sa.Column("ref", sa.Text(), nullable=False, comment="file name or URL it was first read from"),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_paper_sources_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "source", name=op.f("pk_paper_sources")),
    )
    op.create_table(
        "paper_versions",
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), nullable=True, comment="submission time, when the source gave it"
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_paper_versions_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", "version", name=op.f("pk_paper_versions")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.String(length=16),
            server_default="pending",
            nullable=False,
            comment="pending, active, unsubscribed",
        ),
        sa.Column("frequency", sa.String(length=16), server_default="daily", nullable=False, comment="daily or weekly"),
        sa.Column("weekday", sa.Integer(), nullable=True, comment="0=Monday, for weekly digests"),
        sa.Column("send_hour", sa.Integer(), server_default="7", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("top_n", sa.Integer(), server_default="10", nullable=False),
        sa.Column(
            "topics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="free-text interests, each a saved search",
        ),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "authors", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("use_upvotes", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("permanent_failures", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscriptions_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("email", name=op.f("uq_subscriptions_email")),
    )
    op.create_table(
        "votes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], name=op.f("fk_votes_paper_id_papers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_votes_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "paper_id", name=op.f("pk_votes")),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index("ix_votes_paper", ["paper_id"], unique=False)

    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False, comment="e.g. daily:2026-02-03 or weekly:2026-W06"),
        sa.Column("status", sa.String(length=16), nullable=False, comment="claimed, sent, skipped, failed"),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_digest_deliveries_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_deliveries")),
        sa.UniqueConstraint("subscription_id", "period", name=op.f("uq_digest_deliveries_subscription_id_period")),
    )
    op.create_table(
        "delivered_papers",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["digest_deliveries.id"],
            name=op.f("fk_delivered_papers_delivery_id_digest_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f("fk_delivered_papers_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_delivered_papers_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "paper_id", name=op.f("pk_delivered_papers")),
    )


def downgrade() -> None:

    op.drop_table("delivered_papers")
    op.drop_table("digest_deliveries")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("ix_votes_paper")

    op.drop_table("votes")
    op.drop_table("subscriptions")
    op.drop_table("paper_versions")
    op.drop_table("paper_sources")
    with op.batch_alter_table("paper_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_categories_category_paper")

    op.drop_table("paper_categories")
    with op.batch_alter_table("paper_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_authors_name_key"))

    op.drop_table("paper_authors")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_paper")

    op.drop_table("listings")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_paper_created")

    op.drop_table("comments")
    op.drop_table("users")
    op.drop_table("source_state")
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_papers_published"))
        batch_op.drop_index(batch_op.f("ix_papers_primary_category"))

    op.drop_table("papers")
