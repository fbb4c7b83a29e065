"""search filters on PostgreSQL's vector rows: each embedding carries its paper's date, categories and visibility

Revision ID: 0011
Revises: 0010

pgvector's iterative HNSW scan checks the search filters on every index row it visits. With the filters on the
papers table each visited row was joined to its paper (a primary-key probe into a 3 kB row) and to
paper_categories (another probe); at 287 k papers that join was most of a filtered search. Now embeddings keeps
copies of papers.published, papers.hidden and papers.categories (as text[]), so the scan reads one row:
- a BEFORE INSERT trigger on embeddings fills them from the paper;
- an AFTER UPDATE trigger on papers, only for rows whose date, visibility or categories changed (a vote or a
  stamp fires nothing), copies the new values to its embedding.
Filled from the papers present when it runs. Nothing on SQLite (its vector index is a file per node, filtered
by paper rows it reads itself).
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CATEGORIES = "ARRAY(SELECT jsonb_array_elements_text({t}.categories))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE embeddings ADD COLUMN published date, ADD COLUMN hidden boolean NOT NULL DEFAULT false, "
        "ADD COLUMN categories text[] NOT NULL DEFAULT '{}'"
    )
    op.execute(
        f"UPDATE embeddings e SET published = p.published, hidden = p.hidden, categories = {CATEGORIES.format(t='p')} "
        "FROM papers p WHERE p.id = e.paper_id"
    )
    op.execute(
        "CREATE FUNCTION paperwire_embedding_filters() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"SELECT p.published, p.hidden, {CATEGORIES.format(t='p')} INTO NEW.published, NEW.hidden, NEW.categories "
        "FROM papers p WHERE p.id = NEW.paper_id; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER paperwire_embedding_filters BEFORE INSERT ON embeddings "
        "FOR EACH ROW EXECUTE FUNCTION paperwire_embedding_filters()"
    )
    op.execute(
        "CREATE FUNCTION paperwire_paper_filters() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE embeddings SET published = NEW.published, hidden = NEW.hidden, categories = {CATEGORIES.format(t='NEW')} "
        "WHERE paper_id = NEW.id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER paperwire_paper_filters AFTER UPDATE ON papers FOR EACH ROW "
        "WHEN (OLD.published IS DISTINCT FROM NEW.published OR OLD.hidden IS DISTINCT FROM NEW.hidden "
        "OR OLD.categories IS DISTINCT FROM NEW.categories) EXECUTE FUNCTION paperwire_paper_filters()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS paperwire_paper_filters ON papers")
    op.execute("DROP FUNCTION IF EXISTS paperwire_paper_filters()")
    op.execute("DROP TRIGGER IF EXISTS paperwire_embedding_filters ON embeddings")
    op.execute("DROP FUNCTION IF EXISTS paperwire_embedding_filters()")
    op.execute("ALTER TABLE embeddings DROP COLUMN published, DROP COLUMN hidden, DROP COLUMN categories")
