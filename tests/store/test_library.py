"""store.library on SQLite and PostgreSQL: library entries and "not interested" marks as the For you ranking reads
them, the look-ups that match imported entries, and migration 0009 down and up again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command

from paperwire.accounts.users import add_user
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.store import Store
from paperwire.store import library as repo
from paperwire.store.migrate import alembic_config, current_revision, head_revision, upgrade
from paperwire.store.schema import papers

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _papers(store: Store, *records: PaperRecord) -> None:
    items = [ParsedItem(p, "t", n) for n, p in enumerate(records, 1)]
    assert not ingest_items(store, items, source="test").errors


def _paper(pid: str, title: str, doi: str | None = None) -> PaperRecord:
    return PaperRecord(pid, title, "An abstract.", ("A. Author",), ("cs.CL",), doi=doi)


def test_library_entries_newest_first_hidden_left_out_and_per_user(store: Store) -> None:
    _papers(store, _paper("2601.00001", "One"), _paper("2601.00002", "Two"), _paper("hep-th/9901001", "Old"))
    reader, other = add_user(store, "reader@example.org")["id"], add_user(store, "other@example.org")["id"]
    with store.write() as conn:
        assert repo.add_to_library(conn, reader, ["2601.00001", "hep-th/9901001"], "bibtex", NOW) == 2
        assert repo.add_to_library(conn, reader, ["2601.00002", "2601.00001"], "ids", NOW + timedelta(hours=1)) == 1
        assert repo.add_to_library(conn, other, ["2601.00001"], "zotero", NOW) == 1
    with store.read() as conn:
        assert repo.library_paper_ids(conn, reader) == ["2601.00002", "2601.00001", "hep-th/9901001"]
        rows = repo.library_rows(conn, reader, limit=10)
        assert [(r["id"], r["origin"]) for r in rows] == [
            ("2601.00002", "ids"),
            ("2601.00001", "bibtex"),  # added again by the second import: keeps its first origin
            ("hep-th/9901001", "bibtex"),
        ]
        assert rows[1]["title"] == "One" and rows[1]["authors"] == ["A. Author"]
        assert repo.library_paper_ids(conn, other) == ["2601.00001"]
        assert repo.count_library(conn, reader) == 3
    with store.write() as conn:
        conn.execute(sa.text("UPDATE papers SET hidden = :h WHERE id = '2601.00002'"), {"h": True})
        assert repo.remove_from_library(conn, reader, "hep-th/9901001")
        assert not repo.remove_from_library(conn, reader, "hep-th/9901001")
    with store.read() as conn:
        assert repo.library_paper_ids(conn, reader) == ["2601.00001"]
        assert (
            repo.count_library(conn, reader) == 1 and repo.library_rows(conn, reader, limit=10)[0]["id"] == "2601.00001"
        )
        assert repo.in_library(conn, reader, ["2601.00001", "2601.00002", "hep-th/9901001"]) == {
            "2601.00001",
            "2601.00002",
        }


def test_dismissed_marks_undo_and_user_deletion_cascades(store: Store) -> None:
    _papers(store, _paper("2601.00001", "One"), _paper("2601.00002", "Two"))
    reader = add_user(store, "reader@example.org")["id"]
    with store.write() as conn:
        assert repo.dismiss(conn, reader, "2601.00001", NOW)
        assert not repo.dismiss(conn, reader, "2601.00001", NOW + timedelta(minutes=5))
        assert repo.dismiss(conn, reader, "2601.00002", NOW + timedelta(minutes=1))
    with store.read() as conn:
        assert repo.dismissed_paper_ids(conn, reader) == ["2601.00002", "2601.00001"]
        assert [r["id"] for r in repo.dismissed_rows(conn, reader, limit=10)] == ["2601.00002", "2601.00001"]
        assert repo.dismissed_among(conn, reader, ["2601.00001", "2601.00009"]) == {"2601.00001"}
        assert repo.dismissed_among(conn, None, ["2601.00001"]) == set()
    with store.write() as conn:
        assert repo.undismiss(conn, reader, "2601.00002") and not repo.undismiss(conn, reader, "2601.00002")
        assert repo.undismiss_many(conn, reader, ["2601.00001", "2601.00002"]) == 1
        repo.dismiss(conn, reader, "2601.00001", NOW)
        repo.add_to_library(conn, reader, ["2601.00002"], "site", NOW)
        conn.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": reader})
    with store.read() as conn:
        assert repo.dismissed_paper_ids(conn, reader) == [] and repo.library_paper_ids(conn, reader) == []


def test_lookups_match_ids_dois_case_blind_and_titles_in_pages(store: Store, monkeypatch) -> None:
    _papers(
        store,
        _paper("2601.00001", "One", doi="10.1000/ABC.Def"),
        _paper("2601.00002", "Two", doi="10.1000/other"),
        _paper("2601.00003", "Three"),
        _paper("2601.00004", "Hidden", doi="10.1000/hidden"),
    )
    with store.write() as conn:
        conn.execute(sa.text("UPDATE papers SET hidden = :h WHERE id = '2601.00004'"), {"h": True})
    monkeypatch.setattr(repo, "TITLE_SCAN_ROWS", 2)  # several pages, the last one short
    with store.read() as conn:
        assert repo.visible_ids(conn, ["2601.00001", "2601.00004", "2601.09999"]) == {"2601.00001"}
        assert repo.hidden_ids(conn, ["2601.00001", "2601.00004"]) == {"2601.00004"}
        assert repo.ids_by_doi(conn, ["10.1000/abc.DEF", "10.1000/hidden", "10.1000/none"]) == {
            "10.1000/abc.def": "2601.00001"
        }
        assert list(repo.iter_titles(conn)) == [("2601.00001", "One"), ("2601.00002", "Two"), ("2601.00003", "Three")]
        if store.dialect == "sqlite":  # the DOI step goes through the index on lower(doi), not a scan
            doi = sa.func.lower(papers.c.doi)
            query = sa.select(doi, papers.c.id).where(doi.in_(["10.1000/x"]), papers.c.hidden.is_(False))
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "USING INDEX ix_papers_doi_lower" in plan, plan


def _downgrade(store: Store, revision: str) -> None:
    config = alembic_config()
    with store.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def test_0009_down_and_up(store: Store) -> None:
    def tables() -> set[str]:
        with store.engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())

    def paper_indexes() -> set[str]:  # read from the catalogue: SQLAlchemy does not reflect expression indexes
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'papers'"
            if store.dialect == "sqlite"
            else "SELECT indexname FROM pg_indexes WHERE tablename = 'papers'"
        )
        with store.engine.connect() as conn:
            return set(conn.execute(sa.text(sql)).scalars())

    assert {"library_entries", "dismissed_papers"} <= tables() and "ix_papers_doi_lower" in paper_indexes()
    _downgrade(store, "0008")
    assert current_revision(store) == "0008"
    assert not {"library_entries", "dismissed_papers"} & tables() and "ix_papers_doi_lower" not in paper_indexes()
    assert upgrade(store)[:2] == ["0009", "0010"] and current_revision(store) == head_revision()
    assert {"library_entries", "dismissed_papers"} <= tables() and "ix_papers_doi_lower" in paper_indexes()
