"""For you: a period's New on arXiv papers ranked for one reader, each with the reason it was picked.

The reader's papers are their library and their upvotes; "not interested" marks push papers away.
The ranking (paperwire.search.taste, the method `paperwire eval-recs` chose) scores every candidate's
stored vector in one matrix product; candidates without a vector yet are left out and counted. The
reason names the one or two of the reader's papers closest to the pick ("because you saved X").
The home page's tab, `GET /api/for-you`, the private Atom feed and the digests' personal picks all
call `for_you`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from itsdangerous import BadSignature, URLSafeSerializer

from paperwire.accounts.secret import secret_key
from paperwire.config import Settings
from paperwire.errors import NotFound
from paperwire.feed.lists import ListItem, Period, followed, latest_day, new_items
from paperwire.search.engine import SearchEngine
from paperwire.search.taste import DEFAULT_METHOD, Method, Taste, fit_taste
from paperwire.store import Store
from paperwire.store import accounts as accounts_repo
from paperwire.store import digests as digests_repo
from paperwire.store import feed as queries
from paperwire.store import library as library_repo

DEFAULT_DAYS = 7  # the tab's window: the New on arXiv papers of the last week with papers
MAX_SIGNALS = 500  # the reader's most recent papers (library, upvotes) and marks that the ranking reads
REASONS = 2  # reader papers named per pick
FUSION_K = 60  # reciprocal rank fusion's constant (Cormack et al. 2009)
POPULARITY_WEIGHT = 1.0  # the community's ranking's weight in the fusion, the reader's own being 1
_FEED_SALT = "paperwire.for-you-feed"
NO_PAPERS = "Add papers to your library or upvote a few to get picks of your own."


@dataclass(frozen=True)
class Signals:
    """What a reader told us: the papers they keep (library), the ones they upvoted, the ones they waved away."""

    library: tuple[str, ...] = ()
    upvoted: tuple[str, ...] = ()
    dismissed: tuple[str, ...] = ()

    @property
    def positives(self) -> list[str]:
        return list(dict.fromkeys((*self.library, *self.upvoted)))


@dataclass(frozen=True)
class Because:
    """One of the reader's papers a pick is close to."""

    paper_id: str
    title: str
    saved: bool  # in the library (else: upvoted)
    similarity: float


@dataclass
class Pick:
    """A paper picked for the reader: the list item, its score and why."""

    item: ListItem
    score: float
    because: list[Because] = field(default_factory=list)

    @property
    def reason(self) -> str:
        if not self.because:
            return "close to your papers overall"
        verb = "saved" if self.because[0].saved else "upvoted"
        titles = " and ".join(f"“{b.title}”" for b in self.because)
        return f"because you {verb} {titles}"


@dataclass
class ForYou:
    """A page of For you: the period, the picks, how many candidates were ranked and a note when there is none."""

    period: Period | None
    picks: list[Pick]
    total: int
    offset: int
    limit: int
    method: str
    unindexed: int = 0  # candidates without a vector yet (not ranked)
    note: str | None = None

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.picks) < self.total


def reader_signals(store: Store, user_id: int) -> Signals:
    """The reader's library, upvotes and "not interested" marks (the most recent MAX_SIGNALS of each)."""
    with store.read() as conn:
        library = library_repo.library_paper_ids(conn, user_id)[:MAX_SIGNALS]
        upvoted = digests_repo.upvoted_ids(conn, user_id, limit=MAX_SIGNALS)
        dismissed = library_repo.dismissed_paper_ids(conn, user_id)[:MAX_SIGNALS]
    return Signals(tuple(library), tuple(upvoted), tuple(dismissed))


def default_period(store: Store, settings: Settings, now: datetime | None = None) -> Period | None:
    """The last DEFAULT_DAYS days up to the latest day with New on arXiv papers (None: there are none)."""
    today = (now or datetime.now(UTC)).date()
    latest = latest_day(store, settings, before=date.fromordinal(today.toordinal() + 1), source="arxiv")
    return None if latest is None else Period.last_days(latest, DEFAULT_DAYS)


