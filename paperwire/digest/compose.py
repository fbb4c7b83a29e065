"""What one subscriber's digest of one period holds: the ONE function behind the sender, the web preview and the CLI.

A digest is the period's trending Daily papers (paperwire.feed.lists.build_list, the site's ranking of the
community's picks) plus personal picks among all the period's papers, New on arXiv included: each topic as
a saved search, each category and followed author as a filter (paperwire.search.engine.SearchEngine.search),
and papers like the ones the user upvoted (paperwire.search.similar.recommend). No paper appears twice in a
mail, and no paper (any version: ids are version-less) that this subscriber was already sent appears again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.digest.periods import period_key
from paperwire.errors import PaperwireError
from paperwire.feed.lists import ListItem, Period, build_list, latest_day
from paperwire.recommend.for_you import for_you
from paperwire.search.engine import Hit, PaperRows, SearchEngine
from paperwire.search.query import Filters, parse_query
from paperwire.store import Store
from paperwire.store import digests as repo

Found = Hit | ListItem  # a source's paper: a search hit, or a list item (For you picks)
log = logging.getLogger("paperwire.digest")

TRENDING_DEPTH = 100  # trending papers kept per period: enough for top_n (<= 50) once sent ones are dropped
PER_SOURCE = 10  # results asked of each topic, author, category and of the recommendations
SNIPPET = 280
_CACHE_SIZE = 512  # results of (source, period) kept by one Composer: subscribers share topics and categories
AHEAD_CHUNK = 32  # searches run ahead per task: their query texts are embedded as one batch
_Key = tuple[str, str, str]  # (source kind, casefolded value, period key)


@dataclass(frozen=True)
class Pick:
    """One paper in a digest, with why it is there."""

    id: str
    title: str
    authors: list[str]
    categories: list[str]
    published: date | None
    snippet: str
    why: str
    upvotes: int | None = None


@dataclass
class Digest:
    """A subscriber's digest of a period; `skipped_reason` says why there is nothing to send."""

    subscription: dict[str, Any]
    period: Period
    trending: list[Pick] = field(default_factory=list)
    picks: list[Pick] = field(default_factory=list)
    skipped_reason: str | None = None

    @property
    def key(self) -> str:
        return period_key(self.period)

    @property
    def paper_ids(self) -> list[str]:
        return [p.id for p in self.trending + self.picks]


@dataclass(frozen=True)
class _Source:
    kind: str  # author, topic, upvotes, category
    value: str
    why: str


