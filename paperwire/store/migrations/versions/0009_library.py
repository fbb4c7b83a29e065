"""library: the papers each reader keeps, their "not interested" marks, and an index on lower(papers.doi)

Revision ID: 0009
Revises: 0008

Entries come from imported files (BibTeX, RIS, CSL-JSON, a list of ids), a Zotero library or the site; the
DOI index serves the second step of matching an imported entry to a paper (arXiv id, then DOI, then title).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _user_paper_table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.String(length=64), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=op.f(f"fk_{name}_paper_id_papers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "paper_id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_paper_id"), name, ["paper_id"])


def upgrade() -> None:
    _user_paper_table(
        "library_entries",
        sa.Column("origin", sa.String(length=16), nullable=False, comment="bibtex, ris, csl-json, ids, zotero, site"),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    _user_paper_table("dismissed_papers", sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_papers_doi_lower", "papers", [sa.text("lower(doi)")])


def downgrade() -> None:
    op.drop_index("ix_papers_doi_lower", table_name="papers")
    for name in ("dismissed_papers", "library_entries"):
        op.drop_index(op.f(f"ix_{name}_paper_id"), table_name=name)
        op.drop_table(name)