def feed_token(settings: Settings, store: Store, user: dict[str, Any]) -> str:
    """The secret part of a reader's private feed address: signed with the site's key, void once the email changes."""
    return URLSafeSerializer(secret_key(settings, store), salt=_FEED_SALT).dumps({"u": user["id"], "e": user["email"]})


def user_for_feed_token(settings: Settings, store: Store, token: str) -> dict[str, Any]:
    """The reader a feed token belongs to; NotFound for a forged, stale or malformed one (a feed reader sees 404)."""
    try:
        data = URLSafeSerializer(secret_key(settings, store), salt=_FEED_SALT).loads(token)
    except BadSignature:
        data = None
    if isinstance(data, dict) and isinstance(data.get("u"), int):
        with store.read() as conn:
            user = accounts_repo.get_user(conn, data["u"])
        if user is not None and user["email"] == data.get("e") and user["blocked_at"] is None:
            return user
    raise NotFound("no such feed")


class Tastes:
    """Fitted tastes of recent readers, keyed by what they were fitted on: a vote or a mark makes a new key."""

    def __init__(self, size: int = 256) -> None:
        self._fitted: OrderedDict[int, Taste] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(
        self, method: Method, positives: np.ndarray, background: np.ndarray, dismissed: np.ndarray | None, key: int
    ) -> Taste:
        with self._lock:
            if key in self._fitted:
                self._fitted.move_to_end(key)
                return self._fitted[key]
        taste = fit_taste(positives, background, dismissed, method=method)
        with self._lock:
            self._fitted[key] = taste
            if len(self._fitted) > self._size:
                self._fitted.popitem(last=False)
        return taste


TASTES = Tastes()


@dataclass
class Ranking:
    """Candidates scored for a reader: `ids` best first, `scores` aligned; `taste.positives` row i is `mine[i]`."""

    ids: list[str]
    scores: np.ndarray
    taste: Taste | None
    mine: list[str]
    unindexed: int

    def page(self, offset: int, limit: int) -> list[tuple[str, float]]:
        """(id, score) of the ranks offset+1 to offset+limit."""
        return [
            (pid, float(score))
            for pid, score in zip(self.ids[offset : offset + limit], self.scores[offset : offset + limit], strict=True)
        ]


def rank_candidates(
    engine: SearchEngine,
    signals: Signals,
    candidates: list[str],
    *,
    method: Method = DEFAULT_METHOD,
    tastes: Tastes = TASTES,
) -> Ranking:
    """Score `candidates` for a reader (see Ranking); the reader's own and dismissed papers are never candidates.

    No taste (None) and nothing ranked when none of the reader's papers has a vector.
    """
    positives = signals.positives
    excluded = {*positives, *signals.dismissed}
    pool = [pid for pid in dict.fromkeys(candidates) if pid not in excluded]
    scored, matrix = engine.vectors.matrix_of(pool)
    known = engine.vectors.vectors_of([*positives, *signals.dismissed])
    mine = [pid for pid in positives if pid in known]
    if not mine or not scored:
        return Ranking([], np.zeros(0, np.float32), None, mine, len(pool) - len(scored))
    away = [known[pid] for pid in signals.dismissed if pid in known]
    key = hash((method, engine.model, tuple(mine), signals.dismissed, tuple(scored)))  # string hashes are cached
    taste = tastes.get(
        method,
        np.vstack([known[pid] for pid in mine]).astype(np.float32, copy=False),
        matrix,
        np.vstack(away) if away else None,
        key,
    )
    scores = taste.score(matrix)
    order = np.argsort(-scores, kind="stable")
    return Ranking([scored[i] for i in order.tolist()], scores[order], taste, mine, len(pool) - len(scored))


