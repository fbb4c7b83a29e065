"""The one search function used by the CLI, the web pages, the API and the digests."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from paperwire import metrics
from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.search.backends import KeywordBackend, Scored, VectorBackend
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.search.hybrid import fuse
from paperwire.search.keyword_postgres import fold_statistics
from paperwire.search.query import Filters, Query, check_mode, parse_query
from paperwire.search.relevance import NEAREST_SHOWN, WEAK, Evidence
from paperwire.store import Store
from paperwire.store import papers as repo

MAX_LIMIT = 100
MAX_DEPTH = 1000  # offset + limit: deeper pages are not useful and cost more than they give
FUSION_DEPTH = 100  # candidates taken from each ranking before fusing
LEG_THREADS = 4  # keyword legs of concurrent hybrid searches in the database, per process
QUERY_CACHE_SIZE = 1024  # query vectors kept (1.5 KB each)
KEYWORD_FILL_DEPTH = 300  # calibrated fusion: keyword scores this deep, so vector candidates keep theirs

PaperRows = dict[str, dict[str, Any]]  # display rows of papers by id (paperwire.store.papers.papers_by_ids)


@dataclass
class Hit:
    """One search result with what every interface shows of it."""

    id: str
    score: float
    title: str
    authors: list[str]
    categories: list[str]
    published: date | None
    abstract: str
    ranks: dict[str, int] = field(default_factory=dict)  # position in the keyword / semantic rankings
    match: str = ""  # strong / partial / weak (paperwire.search.relevance); empty for a listing

    @property
    def found_by(self) -> list[str]:
        """Which sides found it among their candidates: keyword, semantic or both."""
        return sorted(self.ranks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 6),
            "title": self.title,
            "authors": self.authors,
            "categories": self.categories,
            "published": self.published.isoformat() if self.published else None,
            "ranks": self.ranks,
            "match": self.match,
        }


@dataclass
class SearchResults:
    query: Query
    mode: str
    hits: list[Hit]
    offset: int
    limit: int
    close: bool = True  # False: nothing passed the relevance floor; hits are the nearest few, labelled weak


class SearchEngine:
    """Owns the keyword index, the vector index and the embedder for one store; built once per process."""

    def __init__(self, settings: Settings, store: Store, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = store
        self._embedder = embedder
        self._keyword: KeywordBackend | None = None
        self._vectors: VectorBackend | None = None
        self._synced_at = float("-inf")
        self._loading = threading.Lock()
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._leg_pool: ThreadPoolExecutor | None = None

    @property
    def _legs(self) -> ThreadPoolExecutor:
        """A thread for the keyword leg of a hybrid search in the database, which then runs in another PostgreSQL
        backend while this thread embeds the query and runs the vector leg: the search waits for the slower leg
        instead of both. (The embedded indexes compute in this process, on the cores the web workers share, so
        they run one after the other.)"""
        with self._loading:
            if self._leg_pool is None:
                self._leg_pool = ThreadPoolExecutor(max_workers=LEG_THREADS, thread_name_prefix="paperwire-search-leg")
        return self._leg_pool

    @property
    def embedder(self) -> Embedder:
        with self._loading:  # one load even when the first requests arrive together
            if self._embedder is None:
                self._embedder = load_embedder(self.settings)
        return self._embedder

    def query_vector(self, text: str) -> np.ndarray:
        """The embedding of a query's text, from a small LRU cache: digest topics and feeds repeat their queries."""
        with self._cache_lock:
            vector = self._query_vectors.get(text)
            if vector is not None:
                self._query_vectors.move_to_end(text)
                return vector
        vector = self.embedder.embed([text])[0]
        vector.setflags(write=False)
        with self._cache_lock:
            self._query_vectors[text] = vector
            if len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        return vector

    def embed_queries(self, texts: Sequence[str]) -> None:
        """Put the vectors of many queries in the cache with batched embedding: a digest run's topics, ~3x cheaper.

        Batched vectors differ from one-by-one ones only in float rounding (below 1e-7)."""
        with self._cache_lock:
            missing = list(dict.fromkeys(t for t in texts if t and t not in self._query_vectors))
        missing = missing[: QUERY_CACHE_SIZE // 2]  # never evict what this batch just added
        if not missing:
            return
        vectors = self.embedder.embed(missing)
        with self._cache_lock:
            for text, row in zip(missing, vectors, strict=True):
                vector = row.copy()  # its own memory, freed on eviction
                vector.setflags(write=False)
                self._query_vectors[text] = vector
                self._query_vectors.move_to_end(text)
            while len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)

    @property
    def model(self) -> str:
        return self._embedder.name if self._embedder is not None else self.settings.embedding_model

    @property
    def in_database(self) -> bool:
        """Whether the database's own indexes answer searches (PostgreSQL with search_index "database"); otherwise
        this process searches the embedded indexes in its home, synced from the database."""
        return self.store.dialect == "postgresql" and self.settings.search_index == "database"

    @property
    def keyword(self) -> KeywordBackend:
        if self._keyword is None:
            if self.in_database:
                from paperwire.search.keyword_postgres import PostgresKeywordIndex

                self._keyword = PostgresKeywordIndex(self.store, self.settings)
            else:
                from paperwire.search.keyword_tantivy import TantivyKeywordIndex

                self._keyword = TantivyKeywordIndex(self.store, self.settings)
        return self._keyword

    @property
    def vectors(self) -> VectorBackend:
        if self._vectors is None:
            if self.in_database:
                from paperwire.search.vector_postgres import PostgresVectorIndex

                self._vectors = PostgresVectorIndex(self.store, self.settings, self.model)
            else:
                from paperwire.search.vector_index import BinaryVectorIndex

                self._vectors = BinaryVectorIndex(self.store, self.settings, self.model)
        return self._vectors

    def sync(self, *, force: bool = True) -> dict[str, int]:
        """Bring both indexes up to date with the database (at most every index_sync_interval s unless forced)."""
        now = time.monotonic()
        if not force and now - self._synced_at < self.settings.index_sync_interval:
            return {}
        self._synced_at = now
        counts = {"keyword": self.keyword.sync(), "vectors": self.vectors.sync()}
        if self.store.dialect == "postgresql" and not self.in_database:
            fold_statistics(self.store)  # the database's BM25 statistics stay current and their change queue short
        return counts

    def rebuild(self) -> dict[str, int]:
        return {"keyword": self.keyword.rebuild(), "vectors": self.vectors.rebuild()}

    def search(
        self,
        text: str,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        filters: Filters | None = None,
        rows: PaperRows | None = None,
    ) -> SearchResults:
        """Search papers: `text` in the query language, plus `filters` from options; best first.

        `rows` is the caller's cache of display rows (see hydrate), for many searches in a row (a digest run)."""
        check_mode(mode)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if offset < 0 or offset + limit > MAX_DEPTH:
            raise InvalidInput(f"offset must be between 0 and {MAX_DEPTH - limit}, got {offset}")
        started = time.perf_counter()
        query = parse_query(text).with_filters(filters or Filters())
        if query.filters.since and query.filters.until and query.filters.since > query.filters.until:
            raise InvalidInput(f"since {query.filters.since} is after until {query.filters.until}")
        self.sync(force=False)
        if not query.has_text:
            listing = self._listing(query, mode, limit, offset, rows)
            metrics.observe_search(mode, started)
            return listing
        depth = offset + limit
        rankings: dict[str, Scored] = {}
        keyword_leg: Future[Scored] | None = None
        if mode in ("keyword", "hybrid"):
            wanted = depth if mode == "keyword" else max(depth, FUSION_DEPTH)
            if mode == "hybrid" and self.settings.fusion == "calibrated":
                wanted = max(wanted, KEYWORD_FILL_DEPTH)
            if mode == "hybrid" and self.in_database:
                keyword_leg = self._legs.submit(self.keyword.search, query, wanted)
            else:
                rankings["keyword"] = self.keyword.search(query, wanted)
        if mode in ("semantic", "hybrid"):
            vector = self.query_vector(query.text)
            rankings["semantic"] = self.nearest(
                vector, self._semantic_depth(mode, depth), query.filters, query=query, for_fusion=mode == "hybrid"
            )
        if keyword_leg is not None:
            rankings = {"keyword": keyword_leg.result(), **rankings}
        keyword_full = self.keyword.full_match_score(query) if "keyword" in rankings else None
        cosines = rankings.get("semantic")
        if mode == "hybrid":
            cosines = rankings["semantic"] + self._cosines_missing(vector, rankings["keyword"], rankings["semantic"])
            method, weight = self.settings.fusion, self.settings.keyword_weight
            ranked = (
                fuse(rankings["keyword"], cosines, method=method, keyword_weight=weight, keyword_full=keyword_full)
                if method == "calibrated"  # the other fusions see only what each side returned
                else fuse(
                    rankings["keyword"],
                    rankings["semantic"],
                    method=method,
                    rrf_k=self.settings.rrf_k,
                    keyword_weight=weight,
                )
            )
        else:
            ranked = rankings[mode]
        evidence = Evidence.of(rankings.get("keyword"), keyword_full, cosines)
        close = not self.settings.relevance_floor or evidence.any_close(ranked[:FUSION_DEPTH])
        if not close and "keyword" not in rankings:
            # Semantic mode asks the keyword index before saying so: a short query's cosines are low even where
            # every word is in the paper ("robot learning and control": 0.32 on papers about just that).
            evidence = Evidence.of(
                self.keyword.search(query, KEYWORD_FILL_DEPTH), self.keyword.full_match_score(query), cosines
            )
            close = evidence.any_close(ranked[:FUSION_DEPTH])
        close = close or self._names_an_author(query, ranked)
        if not close:  # say so, and show only the nearest few, as such
            ranked = ranked[:NEAREST_SHOWN] if offset == 0 else []
        positions = {name: {pid: i for i, (pid, _) in enumerate(r, start=1)} for name, r in rankings.items()}
        hits = self.hydrate(ranked[offset:depth], positions, rows=rows)
        for hit in hits:
            hit.match = evidence.strength(hit.id) if close else WEAK
        metrics.observe_search(mode, started)
        return SearchResults(query, mode, hits, offset, limit, close=close)

    def _semantic_depth(self, mode: str, depth: int) -> int:
        """How many nearest papers a search needs. The calibrated fusion needs no more than the page's depth: every
        keyword candidate gets its cosine anyway (_cosines_missing), and a paper found only by meaning scores
        (1 - keyword_weight) x its cosine, which the `depth` nearer papers each reach, so it could not enter the
        page. Rank fusions take FUSION_DEPTH from each side."""
        if mode == "hybrid" and self.settings.fusion != "calibrated":
            return max(depth, FUSION_DEPTH)
        return depth

    def _cosines_missing(self, vector: np.ndarray, keyword: Scored, semantic: Scored) -> Scored:
        """Cosines of the keyword candidates that the vector search did not return (their vectors are at hand),
        so that no candidate loses its semantic side for being 101st."""
        seen = {pid for pid, _ in semantic}
        missing = [pid for pid, _ in keyword if pid not in seen]
        return self.vectors.cosines(vector, missing) if missing else []

    def _names_an_author(self, query: Query, ranked: Scored) -> bool:
        """A short query that is an author's name (all its words in one author's name) matches those papers,
        however far their text is from the words."""
        if not ranked or query.phrases or not 1 <= len(query.terms) <= 4:
            return False
        return bool(self.keyword.ids_with_authors((query.text,)) & {pid for pid, _ in ranked[:FUSION_DEPTH]})

    def nearest(
        self,
        vector: np.ndarray,
        depth: int,
        filters: Filters,
        *,
        query: Query | None = None,
        exclude: set[str] | None = None,
        for_fusion: bool = False,
    ) -> Scored:
        """Nearest papers to a vector inside filters, honouring author filters, exclusions and text checks
        (`for_fusion`: see VectorBackend.search)."""
        allowed = self.keyword.ids_with_authors(filters.authors) if filters.authors else None
        strict_text = query is not None and (query.phrases or query.excluded)
        extra = len(exclude or ()) + (depth if strict_text else 0)
        found = self.vectors.search(vector, min(depth + extra, MAX_DEPTH * 2), filters, allowed, for_fusion=for_fusion)
        if exclude:
            found = [(pid, s) for pid, s in found if pid not in exclude]
        if strict_text:
            assert query is not None, "strict_text filters by the query's words"
            with self.store.read() as conn:
                rows = repo.papers_by_ids(conn, [pid for pid, _ in found])
            found = [(pid, s) for pid, s in found if pid in rows and _text_ok(rows[pid], query)]
        return found[:depth]

    def _listing(self, query: Query, mode: str, limit: int, offset: int, rows: PaperRows | None) -> SearchResults:
        if not query.filters:
            raise InvalidInput('type some words to search, or a filter such as cat:cs.CL or author:"Name"')
        f = query.filters
        with self.store.read() as conn:
            ids = repo.newest_in_filters(
                conn,
                categories=f.categories,
                authors=f.authors,
                since=f.since,
                until=f.until,
                limit=limit,
                offset=offset,
            )
        hits = self.hydrate([(pid, 0.0) for pid in ids], {}, rows=rows)
        return SearchResults(query, mode, hits, offset, limit)

    def hydrate(
        self, ranked: Scored, positions: dict[str, dict[str, int]], *, rows: PaperRows | None = None
    ) -> list[Hit]:
        """Hits with their display fields, in the given order; hidden papers dropped.

        Rows in `rows` are taken from there (as they were when read), the others read and added to it."""
        wanted = [pid for pid, _ in ranked if rows is None or pid not in rows]
        found = {}
        if wanted:
            with self.store.read() as conn:
                found = repo.papers_by_ids(conn, wanted)
        if rows is not None:
            rows.update(found)
            found = rows
        hits = []
        for pid, score in ranked:
            row = found.get(pid)
            if row is None or row["hidden"]:
                continue
            ranks = {name: pos[pid] for name, pos in positions.items() if pid in pos}
            hits.append(
                Hit(
                    pid,
                    float(score),
                    row["title"],
                    row["authors"],
                    row["categories"],
                    row["published"],
                    row["abstract"],
                    ranks,
                )
            )
        return hits


def _words(text: str) -> list[str]:
    """Lower-case words with a plural "s" dropped: the light stemming that phrase and exclusion checks need."""
    return [
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in re.findall(r"\w+", text.lower())
    ]


def _text_ok(row: dict[str, Any], query: Query) -> bool:
    """Whether a paper's text contains every phrase and none of the excluded words (case and plurals ignored)."""
    words = _words(" ".join([row["title"], row["abstract"], " ".join(row["authors"])]))
    flat = f" {' '.join(words)} "
    if any(f" {' '.join(_words(phrase))} " not in flat for phrase in query.phrases):
        return False
    present = set(words)
    return not any(word in present for word in _words(" ".join(query.excluded)))
