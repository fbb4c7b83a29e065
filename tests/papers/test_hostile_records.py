"""Hostile and malformed records in every input format: each is reported with its place, the rest land.

Every case starts from the record an attacker or a broken scraper would write, between good records.
"""

from __future__ import annotations

import copy
import gzip
import json
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paperwire.papers.load import ingest_paths
from paperwire.papers.record import (
    MAX_ABSTRACT_CHARS,
    MAX_AUTHOR_NAME_CHARS,
    MAX_AUTHORS,
    MAX_COMMENTS_CHARS,
    MAX_TITLE_CHARS,
)
from paperwire.store import Store
from paperwire.store import papers as repo
from tests.conftest import FIXTURES

SOURCES = FIXTURES.parent / "sources" / "fixtures"
SNAPSHOT_LINES = (FIXTURES / "snapshot-first200.jsonl").read_text(encoding="utf-8").splitlines()
HF_ARCHIVE = json.loads((FIXTURES / "hf-archive-2026-02-03.json").read_text(encoding="utf-8"))
HF_API = json.loads((SOURCES / "hf_api_daily.json").read_text(encoding="utf-8"))
OVERFLOWING_DATE = "9999-12-31T23:59:59-12:00"


def _plain(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"2501.{n:05d}", "title": f"Good paper {n}", "abstract": "fine", **fields}


def _stored(store: Store, paper_id: str) -> dict | None:
    with store.read() as conn:
        return repo.get_paper(conn, paper_id)


def _jsonl(tmp_path: Path, hostile: dict[str, Any]) -> Path:
    path = tmp_path / "hostile.jsonl"
    lines = [_plain(1), hostile, _plain(3)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _snapshot(tmp_path: Path, mutate: Callable[[dict], None]) -> Path:
    path = tmp_path / "hostile-snapshot.jsonl"
    record = json.loads(SNAPSHOT_LINES[1])
    mutate(record)
    path.write_text("\n".join([SNAPSHOT_LINES[0], json.dumps(record), SNAPSHOT_LINES[2]]) + "\n", encoding="utf-8")
    return path


def _hf_archive(tmp_path: Path, mutate: Callable[[dict], None]) -> Path:
    day = copy.deepcopy(HF_ARCHIVE)
    day["papers"] = day["papers"][:3]
    mutate(day["papers"][1])
    path = tmp_path / "hostile-hf.json"
    path.write_text(json.dumps(day), encoding="utf-8")
    return path


def _hf_api(tmp_path: Path, mutate: Callable[[dict], None]) -> Path:
    items = copy.deepcopy(HF_API)
    mutate(items[1])
    path = tmp_path / "hostile-hf-api.json"
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    return path


def _set(key: str, value: Any) -> Callable[[dict], None]:
    def mutate(record: dict) -> None:
        record[key] = value

    return mutate


def _set_in_paper(key: str, value: Any) -> Callable[[dict], None]:
    def mutate(item: dict) -> None:
        item["paper"][key] = value

    return mutate


# (builder, hostile input, what the reason must say)
JSONL_ATTACKS = {
    "categories-int": (_plain(2, categories=123), "categories"),
    "categories-list-of-ints": (_plain(2, categories=[1, 2]), "categories"),
    "authors-int": (_plain(2, authors=7), "authors"),
    "authors-dict": (_plain(2, authors={"name": "x"}), "authors"),
    "huge-version": (_plain(2, id="2501.00002v99999999999999999999"), "version"),
    "version-zero": (_plain(2, id="2501.00002v0"), "version"),
    "thousands-of-digits-version": (_plain(2, id="2501.00002v" + "9" * 5000), "version"),
    "unicode-digit-id": (_plain(2, id="2501.\u0660\u0661\u0662\u0663\u0664"), "not an arXiv id"),
    "long-archive-name": (_plain(2, id="a" * 80 + "/1234567"), "not an arXiv id"),
    "integer-summary": ({"id": "2501.00002", "title": "T", "summary": 5}, "summary"),
    "integer-title": (_plain(2, title=17), "title"),
    "published-before-arxiv": (_plain(2, published="1990-12-31"), "published"),
    "published-far-future": (_plain(2, published="2999-01-01"), "published"),
    "updated-overflowing": (_plain(2, updated=OVERFLOWING_DATE), "updated"),
    "nul-in-title": (_plain(2, title="Good\u0000paper"), "NUL"),
    "bell-in-title": (_plain(2, title="Good\u0007paper"), "control character U+0007"),
    "lone-surrogate": (_plain(2, abstract="bad \ud800 text"), "surrogate"),
    "title-too-long": (_plain(2, title="t" * (MAX_TITLE_CHARS + 1)), "title"),
    "abstract-too-long": (_plain(2, abstract="a " * MAX_ABSTRACT_CHARS), "abstract"),
    "too-many-authors": (_plain(2, authors=[f"A{n}" for n in range(MAX_AUTHORS + 1)]), "authors"),
    "author-name-too-long": (_plain(2, authors=["x" * (MAX_AUTHOR_NAME_CHARS + 1)]), "author"),
    "comments-too-long": (_plain(2, comments="c" * (MAX_COMMENTS_CHARS + 1)), "comments"),
    "url-not-a-string": (_plain(2, code_url={"href": "https://x"}), "code_url"),
}


@pytest.mark.parametrize("hostile, reason", JSONL_ATTACKS.values(), ids=JSONL_ATTACKS.keys())
def test_plain_jsonl_hostile_record_is_reported_and_the_rest_land(
    store: Store, tmp_path: Path, hostile: dict, reason: str
) -> None:
    path = _jsonl(tmp_path, hostile)
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 1), report.errors
    [error] = report.errors
    assert (error.file, error.line) == (str(path), 2)
    assert reason in error.reason
    assert len(error.reason) < 300  # the hostile value is not echoed in full
    assert _stored(store, "2501.00001") and _stored(store, "2501.00003")