def abstract_opening(text: str, limit: int = SNIPPET) -> str:
    """The start of an abstract on one line, cut at a word."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _pick(item: ListItem | Hit, why: str, upvotes: int | None = None) -> Pick:
    return Pick(
        item.id,
        item.title,
        list(item.authors or []),
        list(item.categories or []),
        item.published,
        abstract_opening(item.abstract),
        why,
        upvotes,
    )


class Composer:
    """Composes digests for one run, caching what subscribers share (the trending list, a topic's results).

    With `ahead`, `prepare` runs the searches of the coming subscribers in a background thread, their
    query vectors embedded in batches, while the caller sends the digests composed before (a sender run).
    The results are the same as searching in turn; call `close` at the end.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        engine: SearchEngine,
        *,
        now: datetime | None = None,
        ahead: bool = False,
    ) -> None:
        self.store, self.settings, self.engine = store, settings, engine
        self.now = now or datetime.now(UTC)
        self._trending: dict[str, tuple[list[ListItem], int]] = {}
        self._announced: dict[str, bool] = {}  # period key -> whether it has New on arXiv papers (one query each)
        self._results: OrderedDict[_Key, list[Found]] = OrderedDict()
        self._ahead = ThreadPoolExecutor(1, thread_name_prefix="digest-search") if ahead else None
        self._coming: dict[_Key, Future[list[Found]]] = {}
        self._rows: PaperRows = {}  # display rows of the papers found, read once a page (most are the period's)

    def prepare(self, due: Iterable[tuple[dict[str, Any], Period]]) -> None:
        """Start the searches of these (subscription, period) pairs, in the order `compose` will want them."""
        if self._ahead is None:
            return
        for waiting in self._coming.values():
            waiting.cancel()  # subscribers of the previous page that were never composed (claimed elsewhere)
        self._coming = {}
        self._rows = {}
        work: list[tuple[Future[list[Found]], _Source, Period]] = []
        for subscription, period in due:
            for source in self._sources(subscription):
                key = _key(source, period)
                if source.kind == "upvotes" or key in self._coming or key in self._results:
                    continue
                self._coming[key] = Future()
                work.append((self._coming[key], source, period))
        for start in range(0, len(work), AHEAD_CHUNK):
            self._ahead.submit(self._search_ahead, work[start : start + AHEAD_CHUNK])

    def close(self) -> None:
        """Stop the background searches (those not started are dropped)."""
        if self._ahead is not None:
            self._ahead.shutdown(wait=True, cancel_futures=True)
            for waiting in self._coming.values():
                waiting.cancel()

    def _search_ahead(self, work: list[tuple[Future[list[Found]], _Source, Period]]) -> None:
        if self.settings.digest_topic_mode != "keyword":
            texts = []
            for _, source, _ in work:
                if source.kind == "topic":
                    try:
                        texts.append(parse_query(source.value).text)
                    except PaperwireError:
                        continue  # its search says why
            try:
                self.engine.embed_queries(texts)
            except Exception:  # each search embeds its own query then, and reports the error in turn
                log.debug("digest: batched query embedding failed", exc_info=True)
        for future, source, period in work:
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._guard(source, lambda: self._search(source, period)))  # noqa: B023
            except BaseException as exc:  # the subscriber's compose raises it, as a search in turn would
                future.set_exception(exc)

    def compose(self, subscription: dict[str, Any], period: Period) -> Digest:
        """The digest of `period` for `subscription` (a subscriptions row)."""
        with self.store.read() as conn:
            sent = repo.delivered_ids(conn, subscription["id"])
        digest = Digest(subscription, period)
        listed, total = self.trending(period)
        sources = self._sources(subscription)
        found = {source: self._run(source, period, subscription) for source in sources}
        reasons = _reasons(found)
        used = set(sent)
        for item in listed:
            if len(digest.trending) >= int(subscription["top_n"]):
                break
            if item.id not in used:
                used.add(item.id)
                why = _trending_why(item.upvotes, reasons.get(item.id, []))
                digest.trending.append(_pick(item, why, item.upvotes))
        for hit in _round_robin([found[s] for s in sources], used, int(subscription["top_n"])):
            digest.picks.append(_pick(hit, " · ".join(reasons[hit.id])))
        if not digest.trending and not digest.picks:
            announced = total > 0 or any(found.values()) or self._new_on_arxiv(period)
            digest.skipped_reason = "nothing new since your last digest" if announced else _quiet(period)
        return digest

    def trending(self, period: Period) -> tuple[list[ListItem], int]:
        """The period's trending list (shared by every subscriber) and how many papers the period has."""
        key = period_key(period)
        if key not in self._trending:
            page = build_list(self.store, self.settings, period, limit=TRENDING_DEPTH, now=self.now)
            self._trending = {key: (page.items, page.total)}  # one period per run, usually: keep only the latest
        return self._trending[key]

    def _new_on_arxiv(self, period: Period) -> bool:
        """Whether the period has new papers in the followed categories (New on arXiv), picked or not."""
        key = period_key(period)
        if key not in self._announced:
            latest = latest_day(self.store, self.settings, before=period.end + timedelta(days=1), source="arxiv")
            self._announced[key] = latest is not None and latest >= period.start
        return self._announced[key]

    def _sources(self, subscription: dict[str, Any]) -> list[_Source]:
        sources = [_Source("author", name, f"by {name}") for name in subscription["authors"]]
        sources += [_Source("topic", topic, f"matches your topic '{topic}'") for topic in subscription["topics"]]
        if subscription["use_upvotes"] and subscription["user_id"] is not None:
            sources.append(
                _Source("upvotes", str(subscription["user_id"]), "picked for you from your library and upvotes")
            )
        sources += [_Source("category", name, f"in {name}") for name in subscription["categories"]]
        return sources

    def _run(self, source: _Source, period: Period, subscription: dict[str, Any]) -> list[Found]:
        """A source's papers in the period, best first; a failing source is logged and gives nothing."""
        if source.kind == "upvotes":
            return self._guard(source, lambda: self._recommended(int(source.value), period))
        cache_key = _key(source, period)
        if cache_key in self._results:
            self._results.move_to_end(cache_key)
            return self._results[cache_key]
        coming = self._coming.pop(cache_key, None)
        if coming is not None and not coming.cancelled():
            hits = coming.result()
        else:
            hits = self._guard(source, lambda: self._search(source, period))
        self._results[cache_key] = hits
        if len(self._results) > _CACHE_SIZE:
            self._results.popitem(last=False)
        return hits

    def _guard(self, source: _Source, run: Callable[[], list[Found]]) -> list[Found]:
        try:
            return run()
        except PaperwireError as exc:
            log.warning("digest: %s %r gave no picks: %s", source.kind, source.value, exc.message)
            return []

    def _search(self, source: _Source, period: Period) -> list[Found]:
        within = Filters(since=period.start, until=period.end)
        if source.kind == "topic":
            results = self.engine.search(
                source.value, mode=self.settings.digest_topic_mode, limit=PER_SOURCE, filters=within, rows=self._rows
            )
            return list(results.hits) if results.close else []  # a topic nothing matched this period picks nothing
        extra = Filters(authors=(source.value,)) if source.kind == "author" else Filters(categories=(source.value,))
        return list(self.engine.search("", limit=PER_SOURCE, filters=within.merged(extra), rows=self._rows).hits)

    def _recommended(self, user_id: int, period: Period) -> list[Found]:
        """The reader's For you picks of the period (their library and upvotes): the site's ranking, not a copy."""
        return [
            pick.item
            for pick in for_you(self.store, self.settings, self.engine, user_id, period, limit=PER_SOURCE).picks
        ]


