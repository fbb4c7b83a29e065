"""Embedded keyword search: a tantivy (BM25) index kept in `home/index/keyword`.

Ranking, chosen on scifact-train (809 queries, nDCG@10; bench/relevance.py): BM25 over one field holding title
and abstract together (title, abstract and authors as separate fields summed, title x2, scored 0.624; one field
0.702), English stop words removed (Lucene's 33, as bm25s uses: neutral there, 0.700, but claims and questions
are sentences), and author names at weight 0.2, so a name typed as a query still finds its papers while a
query word that happens to be a name adds little. A separate title field on top (weight 0.1-0.5) moved
scifact by +0.005 at best and cost 0.008 on tests/search/test_keyword_reference.py: left out. bm25s with the same
stemmer and stop words: 0.696.

Chosen over SQLite FTS5 by measurement (bench/keyword.py). Queries are built from analysed tokens, never
through tantivy's query-parser syntax, so any user text is safe. Filters are clauses of the same query.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import tantivy

from paperwire.config import Settings
from paperwire.search.backends import Scored
from paperwire.search.query import Filters, Query
from paperwire.store import Store
from paperwire.store.keyword_rows import change_counts, iter_changed, name_words

SCHEMA_VERSION = 3  # bump when the fields or analyzers change: the next sync rebuilds
AUTHOR_WEIGHT = 0.2
# Lucene's English stop words (bm25s's "en" list too).
STOP_WORDS = (
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "for",
    "if",
    "in",
    "into",
    "is",
    "it",
    "no",
    "not",
    "of",
    "on",
    "or",
    "such",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "was",
    "will",
    "with",
)
SLACK = timedelta(minutes=10)  # rows may commit a while after their updated_at; re-read that window
MAX_SET = 4  # author word sets indexed up to this size (exact same-author matching of names)
_WRITER_HEAP = 256_000_000
_STATE = "paperwire-state.json"

Q = tantivy.Query
Occur = tantivy.Occur


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.custom_stopword(list(STOP_WORDS))).filter(
            tantivy.Filter.stemmer("english")
        )
    return builder.build()


_ANALYZERS = {"pw_en": _analyzer(stem=True), "pw_name": _analyzer(stem=False)}
STOP_SET = frozenset(STOP_WORDS)
TEXT_FIELDS = (("text", "pw_en", 1.0), ("authors", "pw_name", AUTHOR_WEIGHT))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name, analyzer, _boost in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=analyzer, index_option="position")
    builder.add_text_field("author_sets", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("cat", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("published", indexed=True, fast=True)  # date.toordinal()
    return builder.build()


def _author_sets(author: str) -> Iterable[str]:
    """The sets of 2 to MAX_SET words of one author's name, so a name filter matches within one author.

    Single words need no set: the authors field holds them.
    """
    words = name_words(author)
    largest = MAX_SET if len(words) <= 8 else 2  # a name of dozens of words is not a person: keep it small
    for size in range(2, min(largest, len(words)) + 1):
        for subset in combinations(words, size):
            yield " ".join(subset)


class TantivyKeywordIndex:
    """KeywordBackend on a tantivy index; one writer at a time (a busy writer makes sync a no-op)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.path = Path(settings.home) / "index" / "keyword"
        self.schema = _schema()
        self._index: tantivy.Index | None = None

    # --- keeping the index current -------------------------------------------------------------

    def sync(self) -> int:
        """Upsert papers changed since the remembered watermark (hidden ones are deleted); returns how many."""
        state = self._read_state()
        if state is None:
            return self.rebuild()
        index = self._open()
        try:
            writer = index.writer(_WRITER_HEAP)
        except ValueError:  # another process holds the writer and is syncing: just see its commits
            index.reload()
            return 0
        watermark = datetime.fromisoformat(state["watermark"]) if state["watermark"] else None
        seen: Counter[datetime] = Counter()
        changed = 0
        try:
            with self.store.read() as conn:
                floor = watermark - SLACK if watermark else None
                done = {}
                if floor is not None:  # stamps of the slack window indexed in full are not read again; a
                    # stamp only gains rows when its transaction committed after the last sync (rows leave it
                    # when updated again, and are read under their new stamp)
                    done = {
                        stamp: count
                        for stamp, count in change_counts(conn, floor).items()
                        if count <= state["stamps"].get(stamp.isoformat(), 0)
                    }
                seen.update(done)
                for rows in iter_changed(conn, floor, skip=done):
                    for row in rows:
                        writer.delete_documents_by_term("id", row["id"])
                        if not row["hidden"]:
                            writer.add_document(self._document(row))
                        seen[row["updated_at"]] += 1
                        changed += 1
        except BaseException:
            writer.rollback()
            raise
        if changed:
            writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self._write_state(max([*seen, *([watermark] if watermark else [])], default=None), seen)
        return changed

    def rebuild(self) -> int:
        """Index every visible paper afresh (in place: searchers see the old index until the commit)."""
        seen: Counter[datetime] = Counter()

        def rows() -> Iterator[dict[str, Any]]:
            with self.store.read() as conn:
                for batch in iter_changed(conn, None):
                    for row in batch:
                        seen[row["updated_at"]] += 1
                        yield row

        count = self.load(rows())
        self._write_state(max(seen, default=None), seen)
        return count

    def load(self, rows: Iterable[dict[str, Any]]) -> int:
        """Replace the index's contents with these papers (as iter_changed gives them; hidden ones skipped).

        Used by rebuild and by bench/keyword.py; does not move the sync watermark.
        """
        index = self._open(fresh=self._read_state() is None)
        writer = index.writer(_WRITER_HEAP)
        writer.delete_all_documents()
        count = 0
        try:
            for row in rows:
                if not row.get("hidden"):
                    writer.add_document(self._document(row))
                    count += 1
        except BaseException:
            writer.rollback()
            raise
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return count

    def _document(self, row: dict[str, Any]) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", row["id"])
        doc.add_text("text", f"{row['title'] or ''}\n{row['abstract'] or ''}")
        for author in row["authors"]:
            doc.add_text("authors", author)
        for key in dict.fromkeys(key for author in row["authors"] for key in _author_sets(author)):
            doc.add_text("author_sets", key)
        for category in row["categories"]:
            doc.add_text("cat", category)
        if row["published"] is not None:
            doc.add_integer("published", row["published"].toordinal())
        return doc

    # --- searching -----------------------------------------------------------------------------

    def search(self, query: Query, limit: int) -> Scored:
        """BM25 over title + abstract, and authors at a low weight (see the module's note); phrases required, excluded words
        and filters applied inside."""
        if limit <= 0 or not query.has_text:
            return []
        positive = self._positive(query)
        if positive is None:
            return []
        clauses = [(Occur.Must, positive)]
        for word in query.excluded:
            clauses += [(Occur.MustNot, q) for q in self._in_fields(word)]
        clauses += [(Occur.Must, Q.const_score_query(q, 0.0)) for q in self._filters(query.filters)]
        return self._run(Q.boolean_query(clauses), limit)

    def full_match_score(self, query: Query) -> float | None:
        """Sum of the idf of the query's words in the title + abstract field (tantivy's BM25 idf), the score a
        paper of average length holding each word once gets; words that no paper holds count as the rarest."""
        searcher = self._open().searcher()
        total = searcher.num_docs
        words = [word for text in (*query.terms, *query.phrases) for _at, word in _positioned(text)]
        return sum(
            math.log(1 + (total - df + 0.5) / (df + 0.5)) for df in (searcher.doc_freq("text", word) for word in words)
        )

    def ids_with_authors(self, names: tuple[str, ...]) -> set[str]:
        """Ids of visible papers that have, for each name, one author whose name holds all of its words."""
        clauses = [(Occur.Must, q) for q in self._author_filters(names)]
        if not clauses:
            return set()
        searcher = self._open().searcher()
        query = Q.boolean_query(clauses)
        found = searcher.search(query, 1, count=True).count or 0  # type: ignore[attr-defined]  # not in tantivy's stubs
        if not found:
            return set()
        hits = searcher.search(query, found, count=False).hits
        return {searcher.doc(address)["id"][0] for _score, address in hits}

    def __len__(self) -> int:
        return self._open().searcher().num_docs

    def _run(self, query: tantivy.Query, limit: int) -> Scored:
        searcher = self._open().searcher()
        hits = searcher.search(query, limit, count=False).hits
        return [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]

    def _positive(self, query: Query) -> tantivy.Query | None:
        """Phrases must match (each in some field); terms are ORed and only add score when phrases exist."""
        terms = [
            (Occur.Should, q) for term in dict.fromkeys(query.terms) for q in self._in_fields(term, as_phrase=False)
        ]
        phrases = []
        for phrase in query.phrases:
            fields = [(Occur.Should, q) for q in self._in_fields(phrase)]
            if fields:
                phrases.append((Occur.Must, Q.boolean_query(fields)))
        if phrases:
            return Q.boolean_query(phrases + ([(Occur.Should, Q.boolean_query(terms))] if terms else []))
        return Q.boolean_query(terms) if terms else None

    def _in_fields(self, text: str, *, as_phrase: bool = True) -> list[tantivy.Query]:
        """Queries for a word or phrase in each text field (analysed like the field), weighted as the field is.

        A phrase is one phrase query per field; a free term that the analyzer splits (`IL-6`, `0-dimensional`)
        is a bag of its tokens instead, as a standard BM25 scores it (scifact-train nDCG@10 +0.012).
        """
        found = []
        for field, analyzer, boost in TEXT_FIELDS:
            tokens = _positioned(text) if analyzer == "pw_en" else list(enumerate(_ANALYZERS[analyzer].analyze(text)))
            if len(tokens) == 1 or (tokens and not as_phrase):
                queries = [Q.term_query(self.schema, field, word) for _at, word in tokens]
            elif tokens:  # stop words keep their places: "state of the art" matches "state of the art", not "state art"
                queries = [Q.phrase_query(self.schema, field, [(at - tokens[0][0], word) for at, word in tokens])]
            else:
                queries = []
            found += [Q.boost_query(query, boost) if boost != 1.0 else query for query in queries]
        return found

    def _filters(self, filters: Filters) -> list[tantivy.Query]:
        found = self._author_filters(filters.authors)
        if filters.categories:
            found.append(Q.term_set_query(self.schema, "cat", list(filters.categories)))
        if filters.since or filters.until:
            found.append(
                Q.range_query(
                    self.schema,
                    "published",
                    tantivy.FieldType.Integer,
                    _ordinal(filters.since),
                    _ordinal(filters.until),
                )
            )
        return found

    def _author_filters(self, names: Iterable[str]) -> list[tantivy.Query]:
        """Per name, all its words within one author: one word in the authors field; several as a word set
        (names of more than MAX_SET words: all their MAX_SET-word subsets)."""
        found = []
        for name in names:
            words = name_words(name)
            if len(words) == 1:
                tokens = _ANALYZERS["pw_name"].analyze(words[0])
                terms = [Q.term_query(self.schema, "authors", token) for token in tokens]
            else:
                terms = [
                    Q.term_query(self.schema, "author_sets", " ".join(subset))
                    for subset in combinations(words, min(len(words), MAX_SET))
                ]
            if not words:
                continue  # a name without words restricts nothing
            if not terms:
                terms = [Q.empty_query()]  # only over-long words: nothing can match them
            found.append(terms[0] if len(terms) == 1 else Q.boolean_query([(Occur.Must, t) for t in terms]))
        return found

    # --- files ---------------------------------------------------------------------------------

    def _open(self, fresh: bool = False) -> tantivy.Index:
        if self._index is not None and not fresh:
            return self._index
        if fresh and self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        for name, analyzer in _ANALYZERS.items():
            index.register_tokenizer(name, analyzer)
        self._index = index
        return index

    def _read_state(self) -> dict[str, Any] | None:
        """The remembered watermark, or None when the index is missing or of another schema version."""
        try:
            state = json.loads((self.path / _STATE).read_text())
        except (OSError, ValueError):
            return None
        return state if state.get("schema") == SCHEMA_VERSION and tantivy.Index.exists(str(self.path)) else None

    def _write_state(self, watermark: datetime | None, seen: Counter[datetime]) -> None:
        """Remember the newest updated_at indexed and, for the slack window before it, rows seen per stamp."""
        floor = watermark - SLACK if watermark else None
        stamps = {stamp.isoformat(): count for stamp, count in seen.items() if floor and stamp >= floor}
        state = {"schema": SCHEMA_VERSION, "watermark": watermark.isoformat() if watermark else None, "stamps": stamps}
        if self._read_state() == state:
            return  # nothing new: no write (a full or read-only disk then does not break searching)
        temporary = self.path / f"{_STATE}.{os.getpid()}.tmp"  # several web workers may sync at once
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.path / _STATE)


def _positioned(text: str) -> list[tuple[int, str]]:
    """The stemmed, non-stop tokens of text with their word positions, as the index holds them."""
    words = _ANALYZERS["pw_name"].analyze(text)  # lower-cased, folded, every word: positions as indexed
    found = []
    for at, word in enumerate(words):
        if word not in STOP_SET:
            stemmed = _ANALYZERS["pw_en"].analyze(word)
            if stemmed:
                found.append((at, stemmed[0]))
    return found


def _ordinal(day: date | None) -> int | None:
    return day.toordinal() if day else None
