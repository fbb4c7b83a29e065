"""Input files: open plain/.gz/.xz transparently, detect which source format they hold, parse them.

A compressed file that ends early (or turns corrupt) keeps every record read before the cut and
ends with one error `file: truncated after line N`; nothing here lets a bad file abort an ingest.
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import zlib
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from paperwire.errors import InvalidInput, MalformedDocument, SourceUnavailable
from paperwire.papers.record import (
    MAX_RECORD_BYTES,
    ParsedItem,
    RecordError,
    parse_arxiv_id,
    shown,
)
from paperwire.sources.geiger_tsv import iter_tsv, looks_like_tsv_header
from paperwire.sources.jsonl import LineTooLong, iter_jsonl, looks_like_snapshot

FORMATS = ("snapshot", "jsonl", "hf", "atom", "oai", "tsv")
_GZIP = b"\x1f\x8b"
_XZ = b"\xfd7zXZ\x00"
_HEAD_BYTES = 65536
# What reading a damaged compressed stream raises: EOFError when it ends early, the others when corrupt.
_CUT = (EOFError, OSError, zlib.error, lzma.LZMAError)


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
            stream = lzma.LZMAFile(raw)  # type: ignore[assignment]  # noqa: SIM115 - raw is closed below
        else:
            stream = raw
        yield stream, raw
    finally:
        raw.close()


def detect_format(path: Path) -> str:
    """Guess a file's source format from its first bytes and its first records (whatever their length)."""
    with open_input(path) as (stream, _):
        head, lines = _peek(stream, path)
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
        return _json_kind(path, lines)
    if not text:
        raise InvalidInput(f"{path}: empty file")
    if looks_like_tsv_header(text.split("\n", 1)[0]):
        return "tsv"
    raise InvalidInput(f"{path}: unknown format (use --format: {', '.join(FORMATS)})")


def _peek(stream: BinaryIO, path: Path) -> tuple[bytes, list[bytes]]:
    """The first 64 KiB, and the first three lines read whole (each up to MAX_RECORD_BYTES).

    A stream cut short yields what came before the cut; one that gives nothing is an InvalidInput.
    """
    lines: list[bytes] = []
    head = b""
    try:
        while len(lines) < 3:
            line = stream.readline(MAX_RECORD_BYTES + 1)
            if not line:
                break
            lines.append(line)
            if len(head) < _HEAD_BYTES:
                head += line[:_HEAD_BYTES]
            if not line.endswith(b"\n"):
                break
        if len(head) < _HEAD_BYTES and lines and lines[-1].endswith(b"\n"):
            head += stream.read(_HEAD_BYTES - len(head))
    except _CUT as exc:
        if not head:
            raise InvalidInput(f"{path}: cannot decompress: {exc}") from None
    return head[:_HEAD_BYTES], lines


def _json_kind(path: Path, lines: list[bytes]) -> str:
    """JSON Lines (snapshot or plain) or one JSON document (Hugging Face), from the first lines.

    A first line that does not parse is a bad record when a later line is a record; otherwise the
    file is one pretty-printed document.
    """
    first_object: dict | None = None
    for position, line in enumerate(lines):
        obj = _json_object(line)
        if obj is None:
            continue
        if position == 0:
            first_object = obj
        if looks_like_snapshot(obj):
            return "snapshot"
        if "id" in obj and "title" in obj:
            return "jsonl"
        if position == 0 and ("papers" in obj or "paper" in obj or _keyed_by_ids(obj)):
            return "hf"
    if first_object is not None:
        raise InvalidInput(f"{path}: JSON whose first record has neither the snapshot's nor the plain format's keys")
    return "hf"  # a pretty-printed JSON document, not JSON Lines


