"""keyword search on PostgreSQL: a weighted tsvector column on papers and author-name tsvectors, GIN-indexed

Revision ID: 0003
Revises: 0002

Nothing on SQLite (its keyword index is an embedded tantivy index in the home folder).
On PostgreSQL the database keeps the search data current itself:
- papers.search_tsv, a generated stored column: title (weight A), abstract (B), authors (C), English
  stemming, common Latin accents folded by paperwire_fold(); GIN index ix_papers_search_tsv.
- ix_paper_authors_name_tsv: GIN over paperwire_name_tsv(name_key) ('simple' words of the folded name,
  with . - and apostrophes as separators), for author:"Name" filters within one author.
These objects are not in schema.py's metadata (tests/store/test_database.py names them).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Latin letters with diacritics and their bare ASCII letter, one for one (translate() maps characters).
_ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺ"
    "ĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇ"
    "ȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳøØłŁđĐħĦı"
)
_BARE = (
    "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLl"
    "LlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzsOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEe"
    "EeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyoOlLdDhHi"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    assert len(_ACCENTED) == len(_BARE)
    op.execute(
        "CREATE OR REPLACE FUNCTION paperwire_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT translate($1, '{_ACCENTED}', '{_BARE}') $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION paperwire_name_tsv(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT "
        "PARALLEL SAFE AS $$ SELECT to_tsvector('simple'::regconfig, translate($1, '.-''’', '    ')) $$"
    )
    op.execute(
        "ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ("
        " setweight(to_tsvector('english'::regconfig, paperwire_fold(title)), 'A')"
        " || setweight(to_tsvector('english'::regconfig, paperwire_fold(abstract)), 'B')"
        " || setweight(to_tsvector('english'::regconfig, paperwire_fold(authors::text)), 'C')"
        ") STORED"
    )
    op.execute("CREATE INDEX ix_papers_search_tsv ON papers USING gin (search_tsv)")
    op.execute("CREATE INDEX ix_paper_authors_name_tsv ON paper_authors USING gin (paperwire_name_tsv(name_key))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_paper_authors_name_tsv")
    op.execute("DROP INDEX IF EXISTS ix_papers_search_tsv")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_tsv")
    op.execute("DROP FUNCTION IF EXISTS paperwire_name_tsv(text)")
    op.execute("DROP FUNCTION IF EXISTS paperwire_fold(text)")
