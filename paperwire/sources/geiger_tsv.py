"""arXiv metadata as TSV with a header row, in the columns of Geiger's arXiv archive (1990-2019).

Columns read: arxiv_id, title, abstract (required), author_text, categories, primary_cat, created,
updated, doi, comments; others (acm_class, counts, the pandas index) are ignored. Fields are quoted
with `"` when they hold tabs, quotes or newlines, so one row may span several lines.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from paperwire.errors import InvalidInput
from paperwire.papers.record import (
    PaperRecord,
    ParsedItem,
    RecordError,
    clean_text,
    parse_arxiv_id,
    split_authors,
    split_categories,
)
from paperwire.sources.dates import parse_date

REQUIRED_COLUMNS = ("arxiv_id", "title", "abstract")
# The archive was written by pandas, which read new-style ids as numbers: 0704.0967 became
# 704.0967, 1002.3990 became 1002.399, 1503.02354 became 1503.0235400000001.
_NUMERIC_ID = re.compile(r"^\d{3,4}\.\d+$")
_FIVE_DIGIT_FROM = 1501  # ids have five digits after the dot from January 2015 on
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, decoded with surrogateescape


def looks_like_tsv_header(line: str) -> bool:
    """True for a tab-separated header row naming at least the required columns."""
    names = {name.strip().strip('"') for name in line.split("\t")}
    return set(REQUIRED_COLUMNS) <= names


def iter_tsv(lines: Iterable[str], name: str) -> Iterator[ParsedItem | RecordError]:
    """Parse a TSV stream opened with newline=""; a bad row becomes a RecordError at its first line.

    Decode the stream with errors="surrogateescape": a row holding bytes that are not UTF-8 is refused.
    """
    reader = csv.reader(lines, delimiter="\t", strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield RecordError(name, 1, f"bad header row: {exc}")
        return
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        yield RecordError(name, 1, f"header row lacks the column(s) {', '.join(missing)}")
        return
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield RecordError(name, start, "bad TSV row: " + str(exc).replace("\t", "\\t"))  # a tab shown as \t
            continue
        end = reader.line_num
        if not row:
            continue
        if len(row) != len(header):
            yield RecordError(name, start, f"expected {len(header)} fields, got {len(row)}")
            continue
        undecoded = _undecoded(header, row)
        if undecoded:
            yield RecordError(name, start, undecoded)
            continue
        try:
            yield ParsedItem(parse_tsv_row(dict(zip(header, row, strict=True))), name, start)
        except InvalidInput as exc:
            yield RecordError(name, start, exc.message)


def _undecoded(header: list[str], row: list[str]) -> str | None:
    for column, value in zip(header, row, strict=True):
        bad = _UNDECODED.search(value)
        if bad:
            return f"{column or 'column'}: invalid UTF-8 (byte 0x{ord(bad.group()) & 0xFF:02X})"
    return None


def parse_tsv_row(row: dict[str, str]) -> PaperRecord:
    """Map one row (column name -> text) to a PaperRecord."""
    arxiv_id, version = parse_arxiv_id(repair_arxiv_id(row["arxiv_id"]))
    title = clean_text(row["title"])
    if not title:
        raise InvalidInput("missing title")
    categories = [row.get("primary_cat", ""), *row.get("categories", "").split(",")]
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=clean_text(row["abstract"]),
        authors=split_authors(row.get("author_text")),
        categories=split_categories([c.strip() for c in categories]),
        version=version,
        published=parse_date(row.get("created", "").strip(), "created"),
        updated=parse_date(row.get("updated", "").strip(), "updated"),
        doi=clean_text(row.get("doi")) or None,
        comments=clean_text(row.get("comments")) or None,
    )


def repair_arxiv_id(text: str) -> str:
    """Undo the archive's numeric damage to new-style ids; any other text is returned trimmed."""
    raw = text.strip()
    if not _NUMERIC_ID.match(raw):
        return raw
    month, _ = raw.split(".")
    digits = 5 if int(month) >= _FIVE_DIGIT_FROM else 4
    value = float(raw)
    if abs(value - round(value, digits)) > 1e-7:
        return raw  # more digits than an id has: not float noise, so left for the id check to refuse
    return f"{value:.{digits}f}".zfill(5 + digits)