def _key(source: _Source, period: Period) -> _Key:
    return (source.kind, source.value.casefold(), period_key(period))


def _reasons(found: dict[_Source, list[Found]]) -> dict[str, list[str]]:
    """Every reason each paper has to be in the digest, in the order of the sources."""
    reasons: dict[str, list[str]] = {}
    for source, hits in found.items():
        for hit in hits:
            whys = reasons.setdefault(hit.id, [])
            if source.why not in whys:
                whys.append(source.why)
    return reasons


def _round_robin(rankings: Sequence[list[Found]], used: set[str], most: int) -> list[Found]:
    """Up to `most` hits taken in turn from each ranking, so every source is represented; `used` is updated."""
    chosen: list[Found] = []
    positions = [0] * len(rankings)
    while len(chosen) < most:
        progressed = False
        for i, ranking in enumerate(rankings):
            while positions[i] < len(ranking) and ranking[positions[i]].id in used:
                positions[i] += 1
            if positions[i] < len(ranking) and len(chosen) < most:
                hit = ranking[positions[i]]
                used.add(hit.id)
                chosen.append(hit)
                progressed = True
        if not progressed:
            break
    return chosen


def _trending_why(upvotes: int, reasons: list[str]) -> str:
    head = f"trending, {upvotes} upvote{'s' if upvotes != 1 else ''}" if upvotes else "new in this period"
    return " · ".join([head, *reasons])


def _quiet(period: Period) -> str:
    if period.kind == "day":
        return f"arXiv announced nothing on {period.label} (a weekend or holiday)"
    return f"arXiv announced nothing in {period.label}"


def compose(
    store: Store,
    settings: Settings,
    engine: SearchEngine,
    subscription: dict[str, Any],
    period: Period,
    *,
    now: datetime | None = None,
) -> Digest:
    """The digest of `period` for one subscription: trending plus personal picks, nothing sent before, each once."""
    return Composer(store, settings, engine, now=now).compose(subscription, period)
