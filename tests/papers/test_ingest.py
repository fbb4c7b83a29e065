"""Ingestion of every file format: correct counts and fields, idempotence, versions, bad records, batches."""

from __future__ import annotations

import gzip
import json
import lzma
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperwire.errors import InvalidInput
from paperwire.papers.ingest import StrictStop, ingest_items
from paperwire.papers.load import ingest_paths
from paperwire.papers.record import PaperRecord, ParsedItem, VersionInfo
from paperwire.store import Store
from paperwire.store import papers as repo
from paperwire.store.schema import listings, paper_authors, paper_categories, paper_sources
from tests.conftest import FIXTURES

SOURCES = FIXTURES.parent / "sources" / "fixtures"
SNAPSHOT = FIXTURES / "snapshot-first200.jsonl"
PLAIN = FIXTURES / "papers-300.jsonl"
HF_ARCHIVE = FIXTURES / "hf-archive-2026-02-03.json"


def _count(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _paper(store: Store, paper_id: str) -> dict:
    with store.read() as conn:
        row = repo.get_paper(conn, paper_id)
    assert row is not None, paper_id
    return row


def test_snapshot_sample_ingests_with_its_fields_and_is_idempotent(store: Store) -> None:
    first = ingest_paths(store, [SNAPSHOT], batch_size=64)
    assert (first.added, first.updated, first.unchanged, first.skipped) == (200, 0, 0, 0)
    paper = _paper(store, "0704.0001")
    assert paper["title"] == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert paper["authors"] == [
        "C. Balázs",
        "E. L. Berger",
        "P. M. Nadolsky",
        "C. -P. Yuan",
    ]  # as authors_parsed spells it
    assert paper["categories"] == ["hep-ph"] and paper["primary_category"] == "hep-ph"
    assert paper["doi"] == "10.1103/PhysRevD.76.013009"
    assert paper["journal_ref"] == "Phys.Rev.D76:013009,2007"
    assert paper["published"] == date(2007, 4, 2) and paper["updated"] == date(2007, 7, 24)
    assert paper["version"] == 2 and paper["submitter"] == "Pavel Nadolsky"
    assert paper["abstract"].startswith(
        "A fully differential calculation in perturbative quantum chromodynamics is presented"
    )
    with store.read() as conn:
        assert [v["version"] for v in repo.paper_versions_of(conn, "0704.0001")] == [1, 2]
        authors = (
            conn.execute(
                sa.select(paper_authors.c.name_key)
                .where(paper_authors.c.paper_id == "0704.0001")
                .order_by(paper_authors.c.position)
            )
            .scalars()
            .all()
        )
    assert authors[0] == "c. balazs"
    second = ingest_paths(store, [SNAPSHOT], batch_size=64)
    assert (second.added, second.updated, second.unchanged, second.skipped) == (0, 0, 200, 0)
    assert _count(store, paper_categories) > 200


def test_plain_jsonl_and_compressed_copies_give_the_same_result(store: Store, tmp_path: Path) -> None:
    report = ingest_paths(store, [PLAIN])
    assert (report.added, report.skipped) == (300, 0)
    data = PLAIN.read_bytes()
    (tmp_path / "p.jsonl.gz").write_bytes(gzip.compress(data))
    (tmp_path / "p.jsonl.xz").write_bytes(lzma.compress(data))
    again = ingest_paths(store, [tmp_path / "p.jsonl.gz", tmp_path / "p.jsonl.xz"])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 600)
    first = json.loads(PLAIN.read_text().splitlines()[0])
    paper = _paper(store, first["id"])
    assert paper["categories"] == first["categories"]
    assert paper["published"] == date.fromisoformat(first["published"])
    assert paper["authors"] == first["authors"]


def test_hugging_face_archive_day_fills_the_daily_list_with_upvotes(store: Store) -> None:
    report = ingest_paths(store, [HF_ARCHIVE])
    doc = json.loads(HF_ARCHIVE.read_text())
    assert report.added == doc["count"] == 73
    with store.read() as conn:
        rows = conn.execute(sa.select(listings).where(listings.c.list_date == date(2026, 2, 3))).all()
    assert len(rows) == 73
    upvotes = {row.paper_id: row.source_upvotes for row in rows}
    assert upvotes["2602.00919"] == 280
    green = _paper(store, "2602.00919")
    assert green["code_url"] == "https://github.com/greenvla/GreenVLA"
    assert green["abstract"].startswith("We introduce Green-VLA")  # the scraper's AI summary prefix is gone
    assert ingest_paths(store, [HF_ARCHIVE]).unchanged == 73


def test_newer_upvotes_update_the_listing_not_the_paper(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [HF_ARCHIVE])
    doc = json.loads(HF_ARCHIVE.read_text())
    doc["papers"][0]["upvotes"] = 999
    changed = tmp_path / "day.json"
    changed.write_text(json.dumps(doc))
    report = ingest_paths(store, [changed])
    assert (report.updated, report.unchanged) == (1, 72)
    with store.read() as conn:
        votes = conn.execute(
            sa.select(listings.c.source_upvotes).where(listings.c.paper_id == "2602.00919")
        ).scalar_one()
    assert votes == 999


def test_hf_keyed_export_uses_v1_date_as_list_date(store: Store) -> None:
    report = ingest_paths(store, [FIXTURES / "hf-keyed-25.json"])
    assert report.added == 25
    with store.read() as conn:
        day = conn.execute(sa.select(listings.c.list_date).where(listings.c.paper_id == "2312.17653")).scalar_one()
    assert day == date(2023, 12, 24)


