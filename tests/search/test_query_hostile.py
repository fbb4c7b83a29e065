"""Hostile queries: any text a user can type gives a result or one clear InvalidInput, never another exception.

The parser is fuzzed alone, then through the keyword search of a small real index on both backends
(tantivy for SQLite, PostgreSQL full-text search), which is where the parsed query goes next.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.highlight import highlight, math_spans, snippet
from paperwire.search.query import MAX_AUTHOR_WORDS, MAX_QUERY, Filters, parse_query
from paperwire.store import Store
from tests.conftest import FIXTURES

# Quotes inside words, unbalanced or dangling syntax, what tantivy's and PostgreSQL's own query languages use,
# control characters, NUL (which PostgreSQL refuses in text), lone surrogates (what a terminal passes for bad UTF-8).
PIECES = [
    '"',
    '"',
    "-",
    "+",
    ":",
    "author:",
    "cat:",
    "since:",
    "until:",
    "category:",
    " ",
    "\t",
    "\n",
    "a",
    "model",
    "Ü",
    "ß",
    "\x00",
    "\x1b",
    "\u202e",
    "\udcff",
    "(",
    ")",
    "*",
    "~",
    "^",
    "\\",
    "AND",
    "OR",
    "NOT",
    "'",
    "[",
    "]",
    "{",
    "}",
    "&",
    "|",
    "!",
    "<->",
    "@",
    "2025-01-01",
    "cs.CL",
    "$",
    "`",
    "%",
    "_",
    ";",
    ",",
    "9" * 30,
]
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.text(alphabet='ab" -+:', max_size=12),  # dense in syntax: where quote and field bugs live
    st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=25).map("".join),
)

ATTACKS = [
    'a"b "c',
    'x" "',
    '"',
    '"""',
    'x"',
    '"x',
    'a"b"c',
    '-"a b"',
    'author:Ada"x y"',
    'author:"',
    'cat:"cs.CL',
    'author:" "',
    '" " "',
    '+"',
    '-"',
    "\x00",
    "a\x00b",
    "\udcff",
    "a\udcffb",
    "\u202e",
    "a" * 1001,
    "author:" + " ".join(f"w{i}" for i in range(300)),
    'since:"2025-01-01',
    "until:2025-02-30",
    "(a OR b) AND c",
    "title:x",
    "a:b",
    "*",
    "a~2",
    "a^3",
    "a & !b | c <-> d",
    "'",
    "\\",
    "[/x]",
]


def _outcome(text: str, search) -> str:
    try:
        search(text)
    except InvalidInput as exc:
        assert exc.message and exc.status == 400
        assert len(exc.message) < 300, "an error never echoes a long input in full"
        return "invalid"
    return "ok"


@pytest.mark.parametrize(
    ("text", "terms", "phrases"),
    [
        ('a"b "c', ("a", "c"), ("b",)),
        ('x" "', ("x",), ()),
        ('a"b c"d', ("a", "d"), ("b c",)),
        ('author:Ada"x y"', (), ("x y",)),
        ('a"b"c', ("a", "c"), ("b",)),
        ('- "large models" robot', ("robot",), ("large models",)),
    ],
)
def test_a_quote_inside_a_word_opens_or_closes_a_phrase(text: str, terms: tuple[str, ...], phrases: tuple) -> None:
    query = parse_query(text)
    assert (query.terms, query.phrases) == (terms, phrases)


def test_an_excluded_phrase_is_refused_rather_than_required() -> None:
    with pytest.raises(InvalidInput, match="only single words"):
        parse_query('robot -"large models"')


def test_control_characters_separate_words_and_bad_unicode_is_refused() -> None:
    assert parse_query("a\x00b\nc\x1bd").terms == ("a", "b", "c", "d")
    with pytest.raises(InvalidInput, match="not valid text"):
        parse_query("a\udcffb")


def test_an_author_filter_of_too_many_words_is_refused() -> None:
    name = " ".join(f"w{i}" for i in range(MAX_AUTHOR_WORDS + 1))
    with pytest.raises(InvalidInput, match="author"):
        parse_query(f'author:"{name}"')
    with pytest.raises(InvalidInput, match="author"):
        parse_query("x").with_filters(Filters(authors=(name,)))
    with pytest.raises(InvalidInput, match="not valid text"):
        parse_query("x").with_filters(Filters(authors=("a\udcffb",)))
    assert parse_query("x").with_filters(Filters(authors=("Ada\x00Lovelace",))).filters.authors == ("Ada Lovelace",)


@pytest.mark.parametrize("text", ATTACKS)
def test_attack_strings_parse_or_are_refused_clearly(text: str) -> None:
    _outcome(text, parse_query)


def test_an_over_long_query_is_refused() -> None:
    assert _outcome("a" * (MAX_QUERY + 1), parse_query) == "invalid"
    assert _outcome("a " * (MAX_QUERY // 2), parse_query) == "ok"


@hypothesis_settings(max_examples=400, deadline=None)
@given(HOSTILE)
def test_fuzz_parse_query(text: str) -> None:
    outcome = _outcome(text, parse_query)
    if outcome == "ok":  # what it parsed is plain words: no quote survives into a term or a phrase
        query = parse_query(text)
        assert all('"' not in t and t.strip() for t in query.terms + query.phrases + query.excluded)


@pytest.fixture
def engine(store: Store, settings: Settings, tmp_path: Path) -> SearchEngine:
    """A real keyword index of 40 fixture papers (tantivy on SQLite, full-text search on PostgreSQL)."""
    rows = [json.loads(line) for line in (FIXTURES / "papers-300.jsonl").read_text().splitlines()[:40]]
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    ingest_paths(store, [path])
    engine = SearchEngine(settings, store)
    engine.keyword.sync()
    return engine


def _keyword(engine: SearchEngine):
    return lambda text: engine.search(text, mode="keyword", limit=10)


@pytest.mark.parametrize("text", ATTACKS)
def test_attack_strings_through_the_keyword_search(engine: SearchEngine, text: str) -> None:
    _outcome(text, _keyword(engine))


def test_an_author_filter_from_an_option_goes_through_the_same_checks(engine: SearchEngine) -> None:
    huge = " ".join(f"w{i}" for i in range(300))
    started = time.perf_counter()
    for name in (huge, "a\udcffb", "Ada\x00Lovelace", '"', "[/x]"):
        _outcome(name, lambda n: engine.search("model", mode="keyword", filters=Filters(authors=(n,))))
        _outcome(name, lambda n: engine.search("", mode="keyword", filters=Filters(authors=(n,))))
    assert time.perf_counter() - started < 5


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_fuzz_keyword_search(engine: SearchEngine, text: str) -> None:
    _outcome(text, _keyword(engine))


@hypothesis_settings(max_examples=200, deadline=None)
@given(query=HOSTILE, text=st.text(max_size=200) | st.sampled_from(["<script>a</script> model", '$<b>$ a"b', "a & b"]))
def test_fuzz_highlighting_with_any_query(query: str, text: str) -> None:
    """Whatever parses is marked in any text without an exception, and only <mark> comes out as a tag."""
    try:
        parsed = parse_query(query)
    except InvalidInput:
        return
    marked = str(highlight(snippet(text, parsed), parsed))
    assert "<" not in marked.replace("<mark>", "").replace("</mark>", "")
    assert all(piece for _, piece in math_spans(text))
