"""Input files: open plain/.gz/.xz transparently, detect which source format they hold, parse them."""

from __future__ import annotations

import gzip
import io
import json
import lzma
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from paperwire.errors import InvalidInput, MalformedDocument
from paperwire.papers.record import ParsedItem, RecordError
from paperwire.sources.geiger_tsv import iter_tsv, looks_like_tsv_header
from paperwire.sources.jsonl import iter_jsonl, looks_like_snapshot

FORMATS = ("snapshot", "jsonl", "hf", "atom", "oai", "tsv")
_GZIP = b"\x1f\x8b"
_XZ = b"\xfd7zXZ\x00"


@contextmanager
def open_input(path: Path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """Yield (decompressed stream, raw file); the raw file's position tells progress in bytes."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        magic = raw.read(6)
        raw.seek(0)
        if magic.startswith(_GZIP):
            stream: BinaryIO = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        elif magic.startswith(_XZ):
            stream = lzma.LZMAFile(raw)  # type: ignore[assignment]
        else:
            stream = raw
        yield stream, raw
    finally:
        raw.close()


def detect_format(path: Path) -> str:
    """Guess a file's source format from its first bytes and first record."""
    with open_input(path) as (stream, _):
        try:
            head = stream.read(65536)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InvalidInput(f"{path}: cannot decompress: {exc}") from None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        if "OAI-PMH" in text:
            return "oai"
        if "<feed" in text:
            return "atom"
        raise InvalidInput(f"{path}: XML that is neither an arXiv API (Atom) nor an OAI-PMH response")
    if text.startswith("["):
        return "hf"
    if text.startswith("{"):
        first_line = text.split("\n", 1)[0]
        try:
            first = json.loads(first_line)
        except json.JSONDecodeError:
            return "hf"  # a pretty-printed JSON document, not JSON Lines
        if isinstance(first, dict):
            if looks_like_snapshot(first):
                return "snapshot"
            if "id" in first and "title" in first:
                return "jsonl"
            if "papers" in first or "paper" in first:
                return "hf"
        raise InvalidInput(f"{path}: JSON whose first record has neither the snapshot's nor the plain format's keys")
    if not text:
        raise InvalidInput(f"{path}: empty file")
    if looks_like_tsv_header(text.split("\n", 1)[0]):
        return "tsv"
    raise InvalidInput(f"{path}: unknown format (use --format: {', '.join(FORMATS)})")


def iter_file(stream: BinaryIO, name: str, fmt: str) -> Iterator[ParsedItem | RecordError]:
    """Parse an opened input stream of a known format, streaming wherever the format allows."""
    if fmt in ("snapshot", "jsonl"):
        lines = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="\n")
        try:
            yield from iter_jsonl(lines, name, fmt)
        finally:
            lines.detach()  # the caller owns the stream; a dropped wrapper would close it
    elif fmt == "tsv":
        rows = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        try:
            yield from iter_tsv(rows, name)
        finally:
            rows.detach()
    elif fmt == "hf":
        from paperwire.sources.hf import parse_hf_daily

        text = io.TextIOWrapper(stream, encoding="utf-8")
        try:
            obj = json.load(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", 0)
            yield RecordError(name, line, f"bad JSON document: {getattr(exc, 'msg', exc)}")
            return
        finally:
            text.detach()
        yield from parse_hf_daily(obj, name)
    elif fmt in ("atom", "oai"):
        if fmt == "atom":
            from paperwire.sources.arxiv_atom import iter_atom as iter_xml
        else:
            from paperwire.sources.oai import iter_oai as iter_xml
        try:
            yield from iter_xml(stream, name)
        except MalformedDocument as exc:
            yield RecordError(name, exc.line, exc.message)
    else:
        raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
