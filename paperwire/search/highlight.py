"""Matched query words marked in result text (safely: every piece is escaped before `<mark>` wraps it)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from paperwire.search.keyword_tantivy import STOP_SET
from paperwire.search.query import Query

_WORD = re.compile(r"\w+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "s")
_MIN_STEM = 4  # shorter query words match whole words only ("GAN" must not light up "gang")
_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)


def stem(word: str) -> str:
    """A loose stem: common English endings dropped while at least four letters remain."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def query_words(query: Query) -> tuple[set[str], tuple[str, ...]]:
    """What to mark for a query: exact (short) words and stems that mark any word starting with them."""
    exact: set[str] = set()
    stems: set[str] = set()
    excluded = {w.lower() for w in query.excluded}
    # A free stop word matched nothing in the keyword index either ("models for video"); in a phrase it did.
    free = [w for w in _WORD.findall(" ".join(query.terms)) if w.lower() not in STOP_SET]
    for word in free + _WORD.findall(" ".join(query.phrases)):
        word = word.lower()
        if word in excluded:
            continue
        if len(word) >= _MIN_STEM:
            stems.add(stem(word))
        else:
            exact.add(word)
    return exact, tuple(sorted(stems, key=len, reverse=True))


def _matches(word: str, exact: set[str], stems: tuple[str, ...]) -> bool:
    lowered = word.lower()
    return lowered in exact or any(lowered.startswith(s) for s in stems)


def highlight(text: str, query: Query) -> Markup:
    """The text escaped, with each word matching a query term or phrase word wrapped in <mark>."""
    exact, stems = query_words(query)
    return _mark(text or "", exact, stems)


def _mark(text: str, exact: set[str], stems: tuple[str, ...]) -> Markup:
    if not exact and not stems:
        return Markup(escape(text))
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        if _matches(match.group(0), exact, stems):
            out.append(str(escape(text[last : match.start()])))
            out.append(f"<mark>{escape(match.group(0))}</mark>")
            last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def first_match(text: str, query: Query) -> int | None:
    """Offset of the first marked word in text, or None."""
    exact, stems = query_words(query)
    for match in _WORD.finditer(text or ""):
        if _matches(match.group(0), exact, stems):
            return match.start()
    return None


def snippet(text: str, query: Query, width: int = 300) -> str:
    """About `width` characters of text around the first match (the start when none), cut at spaces.

    A `$...$` math span is never cut in two; "…" marks the cuts. Returns plain text: highlight it after.
    """
    text = " ".join((text or "").split())
    if len(text) <= width:
        return text
    hit = first_match(text, query) or 0
    start = max(0, hit - width // 4)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < hit else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    for span in _MATH.finditer(text):
        if span.start() < start < span.end():
            start = span.start()
        if span.start() < end < span.end():
            end = span.end()
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def math_spans(text: str) -> Iterable[tuple[bool, str]]:
    """Split text into (is_math, piece) pieces on `$...$` spans, for callers that render math and mark words."""
    last = 0
    for match in _MATH.finditer(text or ""):
        if match.start() > last:
            yield False, text[last : match.start()]
        yield True, match.group(1)
        last = match.end()
    if last < len(text or ""):
        yield False, text[last:]
