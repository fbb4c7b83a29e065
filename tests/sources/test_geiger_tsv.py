"""Geiger's arXiv archive TSV: real rows (quoted newlines, old-style and numerically damaged ids), ingest, bad rows."""

from __future__ import annotations

import io
import json
import lzma
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.papers.load import ingest_paths
from paperwire.papers.record import ParsedItem, RecordError
from paperwire.sources.files import detect_format, iter_file
from paperwire.sources.geiger_tsv import iter_tsv, repair_arxiv_id
from paperwire.store import Store
from paperwire.store import papers as repo
from tests.conftest import FIXTURES

# 11 rows copied byte for byte from processed_data/20200101/per_category/cs.GL.tsv.xz, with its header.
SAMPLE = FIXTURES / "geiger-cs.GL-sample.tsv"
SAMPLE_IDS = [
    "cs/9301114",
    "cs/9809010",
    "quant-ph/9809016",
    "quant-ph/9905043",
    "0705.0742",
    "0810.4000",
    "1012.4170",
    "1503.08776",
    "1506.06270",
    "1603.06018",
    "1811.06825",
]


def _parse(text: str, name: str = "t.tsv") -> list[ParsedItem | RecordError]:
    return list(iter_tsv(io.StringIO(text, newline=""), name))


def _sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)


def test_sample_rows_parse_with_their_fields_and_first_lines() -> None:
    items = _parse(SAMPLE.read_text(encoding="utf-8"), "s.tsv")
    assert all(isinstance(item, ParsedItem) for item in items)
    assert [item.paper.arxiv_id for item in items] == SAMPLE_IDS
    # rows 2 and 3 hold a newline inside a quoted comments field, so they span two lines each
    assert [item.line for item in items][:5] == [2, 3, 5, 7, 8]
    knuth, bell, rieffel, blais = (item.paper for item in items[:4])
    assert knuth.title == "Theory and practice" and knuth.authors == ("Donald E. Knuth",)
    assert knuth.published == date(1991, 10, 31) and knuth.updated is None and knuth.doi is None
    assert knuth.abstract.startswith("The author argues to Silicon Valley") and not knuth.abstract.endswith(" ")
    assert bell.comments == "Original document at: http://research.microsoft.com/~gray/Revolution.doc"
    assert bell.authors == ("C. Gordon Bell", "Jim Gray")
    assert rieffel.categories == ("quant-ph", "cs.GL")  # primary first
    assert rieffel.published == date(1998, 9, 8) and rieffel.updated == date(2000, 1, 18)
    assert blais.doi == "10.1103/PhysRevA.61.042308"
    assert blais.categories == ("quant-ph", "cond-mat.mes-hall", "cond-mat.other", "cond-mat.supr-con", "cs.GL")
    assert items[9].paper.title == "Philosophical Solution to P=?NP: P is Equal to NP"
    assert items[9].paper.published == date(2016, 3, 18)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("705.0742", "0705.0742"),  # leading zero lost
        ("810.4", "0810.4000"),  # trailing zeros lost
        ("1012.417", "1012.4170"),
        ("1506.0627", "1506.06270"),  # five digits from 2015 on
        ("1603.0601800000002", "1603.06018"),  # float noise
        ("1701.0776899999998", "1701.07769"),
        ("1503.08776", "1503.08776"),  # undamaged
        ("cs/9301114", "cs/9301114"),
        (" math.GT/0309136 ", "math.GT/0309136"),
    ],
)
def test_numerically_damaged_ids_are_restored(raw: str, expected: str) -> None:
    assert repair_arxiv_id(raw) == expected


def test_a_number_with_more_digits_than_an_id_is_not_rounded_into_one() -> None:
    assert repair_arxiv_id("1706.037621") == "1706.037621"
    [error] = _parse(_sample_lines()[0] + _sample_lines()[1].replace("\tcs/9301114\t", "\t1706.037621\t"))
    assert isinstance(error, RecordError) and error.line == 2 and "not an arXiv id: '1706.037621'" in error.reason


