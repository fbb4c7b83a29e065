"""The database schema as SQLAlchemy Core tables; migrations (Alembic) are checked against it in tests."""

from __future__ import annotations

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Moment = sa.DateTime(timezone=True)

papers = sa.Table(
    "papers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True, comment="arXiv id without version"),
    sa.Column("version", sa.Integer, nullable=True, comment="latest version seen"),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("abstract", sa.Text, nullable=False, server_default=""),
    sa.Column("authors", Json, nullable=False, comment="ordered list of names"),
    sa.Column("categories", Json, nullable=False, comment="primary category first"),
    sa.Column("primary_category", sa.String(64), nullable=True, index=True),
    sa.Column("published", sa.Date, nullable=True, index=True, comment="first published (v1)"),
    sa.Column("updated", sa.Date, nullable=True, comment="date of the latest version"),
    sa.Column("doi", sa.Text, nullable=True),
    sa.Column("journal_ref", sa.Text, nullable=True),
    sa.Column("comments", sa.Text, nullable=True),
    sa.Column("license", sa.Text, nullable=True),
    sa.Column("submitter", sa.Text, nullable=True),
    sa.Column("pdf_url", sa.Text, nullable=True),
    sa.Column("code_url", sa.Text, nullable=True),
    sa.Column("project_url", sa.Text, nullable=True),
    sa.Column("content_hash", sa.String(32), nullable=False, comment="hash of the metadata, for change detection"),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("updated_at", Moment, nullable=False),
)

sa.Index("ix_papers_updated_at", papers.c.updated_at)
sa.Index("ix_papers_doi_lower", sa.func.lower(papers.c.doi))  # migration 0009: library imports match by DOI

paper_authors = sa.Table(
    "paper_authors",
    metadata,
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_key", sa.Text, nullable=False, index=True, comment="casefolded, accents removed"),
)

paper_categories = sa.Table(
    "paper_categories",
    metadata,
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_paper_categories_category_paper", "category", "paper_id"),
)

paper_versions = sa.Table(
    "paper_versions",
    metadata,
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("created", Moment, nullable=True, comment="submission time, when the source gave it"),
    sa.Column("first_seen_at", Moment, nullable=False),
)

paper_sources = sa.Table(
    "paper_sources",
    metadata,
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "source", sa.String(32), primary_key=True, comment="snapshot, jsonl, huggingface, arxiv-api, oai, submission"
    ),
    sa.Column("ref", sa.Text, nullable=False, comment="file name or URL it was first read from"),
    sa.Column("first_seen_at", Moment, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True, comment="normalised to lower case"),
    sa.Column("display_name", sa.String(120), nullable=True),
    sa.Column("role", sa.String(16), nullable=False, server_default="user"),
    sa.Column("api_token_hash", sa.String(128), nullable=True, unique=True),
    sa.Column("blocked_at", Moment, nullable=True),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("last_seen_at", Moment, nullable=True),
)