def with_popularity(
    ranked: list[tuple[str, float]], upvotes: dict[str, int], weight: float | None = None
) -> list[tuple[str, float]]:
    """Fuse the reader's ranking with the community's (most upvoted first; papers without votes unranked there)
    by reciprocal rank: a paper both close to the reader and popular comes first. Scores are the fused ones."""
    weight = POPULARITY_WEIGHT if weight is None else weight
    popular = sorted((pid for pid, _ in ranked if upvotes.get(pid, 0) > 0), key=lambda pid: -upvotes[pid])
    place = {pid: i for i, pid in enumerate(popular, start=1)}
    fused = [
        (pid, 1.0 / (FUSION_K + i) + (weight / (FUSION_K + place[pid]) if pid in place else 0.0))
        for i, (pid, _) in enumerate(ranked, start=1)
    ]
    return sorted(fused, key=lambda pair: -pair[1])


def for_you(
    store: Store,
    settings: Settings,
    engine: SearchEngine,
    user_id: int,
    period: Period | None = None,
    *,
    limit: int = 30,
    offset: int = 0,
    method: str | None = None,
    now: datetime | None = None,
) -> ForYou:
    """A page of the reader's For you list over `period`'s New on arXiv papers (default: the last DEFAULT_DAYS days),
    ranked by `method` (default: the for_you_method setting; "svm+popularity" fuses svm with the upvotes)."""
    method = method or settings.for_you_method
    period = period or default_period(store, settings, now)
    if period is None:
        return ForYou(None, [], 0, offset, limit, method, note="No New on arXiv papers yet.")
    signals = reader_signals(store, user_id)
    if not signals.positives:
        return ForYou(period, [], 0, offset, limit, method, note=NO_PAPERS)
    with store.read() as conn:
        candidates = [row["paper_id"] for row in queries.arxiv_rows(conn, period.start, period.end, followed(settings))]
    base, _, fused = method.partition("+")
    ranking = rank_candidates(engine, signals, candidates, method=base)  # type: ignore[arg-type]
    if fused and ranking.ids:
        with store.read() as conn:
            upvotes = accounts_repo.paper_upvotes(conn, ranking.ids)
        order = with_popularity(list(zip(ranking.ids, ranking.scores.tolist(), strict=True)), upvotes)
        ranking.ids, ranking.scores = [pid for pid, _ in order], np.array([score for _, score in order])
    total, unindexed = len(ranking.ids), ranking.unindexed
    page = ranking.page(offset, limit)
    if ranking.taste is None or not page:
        note = "None of your papers is indexed yet." if not ranking.mine and candidates else "Nothing new to pick."
        return ForYou(period, [], total, offset, limit, method, unindexed, note=note)
    items = {item.id: item for item in new_items(store, settings, [pid for pid, _ in page], viewer_id=user_id)}
    picks = [Pick(items[pid], score) for pid, score in page if pid in items]
    _explain(engine, store, signals, ranking.taste, ranking.mine, picks)
    return ForYou(period, picks, total, offset, limit, method, unindexed)


def _explain(
    engine: SearchEngine, store: Store, signals: Signals, taste: Taste, mine: list[str], picks: list[Pick]
) -> None:
    """Name the REASONS reader papers closest to each pick."""
    vectors = engine.vectors.vectors_of([pick.item.id for pick in picks])
    closest = {pick.item.id: taste.closest(vectors[pick.item.id], REASONS) for pick in picks if pick.item.id in vectors}
    wanted = sorted({mine[row] for found in closest.values() for row, _ in found})
    with store.read() as conn:
        titles = {pid: row["title"] for pid, row in queries.display_rows(conn, wanted).items()}
    saved = set(signals.library)
    for pick in picks:
        pick.because = [
            Because(mine[row], titles.get(mine[row], mine[row]), mine[row] in saved, sim)
            for row, sim in closest.get(pick.item.id, [])
        ]