def _json_object(line: bytes) -> dict | None:
    try:
        obj = json.loads(line.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _keyed_by_ids(obj: dict) -> bool:
    """An object keyed by arXiv id (PaperExplorer's Hugging Face export) on one line."""
    try:
        return bool(obj) and all(isinstance(value, dict) and parse_arxiv_id(key) for key, value in obj.items())
    except InvalidInput:
        return False


class _Lines:
    """The lines of a binary stream, each up to MAX_RECORD_BYTES (longer ones skipped unread), counted."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._read1 = getattr(stream, "read1", stream.read)  # what one read of the decompressor gives, no more
        self.count = 0

    def __iter__(self) -> Iterator[bytes | LineTooLong]:
        while True:
            line = self.stream.readline(MAX_RECORD_BYTES + 1)
            if not line:
                return
            if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
                length = len(line)
                while line and not line.endswith(b"\n"):
                    line = self.stream.readline(1 << 20)
                    length += len(line)
                self.count += 1
                yield LineTooLong(length)
                continue
            self.count += 1
            yield line


class _CountedText:
    """Lines of a text stream, counted as they are handed out (the place of a cut)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = lines
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.count += 1
            yield line


class _CountedBytes:
    """A binary stream that hands out every byte decompressed before a cut, then raises it.

    Counts the newlines read through it (the place of a cut in a document).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._read1 = getattr(stream, "read1", stream.read)  # what one read of the decompressor gives, no more
        self.count = 0
        self._cut: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        if self._cut is not None:
            raise self._cut
        parts: list[bytes] = []
        wanted = size if size >= 0 else None
        got = 0
        while wanted is None or got < wanted:
            try:
                part = self._read1(min(wanted - got, 1 << 16) if wanted is not None else 1 << 16)
            except _CUT as exc:
                if not parts:
                    raise
                self._cut = exc
                break
            if not part:
                break
            parts.append(part)
            got += len(part)
        data = b"".join(parts)
        self.count += data.count(b"\n")
        return data


def iter_file(stream: BinaryIO, name: str, fmt: str) -> Generator[ParsedItem | RecordError, None, None]:
    """Parse an opened input stream of a known format, streaming wherever the format allows.

    Never raises for what the file holds: bad records, bad documents and a cut are RecordErrors.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    counted: _Lines | _CountedText | _CountedBytes
    try:
        if fmt in ("snapshot", "jsonl"):
            counted = _Lines(stream)
            yield from iter_jsonl(counted, name, fmt)
        elif fmt == "tsv":
            rows = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
            counted = _CountedText(rows)
            try:
                yield from iter_tsv(counted, name)
            finally:
                rows.detach()  # the caller owns the stream; a dropped wrapper would close it
        else:
            counted = _CountedBytes(stream)
            yield from _iter_document(counted, name, fmt)
    except _CUT as exc:
        yield _cut(name, counted.count, exc)


def _iter_document(stream: _CountedBytes, name: str, fmt: str) -> Iterator[ParsedItem | RecordError]:
    if fmt == "hf":
        from paperwire.sources.hf import decode_document, parse_hf_daily

        try:
            obj = decode_document(stream.read(), name)
        except MalformedDocument as exc:
            yield RecordError(name, exc.line, exc.message.removeprefix(f"{name}: "))
            return
        yield from parse_hf_daily(obj, name)
        return
    if fmt == "atom":
        from paperwire.sources.arxiv_atom import iter_atom as iter_xml
    else:
        from paperwire.sources.oai import iter_oai as iter_xml
    try:
        yield from iter_xml(stream, name)  # type: ignore[arg-type]
    except MalformedDocument as exc:
        yield RecordError(name, exc.line, exc.message)
    except SourceUnavailable as exc:  # an OAI-PMH error answer saved to a file
        yield RecordError(name, 0, exc.message)


def _cut(name: str, lines: int, exc: BaseException) -> RecordError:
    if isinstance(exc, EOFError):
        return RecordError(name, 0, f"truncated after line {lines}")
    return RecordError(name, 0, f"unreadable after line {lines}: {shown(str(exc), 120)}")
