"""keyword statistics on PostgreSQL: document frequencies and corpus totals, kept by statement triggers, for BM25

Revision ID: 0010
Revises: 0008

PostgreSQL's ts_rank_cd has no inverse document frequency, so keyword search on PostgreSQL ranks by a BM25
computed in SQL (paperwire.store.bm25_rows) from:
- keyword_terms: per lexeme of papers.search_tsv, the number of papers holding it;
- keyword_stats: one row, the number of papers and the sum of their title + abstract lengths (characters).
Statement-level AFTER triggers on papers keep both current from the transition tables (one grouped upsert per
statement, lexemes in sorted order so concurrent writers lock them in the same order); an UPDATE counts only the
rows whose search_tsv changed. Filled from the papers present when the migration runs. Nothing on SQLite (its
keyword index is tantivy, which keeps its own statistics).
"""

from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

_LENGTH = "coalesce(octet_length({t}.title), 0) + coalesce(octet_length({t}.abstract), 0)"


def _count(rows: str, sign: str) -> str:
    """SQL adding `sign`1 per paper of the transition table `rows` to each of its lexemes and to the totals."""
    return f"""
        INSERT INTO keyword_terms AS t (lexeme, papers)
        SELECT lexeme, {sign}count(*) FROM {rows}, unnest(tsvector_to_array({rows}.search_tsv)) AS lexeme
        GROUP BY lexeme ORDER BY lexeme
        ON CONFLICT (lexeme) DO UPDATE SET papers = t.papers + excluded.papers;
        UPDATE keyword_stats SET papers = papers + {sign}(SELECT count(*) FROM {rows}),
            characters = characters + {sign}(SELECT coalesce(sum({_LENGTH.format(t=rows)}), 0) FROM {rows})
        WHERE EXISTS (SELECT 1 FROM {rows});"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE keyword_terms (lexeme text PRIMARY KEY, papers integer NOT NULL)")
    op.execute(
        "CREATE TABLE keyword_stats (single boolean PRIMARY KEY DEFAULT true CHECK (single), "
        "papers bigint NOT NULL, characters bigint NOT NULL)"
    )
    op.execute(
        "CREATE FUNCTION paperwire_keyword_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f"{_count('new_rows', '+')} RETURN NULL; END $$"
    )
    op.execute(
        "CREATE FUNCTION paperwire_keyword_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f"{_count('old_rows', '-')} RETURN NULL; END $$"
    )
    # An update: the changed rows' old lexemes out, their new ones in (votes and stamps change nothing here).
    changed = " UNION ALL ".join(
        f"SELECT {t}.search_tsv AS tsv, {sign} AS sign, {_LENGTH.format(t=t)} AS length "
        "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.search_tsv IS DISTINCT FROM n.search_tsv"
        for t, sign in (("o", -1), ("n", 1))
    )
    op.execute(
        "CREATE FUNCTION paperwire_keyword_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"WITH changed AS ({changed}), terms AS ("
        " INSERT INTO keyword_terms AS t (lexeme, papers)"
        " SELECT lexeme, sum(c.sign) FROM changed c, unnest(tsvector_to_array(c.tsv)) AS lexeme"
        " GROUP BY lexeme HAVING sum(c.sign) <> 0 ORDER BY lexeme"
        " ON CONFLICT (lexeme) DO UPDATE SET papers = t.papers + excluded.papers) "
        "UPDATE keyword_stats SET characters = characters + (SELECT sum(sign * length) FROM changed) "
        "WHERE EXISTS (SELECT 1 FROM changed); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER paperwire_keyword_insert AFTER INSERT ON papers REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION paperwire_keyword_insert()"
    )
    op.execute(
        "CREATE TRIGGER paperwire_keyword_update AFTER UPDATE ON papers "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION paperwire_keyword_update()"
    )
    op.execute(
        "CREATE TRIGGER paperwire_keyword_delete AFTER DELETE ON papers REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION paperwire_keyword_delete()"
    )
    op.execute("SET LOCAL work_mem = '256MB'")
    op.execute(
        "INSERT INTO keyword_terms (lexeme, papers) SELECT lexeme, count(*) FROM papers, "
        "unnest(tsvector_to_array(search_tsv)) AS lexeme GROUP BY lexeme"
    )
    op.execute(
        f"INSERT INTO keyword_stats (papers, characters) SELECT count(*), coalesce(sum({_LENGTH.format(t='papers')}), 0) "
        "FROM papers"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS paperwire_keyword_{name} ON papers")
        op.execute(f"DROP FUNCTION IF EXISTS paperwire_keyword_{name}()")
    op.execute("DROP TABLE IF EXISTS keyword_stats")
    op.execute("DROP TABLE IF EXISTS keyword_terms")