SNAPSHOT_ATTACKS = {
    "huge-version-label": (
        _set("versions", [{"version": "v99999999999999999999", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]),
        "version",
    ),
    "superscript-version-label": (
        _set("versions", [{"version": "v\u00b2", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]),
        "version",
    ),
    "overflowing-created": (_set("versions", [{"version": "v1", "created": OVERFLOWING_DATE}]), "date"),
    "created-int": (_set("versions", [{"version": "v1", "created": 5}]), "date"),
    "versions-dict": (_set("versions", {"v1": 1}), "versions"),
    "categories-int": (_set("categories", 123), "categories"),
    "authors-int-no-parsed": (lambda r: (r.pop("authors_parsed"), r.update(authors=7)), "authors"),
    "authors-parsed-ints": (_set("authors_parsed", [[1, 2, 3]]), "authors_parsed"),
    "update-date-ancient": (lambda r: (r.update(update_date="1850-01-01"), r.update(versions=[])), "update_date"),
    "comments-list": (_set("comments", ["x"]), "comments"),
}


@pytest.mark.parametrize("mutate, reason", SNAPSHOT_ATTACKS.values(), ids=SNAPSHOT_ATTACKS.keys())
def test_snapshot_hostile_record_is_reported_and_the_rest_land(
    store: Store, tmp_path: Path, mutate: Callable, reason: str
) -> None:
    path = _snapshot(tmp_path, mutate)
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 1), report.errors
    [error] = report.errors
    assert (error.file, error.line) == (str(path), 2)
    assert reason in error.reason


HF_ARCHIVE_ATTACKS = {
    "integer-abstract": (_set("abstract", 12), "abstract"),
    "integer-summary": (_set("summary_en", 12), "summary_en"),
    "dict-github-url": (_set("github_url", {"url": "https://github.com/x/y"}), "github_url"),
    "huge-upvotes": (_set("upvotes", 2**70), "upvotes"),
    "float-upvotes": (_set("upvotes", 1.5), "upvotes"),
    "overflowing-date": (_set("date", OVERFLOWING_DATE), "date"),
    "authors-int": (_set("authors", 7), "authors"),
    "authors-string": (_set("authors", "A. One"), "authors"),
    "title-list": (_set("title", ["x"]), "title"),
    "paper-id-dict": (_set("paper_id", {"id": "2602.00919"}), "paper_id"),
}


@pytest.mark.parametrize("mutate, reason", HF_ARCHIVE_ATTACKS.values(), ids=HF_ARCHIVE_ATTACKS.keys())
def test_hf_archive_hostile_item_is_reported_and_the_rest_land(
    store: Store, tmp_path: Path, mutate: Callable, reason: str
) -> None:
    path = _hf_archive(tmp_path, mutate)
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 1), report.errors
    [error] = report.errors
    assert (error.file, error.line) == (str(path), 2)
    assert reason in error.reason


