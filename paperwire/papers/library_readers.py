"""The four readers of library files: BibTeX (bibtexparser 2), RIS (rispy), CSL-JSON (json) and a list of arXiv
ids or URLs. Each returns every entry it could read and, for each part it could not, the line and the reason."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from paperwire.errors import InvalidInput
from paperwire.papers.library_formats import (
    FORMATS,
    MAX_ENTRIES,
    BadEntry,
    Format,
    ParsedFile,
    decode,
    detect_format,
    json_text,
    label_of,
    make_entry,
    split_doi,
)
from paperwire.papers.record import parse_arxiv_id, shown

_BIBTEX_ID_FIELDS = ("arxivid", "arxiv-id", "arxiv_id", "arxiv")
_BIBTEX_TEXT_FIELDS = ("url", "note", "howpublished", "journal", "eprint", "booktitle", "annote")


def read_file(data: bytes, *, filename: str | None = None, format: Format | None = None) -> ParsedFile:
    """Parse a reference file of the given (or detected) format. Raises InvalidInput for an unknown format or a
    file with nothing readable in it; the parts that fail are in `problems`, the rest in `entries`."""
    if format is not None and format not in FORMATS:
        raise InvalidInput(f"unknown format {shown(format)} (expected one of {', '.join(FORMATS)})", field="format")
    text = decode(data)
    if not text.strip():
        raise InvalidInput("the file is empty", field="file")
    kind = format or detect_format(text, filename)
    parsed = READERS[kind](text)
    if len(parsed.entries) > MAX_ENTRIES:
        left = len(parsed.entries) - MAX_ENTRIES
        parsed.problems.append(BadEntry(f"the entries after the first {MAX_ENTRIES}", f"{left} entries not read"))
        del parsed.entries[MAX_ENTRIES:]
    if not parsed.entries and not parsed.problems:
        raise InvalidInput(f"no entries found in this file (read as {kind})", field="file")
    if not parsed.entries:
        first = parsed.problems[0]
        more = f" (and {len(parsed.problems) - 1} more problems)" if len(parsed.problems) > 1 else ""
        raise InvalidInput(f"no entry could be read (as {kind}): {first.label}: {first.reason}{more}", field="file")
    return parsed


# --- BibTeX ----------------------------------------------------------------------------------------


def read_bibtex(text: str) -> ParsedFile:
    """Entries of a .bib file, LaTeX in their values decoded; a block that does not parse is reported by line."""
    import bibtexparser
    from bibtexparser import middlewares, model

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # each failed block is reported below instead
    ours = [middlewares.NormalizeFieldKeys(), middlewares.LatexDecodingMiddleware()]
    library = bibtexparser.parse_string(text, append_middleware=ours)
    parsed = ParsedFile("bibtex")
    blocks: list[Any] = list(library.entries)
    duplicates = bibtexparser.Library(fail_on_duplicate_key=False)
    for failed in library.failed_blocks:
        kept = failed.ignore_error_block
        if isinstance(kept, model.Entry):  # a duplicate key or field: the entry itself is fine for matching
            duplicates.add(kept)
            continue
        line = (failed.start_line or 0) + 1
        parsed.problems.append(
            BadEntry(label_of(f"line {line}:", _first_line(failed.raw)), _bibtex_error(failed.error))
        )
    for middleware in [*middlewares.parsestack.default_parse_stack(), *ours]:  # as parse_string ran on the rest
        duplicates = middleware.transform(duplicates)
    blocks += duplicates.entries
    for entry in sorted(blocks, key=lambda b: b.start_line or 0):
        values = {f.key: f.value for f in entry.fields if isinstance(f.value, str)}
        prefix = (values.get("archiveprefix") or values.get("eprinttype") or "arxiv").lower()
        eprint = values.get("eprint") if prefix == "arxiv" else None
        parsed.entries.append(
            make_entry(
                label_of(f"@{entry.entry_type}{{{entry.key}}}", values.get("title")),
                values.get("title"),
                id_fields=[eprint, *(values.get(name) for name in _BIBTEX_ID_FIELDS)],
                dois=[values.get("doi")],
                text=[values[name] for name in _BIBTEX_TEXT_FIELDS if name in values],
            )
        )
    return parsed


def _bibtex_error(error: Exception) -> str:
    reason = getattr(error, "abort_reason", None) or getattr(error, "message", None) or str(error)
    return f"not valid BibTeX: {reason}" if reason else f"not valid BibTeX ({type(error).__name__})"


def _first_line(raw: str | None) -> str:
    lines = (raw or "").strip().splitlines()
    return lines[0][:80] if lines else ""


# --- RIS -------------------------------------------------------------------------------------------


def read_ris(text: str) -> ParsedFile:
    """Records of a .ris file (rispy maps the tags); a record without its end tag (ER), or text outside any
    record, is reported by line instead of being dropped as rispy alone would."""
    import rispy

    parsed = ParsedFile("ris")
    for first_line, lines, closed in _ris_records(text, parsed):
        label = f"line {first_line}:"
        if not closed:
            title = _ris_title(lines)
            parsed.problems.append(BadEntry(label_of(label, title), "RIS record without its end tag (ER  - )"))
            continue
        try:
            records = rispy.loads("\n".join(lines))
        except Exception as exc:  # rispy raises plain exceptions of several kinds on a broken record
            parsed.problems.append(BadEntry(label_of(label, _ris_title(lines)), f"not a valid RIS record: {exc}"))
            continue
        for record in records:
            title = _ris_value(record, "title", "primary_title", "translated_title")
            urls = [u for u in record.get("urls", []) if isinstance(u, str)]
            notes = [n for n in record.get("notes", []) if isinstance(n, str)]
            others = [_ris_value(record, name) for name in ("journal_name", "secondary_title", "number", "note")]
            parsed.entries.append(
                make_entry(
                    label_of(label, title),
                    title,
                    id_fields=[],
                    dois=[_ris_value(record, "doi")],
                    text=[*urls, *notes, *(o for o in others if o)],
                )
            )
    return parsed


def _ris_records(text: str, parsed: ParsedFile) -> Iterator[tuple[int, list[str], bool]]:
    """(first line number, lines, closed by ER) of each record; stray text between records goes to problems."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        tag = line[:2] if line[2:5] == "  -" else None
        if tag == "TY":
            if current:
                yield start, current, False
            current, start = [line], number
        elif current:
            current.append(line)
            if tag == "ER":
                yield start, current, True
                current = []
        elif line.strip():
            parsed.problems.append(BadEntry(label_of(f"line {number}:", line[:80]), "text outside a RIS record"))
    if current:
        yield start, current, False