def test_api_atom_and_oai_fixtures_ingest(store: Store) -> None:
    report = ingest_paths(store, [SOURCES / "arxiv_api_page1.xml", SOURCES / "arxiv_api_page2.xml"])
    assert (report.added, report.skipped) == (5, 0)
    oai = ingest_paths(store, [SOURCES / "oai_arxivraw_page1.xml", SOURCES / "oai_arxivraw_page2.xml"])
    assert oai.skipped == 0 and oai.added + oai.updated == 4
    again = ingest_paths(store, [SOURCES / "oai_arxivraw_page1.xml", SOURCES / "oai_arxivraw_page2.xml"])
    assert again.unchanged == 4


def _record(version: int, title: str, **extra: object) -> ParsedItem:
    paper = PaperRecord(
        "2501.01234",
        title,
        "An abstract.",
        ("A. Author",),
        ("cs.CL",),
        version=version,
        versions=(VersionInfo(version),),
        **extra,
    )
    return ParsedItem(paper, "test", version)


def test_newer_version_updates_and_keeps_history_older_changes_nothing(store: Store) -> None:
    assert ingest_items(store, [_record(1, "First title")], source="test").added == 1
    assert ingest_items(store, [_record(2, "Second title")], source="test").updated == 1
    assert _paper(store, "2501.01234")["title"] == "Second title"
    stale = ingest_items(store, [_record(1, "First title")], source="test")
    assert stale.unchanged == 1
    paper = _paper(store, "2501.01234")
    assert (paper["title"], paper["version"]) == ("Second title", 2)
    with store.read() as conn:
        assert [v["version"] for v in repo.paper_versions_of(conn, "2501.01234")] == [1, 2]
        assert conn.execute(sa.select(paper_sources.c.source)).scalars().all() == ["test"]


def test_fields_a_source_lacks_are_kept(store: Store) -> None:
    ingest_items(store, [_record(1, "Title", doi="10.1/x")], source="test")
    bare = ParsedItem(PaperRecord("2501.01234", "Title", version=1), "test", 1)
    assert ingest_items(store, [bare], source="test").unchanged == 1
    assert _paper(store, "2501.01234")["doi"] == "10.1/x"


def test_bad_records_are_reported_with_their_place_and_skipped(store: Store, tmp_path: Path) -> None:
    lines = [
        '{"id": "2501.00001", "title": "Good one", "abstract": "fine"}',
        "{not json",
        '{"id": "2501.00002", "abstract": "no title"}',
        '{"id": "2501.00003", "title": "Bad day", "abstract": "x", "published": "2025-02-30"}',
        '{"title": "No id", "abstract": "x"}',
        '{"id": "not-an-id", "title": "Bad id", "abstract": "x"}',
        '{"id": "2501.00004", "title": "Good two", "abstract": "fine", "authors": "A. One, B. Two and C. Three"}',
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 5)
    assert [(e.line, e.file) for e in report.errors] == [(n, str(path)) for n in (2, 3, 4, 5, 6)]
    reasons = [e.reason for e in report.errors]
    assert reasons[0].startswith("bad JSON")
    assert reasons[1] == "missing title"
    assert "2025-02-30" in reasons[2]
    assert reasons[3] == "missing id"
    assert "not an arXiv id" in reasons[4]
    assert _paper(store, "2501.00004")["authors"] == ["A. One", "B. Two", "C. Three"]


def test_strict_stops_at_the_first_bad_record(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "strict.jsonl"
    path.write_text(
        '{"id": "2501.00001", "title": "T", "abstract": "a"}\n{oops\n{"id": "2501.00002", "title": "U", "abstract": "b"}\n'
    )
    with pytest.raises(StrictStop, match=r"strict.jsonl:2: bad JSON") as stop:
        ingest_paths(store, [path], strict=True)
    assert (stop.value.report.added, stop.value.report.skipped) == (1, 1)
    with store.read() as conn:
        assert repo.get_paper(conn, "2501.00002") is None


def test_a_crash_loses_nothing_committed_and_a_rerun_finishes(store: Store) -> None:
    items = [ParsedItem(PaperRecord(f"2501.{n:05d}", f"Paper {n}", "x"), "gen", n) for n in range(1, 251)]

    def crashing():
        for item in items:
            if item.line == 180:
                raise RuntimeError("power cut")
            yield item

    with pytest.raises(RuntimeError):
        ingest_items(store, crashing(), source="test", batch_size=50)
    with store.read() as conn:
        assert repo.counts(conn)["papers"] == 150  # three whole batches were committed
    rerun = ingest_items(store, items, source="test", batch_size=50)
    assert (rerun.added, rerun.unchanged) == (100, 150)


def test_the_same_paper_twice_in_one_batch_counts_once_as_added(store: Store) -> None:
    item = ParsedItem(PaperRecord("2501.00009", "Twice", "x"), "f", 1)
    report = ingest_items(store, [item, item], source="test")
    assert (report.added, report.unchanged) == (1, 1)


def test_unreadable_inputs_are_user_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        ingest_paths(store, [tmp_path / "missing.jsonl"])
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InvalidInput, match="empty file"):
        ingest_paths(store, [tmp_path / "empty.jsonl"])
    (tmp_path / "weird.txt").write_text("hello")
    with pytest.raises(InvalidInput, match="unknown format"):
        ingest_paths(store, [tmp_path / "weird.txt"])


def test_truncated_xml_is_reported_not_fatal(store: Store) -> None:
    report = ingest_paths(store, [SOURCES / "truncated.xml"], fmt="atom")
    assert report.skipped >= 1 and report.errors[-1].line > 0