listings = sa.Table(
    "listings",
    metadata,
    sa.Column("list_date", sa.Date, primary_key=True),
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("source", sa.String(32), nullable=False, comment="huggingface, submission, arxiv, ..."),
    sa.Column("submitter", sa.Text, nullable=True, comment="name given by the source"),
    sa.Column("submitted_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column(
        "source_upvotes", sa.Integer, nullable=False, server_default="0", comment="upvotes imported from the source"
    ),
    sa.Column("created_at", Moment, nullable=False),
    sa.Index("ix_listings_paper", "paper_id"),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", Moment, nullable=False),
    sa.Index("ix_votes_paper", "paper_id"),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("edited_at", Moment, nullable=True),
    sa.Column("hidden_at", Moment, nullable=True, comment="hidden by an admin"),
    sa.Column("deleted_at", Moment, nullable=True, comment="deleted by its author"),
    sa.Index("ix_comments_paper_created", "paper_id", "created_at"),
    sa.Index("ix_comments_parent_id", "parent_id"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column(
        "status", sa.String(16), nullable=False, server_default="pending", comment="pending, active, unsubscribed"
    ),
    sa.Column("frequency", sa.String(16), nullable=False, server_default="daily", comment="daily or weekly"),
    sa.Column("weekday", sa.Integer, nullable=True, comment="0=Monday, for weekly digests"),
    sa.Column("send_hour", sa.Integer, nullable=False, server_default="7"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("top_n", sa.Integer, nullable=False, server_default="10"),
    sa.Column("topics", Json, nullable=False, comment="free-text interests, each a saved search"),
    sa.Column("categories", Json, nullable=False),
    sa.Column("authors", Json, nullable=False),
    sa.Column("use_upvotes", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("confirmed_at", Moment, nullable=True),
    sa.Column("unsubscribed_at", Moment, nullable=True),
    sa.Column("permanent_failures", sa.Integer, nullable=False, server_default="0"),
)

digest_deliveries = sa.Table(
    "digest_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("period", sa.String(32), nullable=False, comment="e.g. daily:2026-02-03 or weekly:2026-W06"),
    sa.Column("status", sa.String(16), nullable=False, comment="claimed, sent, skipped, failed"),
    sa.Column("claimed_by", sa.String(128), nullable=True),
    sa.Column("claimed_at", Moment, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("sent_at", Moment, nullable=True),
    sa.Column("message_id", sa.String(255), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("subscription_id", "period"),
)

delivered_papers = sa.Table(
    "delivered_papers",
    metadata,
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("digest_deliveries.id", ondelete="CASCADE"), nullable=False),
)

source_state = sa.Table(
    "source_state",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True, comment="e.g. oai:cs:last_datestamp"),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", Moment, nullable=False),
)

embeddings = sa.Table(
    "embeddings",
    metadata,
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model", sa.String(200), nullable=False, comment="embedder that made the vector"),
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=True, comment="float32 little-endian, L2-normalised (SQLite)"),
    sa.Column(
        "embedding", Vector().with_variant(sa.LargeBinary(), "sqlite"), nullable=True, comment="pgvector (PostgreSQL)"
    ),
    sa.Column("content_hash", sa.String(32), nullable=False, comment="papers.content_hash it was made from"),
    sa.Column("updated_at", Moment, nullable=False, index=True),
    sa.Index("ix_embeddings_model", "model"),
)

# Accounts (migration 0004): one-time sign-in links and fixed-window rate-limit counters.
login_tokens = sa.Table(
    "login_tokens",
    metadata,
    sa.Column(
        "token_hash",
        sa.String(64),
        primary_key=True,
        comment="sha256 of the random token; the token itself is never stored",
    ),
    sa.Column("email", sa.String(320), nullable=False, index=True, comment="normalised to lower case"),
    sa.Column("next_url", sa.Text, nullable=True, comment="local path to go to after signing in"),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("expires_at", Moment, nullable=False, index=True),
    sa.Column("used_at", Moment, nullable=True),
    sa.Column("requested_ip", sa.String(64), nullable=True),
)

# Sessions (migration 0007): the session cookie holds a random id whose hash names a row here; signing
# out deletes the row, so a copy of the cookie taken before is worth nothing after.
user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column(
        "id_hash",
        sa.String(64),
        primary_key=True,
        comment="sha256 of the random session id; the id itself is never stored",
    ),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("expires_at", Moment, nullable=False, index=True),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True, comment="e.g. signin-ip:203.0.113.9"),
    sa.Column("window_start", sa.BigInteger, primary_key=True, comment="start of the fixed window, Unix seconds"),
    sa.Column("count", sa.Integer, nullable=False),
)

sa.Index("ix_listings_submitted_by_created", listings.c.submitted_by, listings.c.created_at)

# Background jobs (migration 0005): claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, under the one
# writer lock on SQLite; a lease that runs out (a killed worker) lets another worker take the job over.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False, comment="fetch, embed, index, send, prune"),
    sa.Column(
        "key",
        sa.String(200),
        nullable=True,
        unique=True,
        comment="dedupe key, e.g. send@2026-11-29T10:00:00+00:00: one job per kind and period",
    ),
    sa.Column("payload", Json, nullable=True),
    sa.Column("state", sa.String(16), nullable=False, comment="queued, running, done, failed"),
    sa.Column("run_at", Moment, nullable=False, comment="not claimed before this moment"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
    sa.Column("locked_by", sa.String(128), nullable=True, comment="worker id holding the lease"),
    sa.Column("locked_until", Moment, nullable=True, comment="lease end; a running job past it is taken over"),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("started_at", Moment, nullable=True),
    sa.Column("finished_at", Moment, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Index("ix_jobs_state_run_at", "state", "run_at"),
)

# Libraries (migration 0009): the papers each reader keeps (imported from a file or Zotero, or added), and the
# papers they marked "not interested"; both feed the For you ranking.
library_entries = sa.Table(
    "library_entries",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("origin", sa.String(16), nullable=False, comment="bibtex, ris, csl-json, ids, zotero, site"),
    sa.Column("added_at", Moment, nullable=False),
    sa.Index("ix_library_entries_paper_id", "paper_id"),
)

dismissed_papers = sa.Table(
    "dismissed_papers",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", Moment, nullable=False),
    sa.Index("ix_dismissed_papers_paper_id", "paper_id"),
)