HF_API_ATTACKS = {
    "integer-summary": (_set_in_paper("summary", 42), "summary"),
    "dict-github-repo": (_set_in_paper("githubRepo", {"url": "https://github.com/x/y"}), "githubRepo"),
    "huge-upvotes": (_set_in_paper("upvotes", 2**70), "upvotes"),
    "overflowing-published": (_set_in_paper("publishedAt", OVERFLOWING_DATE), "publishedAt"),
    "authors-int": (_set_in_paper("authors", 7), "authors"),
    "list-project-page": (_set_in_paper("projectPage", ["https://x"]), "projectPage"),
    "listing-day-int": (_set("publishedAt", 20250317), "publishedAt"),
}


@pytest.mark.parametrize("mutate, reason", HF_API_ATTACKS.values(), ids=HF_API_ATTACKS.keys())
def test_hf_api_hostile_item_is_reported_and_the_rest_land(
    store: Store, tmp_path: Path, mutate: Callable, reason: str
) -> None:
    path = _hf_api(tmp_path, mutate)
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 1), report.errors
    [error] = report.errors
    assert (error.file, error.line) == (str(path), 2)
    assert reason in error.reason


def test_hf_keyed_export_with_an_overflowing_date(store: Store, tmp_path: Path) -> None:
    keyed = json.loads((FIXTURES / "hf-keyed-25.json").read_text(encoding="utf-8"))
    key = list(keyed)[1]
    keyed[key]["publication_date"] = OVERFLOWING_DATE
    path = tmp_path / "keyed.json"
    path.write_text(json.dumps(keyed), encoding="utf-8")
    report = ingest_paths(store, [path], fmt="hf")
    assert (report.added, report.skipped) == (len(keyed) - 1, 1)
    assert report.errors[0].line == 2 and "publication_date" in report.errors[0].reason


def test_atom_categories_and_ids_beyond_the_columns_are_refused(store: Store, tmp_path: Path) -> None:
    page = (SOURCES / "arxiv_api_page1.xml").read_text(encoding="utf-8")
    first = page.index("<entry>")
    second = page.index("<entry>", first + 1)
    hostile = page[first:second].replace('term="cs.CL"', 'term="' + "x" * 100 + '"', 1)
    path = tmp_path / "atom.xml"
    path.write_text(page[:first] + hostile + page[first:], encoding="utf-8")
    report = ingest_paths(store, [path])
    assert report.skipped == 0 and report.added >= 1  # the over-long category term is not a category: dropped
    for paper_id in report.new_ids:
        assert all(len(c) <= 64 for c in _stored(store, paper_id)["categories"])