def _ris_value(record: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _ris_title(lines: list[str]) -> str | None:
    return next((line[6:] for line in lines if line[:2] in ("TI", "T1") and line[2:5] == "  -"), None)


# --- CSL-JSON --------------------------------------------------------------------------------------


def read_csl_json(text: str) -> ParsedFile:
    """Items of a CSL-JSON array (Zotero's and Mendeley's export), read one by one, so that a file broken in
    the middle still gives the items before the break."""
    parsed = ParsedFile("csl-json")
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text.startswith("{", position):
        text, position = f"[{text}]", 0
    if not text.startswith("[", position):
        raise InvalidInput("not CSL-JSON: expected an array of items", field="file")
    position = _skip_space(text, position + 1)
    number = 0
    while position < len(text) and text[position] != "]":
        number += 1
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            parsed.problems.append(
                BadEntry(
                    f"item {number} and after ({where})", f"not valid JSON: {exc.msg}; the items after it not read"
                )
            )
            return parsed
        _add_csl_item(parsed, item, number)
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
    return parsed


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _add_csl_item(parsed: ParsedFile, item: Any, number: int) -> None:
    if not isinstance(item, dict):
        parsed.problems.append(BadEntry(f"item {number}", f"not a CSL item: {type(item).__name__}"))
        return
    title = json_text(item.get("title"))
    key = json_text(item.get("id")) or json_text(item.get("citation-key"))
    texts = [json_text(item.get(name)) for name in ("URL", "number", "note", "container-title", "archive_location")]
    parsed.entries.append(
        make_entry(
            label_of(f"item {number}" + (f" ({key})" if key else "") + ":", title),
            title,
            id_fields=[json_text(item.get("arxiv")), json_text(item.get("arXiv"))],
            dois=[json_text(item.get("DOI"))],
            text=[t for t in texts if t],
        )
    )


# --- a list of ids ---------------------------------------------------------------------------------


def read_ids(text: str) -> ParsedFile:
    """One arXiv id, arxiv.org URL or DOI a line (old-style ids too); blank lines and # comments are skipped."""
    parsed = ParsedFile("ids")
    for number, line in enumerate(text.splitlines(), 1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        label = label_of(f"line {number}:", value)
        try:
            arxiv_id = parse_arxiv_id(value)[0]
        except InvalidInput:
            ids, dois = split_doi(value.removeprefix("doi:").strip())
            if ids or dois:
                parsed.entries.append(make_entry(label, None, id_fields=ids, dois=dois, text=[]))
            else:
                parsed.problems.append(BadEntry(label, "not an arXiv id, arxiv.org URL or DOI"))
            continue
        parsed.entries.append(make_entry(label, None, id_fields=[arxiv_id], dois=[], text=[]))
    return parsed


READERS: dict[Format, Callable[[str], ParsedFile]] = {
    "bibtex": read_bibtex,
    "ris": read_ris,
    "csl-json": read_csl_json,
    "ids": read_ids,
}