def test_detected_plain_and_xz(tmp_path: Path) -> None:
    packed = tmp_path / "cs.GL.tsv.xz"
    packed.write_bytes(lzma.compress(SAMPLE.read_bytes()))
    assert detect_format(SAMPLE) == "tsv" and detect_format(packed) == "tsv"
    with packed.open("rb") as raw, lzma.LZMAFile(raw) as stream:
        items = list(iter_file(stream, str(packed), "tsv"))
    assert [item.paper.arxiv_id for item in items] == SAMPLE_IDS


def test_a_tsv_without_the_required_columns_is_not_taken_for_this_format(tmp_path: Path) -> None:
    other = tmp_path / "other.tsv"
    other.write_text("name\tvalue\nx\t1\n")
    with pytest.raises(InvalidInput, match="unknown format"):
        detect_format(other)
    [error] = _parse("arxiv_id\ttitle\nx\ty\n")
    assert error == RecordError("t.tsv", 1, "header row lacks the column(s) abstract")


def test_ingest_round_trip_is_idempotent(store: Store, tmp_path: Path) -> None:
    first = ingest_paths(store, [SAMPLE], batch_size=4)
    assert (first.added, first.updated, first.unchanged, first.skipped, first.errors) == (11, 0, 0, 0, [])
    packed = tmp_path / "cs.GL.tsv.xz"
    packed.write_bytes(lzma.compress(SAMPLE.read_bytes()))
    again = ingest_paths(store, [packed])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 11)
    with store.read() as conn:
        stored = {paper_id: repo.get_paper(conn, paper_id) for paper_id in SAMPLE_IDS}
    blais = stored["quant-ph/9905043"]
    assert blais["title"] == "Operation of universal gates in a DXD superconducting solid state quantum computer"
    assert blais["authors"] == ["Alexandre Blais", "Alexandre M. Zagoskin"]
    assert blais["categories"][0] == "quant-ph" and blais["primary_category"] == "quant-ph"
    assert blais["published"] == date(1999, 5, 13) and blais["updated"] == date(2000, 4, 7)
    assert blais["doi"] == "10.1103/PhysRevA.61.042308" and blais["comments"] == "4 pages, 2 figures"
    assert stored["0810.4000"]["title"] == "Le trading algorithmique"
    assert stored["cs/9809010"]["comments"].startswith("Original document at: http://")


def test_malformed_rows_are_reported_with_their_line_and_skipped(settings: Settings, tmp_path: Path) -> None:
    lines = _sample_lines()
    header, knuth, mimo = lines[0], lines[1], lines[7]  # 0705.0742 is on line 8 alone
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        header
        + knuth  # line 2: good
        + "1\tan abstract\tonly three fields\n"  # line 3
        + knuth.replace("\tcs/9301114\t", "\tnot-an-id\t")  # line 4
        + knuth.replace("1991-10-31", "1991-02-30")  # line 5
        + knuth.replace("\tTheory and practice\t", '\t"Theory" and practice\t')  # line 6: a quote inside a field
        + mimo,  # line 7: good
        encoding="utf-8",
    )
    env = {"PAPERWIRE_HOME": str(settings.home), "PAPERWIRE_DATABASE_URL": settings.database_url or ""}
    result = CliRunner().invoke(app, ["ingest", str(bad), "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["skipped"]) == (2, 4)
    assert [(e["line"], e["reason"]) for e in report["errors"]] == [
        (3, "expected 15 fields, got 3"),
        (4, "not an arXiv id: 'not-an-id' (expected e.g. 2503.11731 or hep-th/9901001)"),
        (5, "created: impossible or unreadable date '1991-02-30'"),
        (6, "bad TSV row: '\\t' expected after '\"'"),
    ]
    assert {e["file"] for e in report["errors"]} == {str(bad)}
    plain = CliRunner().invoke(app, ["ingest", str(bad)], env=env)
    assert f"{bad}:3: expected 15 fields, got 3" in plain.stderr
    assert "added 0, updated 0, unchanged 2, skipped 4" in plain.stdout
    strict = CliRunner().invoke(app, ["ingest", str(bad), "--strict"], env=env)
    assert strict.exit_code == 3 and f"{bad}:3: expected 15 fields, got 3" in strict.stderr