# Links: only http and https survive ingest.
HOSTILE_URLS = [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "file:///etc/passwd",
    "https:",
    "http://",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_non_http_links_are_dropped_at_ingest(store: Store, tmp_path: Path, url: str) -> None:
    path = _jsonl(tmp_path, _plain(2, code_url=url, pdf_url=url, project_url=url))
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (3, 0)
    paper = _stored(store, "2501.00002")
    assert (paper["code_url"], paper["pdf_url"], paper["project_url"]) == (None, None, None)


def test_http_links_are_kept(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path, _plain(2, code_url="https://github.com/a/b", pdf_url="HTTP://arxiv.org/pdf/2501.00002"))
    ingest_paths(store, [path])
    paper = _stored(store, "2501.00002")
    assert paper["code_url"] == "https://github.com/a/b" and paper["pdf_url"] == "HTTP://arxiv.org/pdf/2501.00002"


def test_hf_links_other_than_http_are_dropped(store: Store, tmp_path: Path) -> None:
    def mutate(item: dict) -> None:
        item["paper"]["githubRepo"] = "javascript:alert(1)"
        item["paper"]["projectPage"] = "data:text/html,x"

    ingest_paths(store, [_hf_api(tmp_path, mutate)])
    paper = _stored(store, HF_API[1]["paper"]["id"])
    assert paper["code_url"] is None and paper["project_url"] is None


# Invalid UTF-8: the record holding it is rejected with a reason, in every format.
def _bad_bytes_jsonl(tmp_path: Path) -> tuple[Path, int]:
    lines = [json.dumps(_plain(n)).encode() for n in (1, 2, 3)]
    lines[1] = lines[1].replace(b"Good paper 2", b"Good \xff\xfe paper 2")
    path = tmp_path / "bad-utf8.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, 2


def _bad_bytes_snapshot(tmp_path: Path) -> tuple[Path, int]:
    lines = [line.encode() for line in SNAPSHOT_LINES[:3]]
    assert b'"abstract":"' in lines[1]
    lines[1] = lines[1].replace(b'"abstract":"', b'"abstract":"\xc3\x28', 1)
    path = tmp_path / "bad-utf8-snapshot.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, 2


def _bad_bytes_hf(tmp_path: Path) -> tuple[Path, int]:
    day = copy.deepcopy(HF_ARCHIVE)
    day["papers"] = day["papers"][:3]
    day["papers"][1]["title"] = "MARKER"
    path = tmp_path / "bad-utf8-hf.json"
    path.write_bytes(json.dumps(day).encode().replace(b"MARKER", b"Bad \xed\xa0\x80 title"))
    return path, 2


def _bad_bytes_tsv(tmp_path: Path) -> tuple[Path, int]:
    raw = (FIXTURES / "geiger-cs.GL-sample.tsv").read_bytes()
    lines = raw.splitlines(keepends=True)
    header, first, single = lines[0], lines[1], lines[7]  # line 8 of the sample is one whole row
    path = tmp_path / "bad-utf8.tsv"
    path.write_bytes(header + first + single.replace(b"\t", b"\t\x80", 3) + lines[1])
    return path, 3


def _bad_bytes_atom(tmp_path: Path) -> tuple[Path, int]:
    page = (SOURCES / "arxiv_api_page1.xml").read_bytes()
    start = page.index(b"<entry>")
    title = page.index(b"<title>", start) + len(b"<title>")
    path = tmp_path / "bad-utf8-atom.xml"
    path.write_bytes(page[:title] + b"\xff" + page[title:])
    return path, page[:start].count(b"\n") + 1


def _bad_bytes_oai(tmp_path: Path) -> tuple[Path, int]:
    page = (SOURCES / "oai_arxivraw_page2.xml").read_bytes()
    start = page.index(b"<record>")
    title = page.index(b"<title>", start) + len(b"<title>")
    path = tmp_path / "bad-utf8-oai.xml"
    path.write_bytes(page[:title] + b"caf\xe9 " + page[title:])
    return path, page[:start].count(b"\n") + 1


@pytest.mark.parametrize(
    "build",
    [_bad_bytes_jsonl, _bad_bytes_snapshot, _bad_bytes_hf, _bad_bytes_tsv, _bad_bytes_atom, _bad_bytes_oai],
    ids=["jsonl", "snapshot", "hf", "tsv", "atom", "oai"],
)
def test_invalid_utf8_rejects_the_record_with_a_reason(store: Store, tmp_path: Path, build: Callable) -> None:
    path, line = build(tmp_path)
    report = ingest_paths(store, [path])
    assert report.skipped == 1 and report.added >= 1, report.errors
    [error] = report.errors
    assert error.line == line and "UTF-8" in error.reason


# Truncated compressed files keep what was read before the cut.
def _complete_lines(partial: bytes) -> int:
    return partial.count(b"\n")


@pytest.mark.parametrize("suffix", ["gz", "xz"])
def test_truncated_compressed_file_keeps_what_was_read(store: Store, tmp_path: Path, suffix: str) -> None:
    data = (FIXTURES / "papers-300.jsonl").read_bytes()
    packed = gzip.compress(data) if suffix == "gz" else lzma.compress(data)
    cut = packed[: len(packed) * 2 // 3]
    if suffix == "gz":
        partial = zlib.decompressobj(wbits=31).decompress(cut)
    else:
        partial = lzma.LZMADecompressor().decompress(cut)
    lines = _complete_lines(partial)
    path = tmp_path / f"cut.jsonl.{suffix}"
    path.write_bytes(cut)
    report = ingest_paths(store, [path])
    assert report.added == lines > 100
    assert str(report.errors[-1]) == f"{path}: truncated after line {lines}"


def test_truncated_gzip_smaller_than_the_detection_window(store: Store, tmp_path: Path) -> None:
    data = "".join(json.dumps(_plain(n)) + "\n" for n in range(1, 400)).encode()
    cut = gzip.compress(data)[:-40]
    path = tmp_path / "small.jsonl.gz"
    path.write_bytes(cut)
    report = ingest_paths(store, [path])
    assert report.added > 300 and "truncated after line" in str(report.errors[-1])


def test_truncated_compressed_xml_keeps_the_entries_before_the_cut(store: Store, tmp_path: Path) -> None:
    data = (SOURCES / "oai_arxivraw_page1.xml").read_bytes()
    packed = gzip.compress(data)
    path = tmp_path / "oai.xml.gz"
    path.write_bytes(packed[: len(packed) - 30])
    report = ingest_paths(store, [path])
    assert report.added >= 1 and "truncated after line" in str(report.errors[-1])


def test_format_detection_does_not_depend_on_the_first_line_length(store: Store, tmp_path: Path) -> None:
    first = _plain(1, authors=[f"Author Number {n}" for n in range(5000)])
    path = tmp_path / "long-first-line.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(_plain(2)) + "\n", encoding="utf-8")
    assert path.stat().st_size > 65536
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 0)
    assert len(_stored(store, "2501.00001")["authors"]) == 5000


def test_a_bad_first_line_does_not_make_a_jsonl_file_one_bad_document(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad-first.jsonl"
    path.write_text('{"id": "2501.00001", "title": \n' + json.dumps(_plain(2)) + "\n" + json.dumps(_plain(3)) + "\n")
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 1)
    assert report.errors[0].line == 1


def test_a_jsonl_line_beyond_the_record_limit_is_skipped_without_reading_it_whole(store: Store, tmp_path: Path) -> None:
    from paperwire.papers.record import MAX_RECORD_BYTES

    path = tmp_path / "huge-line.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(_plain(1)) + "\n")
        handle.write(json.dumps(_plain(2, abstract="x" * (MAX_RECORD_BYTES + 10))) + "\n")
        handle.write(json.dumps(_plain(3)) + "\n")
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 1)
    assert report.errors[0].line == 2 and "longer than" in report.errors[0].reason


def test_json_nested_too_deep_or_numbers_too_long_are_bad_lines(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    lines = [
        json.dumps(_plain(1)),
        "[" * 100_000 + "]" * 100_000,
        '{"id": "2501.00002", "title": "T", "abstract": "a", "n": ' + "7" * 5000 + "}",
        json.dumps(_plain(3)),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_paths(store, [path])
    assert (report.added, report.skipped) == (2, 2)
    assert [e.line for e in report.errors] == [2, 3] and all("bad JSON" in e.reason for e in report.errors)


def test_a_doctype_is_refused_so_entity_expansion_never_runs(store: Store, tmp_path: Path) -> None:
    page = (SOURCES / "arxiv_api_page1.xml").read_text(encoding="utf-8")
    laughs = (
        '<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(9))
        + "]>\n"
    )
    hostile = page.replace("<feed ", laughs + "<feed ", 1).replace("Low-Resource Machine", "&j;", 1)
    path = tmp_path / "laughs.xml"
    path.write_text(hostile, encoding="utf-8")
    report = ingest_paths(store, [path], fmt="atom")
    assert report.added == 0
    [error] = report.errors
    assert "DOCTYPE" in error.reason
