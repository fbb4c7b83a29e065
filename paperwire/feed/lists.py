"""Lists of papers for a day, an ISO week or a month: the one function behind the home page, the API and the feeds.

Two sources fill a day: "community", the Daily papers (the `listings` table: Hugging Face imports and
submissions), and "arxiv", New on arXiv (papers first published that day in the followed categories; see
feed.new_papers). A paper's upvotes are its imported upvotes plus local votes.

The candidates of a period are few (a month of four busy categories is ~12k rows of three columns),
so they are ranked here in Python: the trending score needs pow(), which SQLite lacks.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.feed.trending import trending_score
from paperwire.papers.record import check_category as check_arxiv_category
from paperwire.papers.thumbnails import Thumbnail, thumbnails_of
from paperwire.store import Store
from paperwire.store import accounts as accounts_repo
from paperwire.store import feed as queries

SORTS = ("trending", "votes", "newest")
DAY_SORTS = ("votes", "newest")  # within one day every paper has the same age: trending would equal votes
ROLLING_DAYS = 7  # the trending page's window
TOP_RANKS = 3  # the papers of a period's list (by votes, unfiltered, first page) that get a "#n paper of the day" badge
SNIPPET_CHARS = 280
_DOLLAR = re.compile(r"(?<!\\)\$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.I)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEARS = range(1990, 3000)

Kind = Literal["day", "week", "month", "rolling"]
Source = Literal["community", "arxiv"]
DaySource = Source | Literal["either"]  # "either": a day with papers on one list or the other
VIEWS: tuple[Kind, ...] = ("day", "week", "month")  # the kinds a reader picks in the navigation


@dataclass(frozen=True)
class Period:
    """A day, an ISO week or a calendar month; `start` and `end` are both included."""

    kind: Kind
    start: date
    end: date

    @classmethod
    def day(cls, day: date) -> Period:
        return cls("day", day, day)

    @classmethod
    def week_of(cls, day: date) -> Period:
        monday = day - timedelta(days=day.weekday())
        return cls("week", monday, monday + timedelta(days=6))

    @classmethod
    def month_of(cls, day: date) -> Period:
        last = calendar.monthrange(day.year, day.month)[1]
        return cls("month", day.replace(day=1), day.replace(day=last))

    @classmethod
    def of(cls, kind: Kind, day: date) -> Period:
        """The day, week or month that holds `day`."""
        return {"day": cls.day, "week": cls.week_of, "month": cls.month_of}[kind](day)

    @classmethod
    def last_days(cls, end: date, days: int) -> Period:
        """The `days` days up to and including `end`: the trending page's rolling window."""
        return cls("rolling", end - timedelta(days=days - 1), end)

    @property
    def param(self) -> str:
        """The query parameter that selects this period: date, week or month."""
        return {"day": "date", "week": "week", "month": "month"}.get(self.kind, "date")

    @property
    def key(self) -> str:
        """2026-02-03, 2026-W06 or 2026-02 (a rolling window: its end, as a day)."""
        if self.kind == "rolling":
            return self.end.isoformat()
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        """A heading for people: "Tuesday 3 February 2026", "Week 6 of 2026", "February 2026", "28 Jan – 3 Feb 2026"."""
        if self.kind == "rolling":
            return f"{self.start.day} {self.start:%b} – {self.end.day} {self.end:%b %Y}"
        if self.kind == "day":
            return f"{self.start:%A} {self.start.day} {self.start:%B %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week} of {year} ({self.start.day} {self.start:%b} – {self.end.day} {self.end:%b})"
        return f"{self.start:%B %Y}"

    def shifted(self, steps: int) -> Period | None:
        """The period `steps` away (negative: earlier), or None outside the supported years."""
        other: Period | None
        if self.kind in ("day", "rolling"):
            length = timedelta(days=(self.end - self.start).days + 1)
            other = Period(self.kind, self.start + length * steps, self.end + length * steps)
        elif self.kind == "week":
            other = Period.week_of(self.start + timedelta(weeks=steps))
        else:
            months = self.start.year * 12 + self.start.month - 1 + steps
            other = Period.month_of(date(months // 12, months % 12 + 1, 1)) if months // 12 in _YEARS else None
        return other if other is not None and other.start.year in _YEARS else None


def parse_period(
    *, day: str | None = None, week: str | None = None, month: str | None = None, view: Kind | None = None
) -> Period | None:
    """The period asked for by `date=YYYY-MM-DD`, `week=YYYY-Www` or `month=YYYY-MM`; None when none is given.
    With `view` (see check_view), a date selects the week or month that holds it (the date picker's form).

    Raises InvalidInput naming the parameter when it is malformed, impossible or when several are given.
    """
    period = _parse_period(day=day, week=week, month=month)
    if period is None or view is None or period.kind == view:
        return period
    if period.kind == "day":
        return Period.of(view, period.start)
    raise InvalidInput(f"view: {view} does not go with {period.param}={period.key}; give a date instead", field="view")


def check_view(view: str | None) -> Kind | None:
    """The `view` parameter: day, week or month; None when empty; InvalidInput for anything else."""
    if not view or not view.strip():
        return None
    for kind in VIEWS:
        if view.strip() == kind:
            return kind
    raise InvalidInput(f"view: expected one of {', '.join(VIEWS)}, got {view[:40]!r}", field="view")


def _parse_period(*, day: str | None, week: str | None, month: str | None) -> Period | None:
    given = {name: value.strip() for name, value in (("date", day), ("week", week), ("month", month)) if value}
    if len(given) > 1:
        raise InvalidInput(f"give only one of date, week or month (got {', '.join(given)})", field=next(iter(given)))
    if not given:
        return None
    name, text = next(iter(given.items()))
    example = {
        "date": "a date as YYYY-MM-DD, e.g. 2026-02-03",
        "week": "an ISO week as YYYY-Www, e.g. 2026-W06",
        "month": "a month as YYYY-MM, e.g. 2026-02",
    }[name]
    found = {"date": _DAY, "week": _WEEK, "month": _MONTH}[name].match(text)
    if not found:
        raise InvalidInput(f"{name}: expected {example}, got {text[:40]!r}", field=name)
    if int(found[1]) not in _YEARS:  # checked first: the end of a period in year 9999 is past date.max
        raise InvalidInput(f"{name}: {text!r} is out of range (years {_YEARS.start} to {_YEARS.stop - 1})", field=name)
    try:
        if name == "date":
            return Period.day(date(int(found[1]), int(found[2]), int(found[3])))
        if name == "week":
            return Period.week_of(date.fromisocalendar(int(found[1]), int(found[2]), 1))
        return Period.month_of(date(int(found[1]), int(found[2]), 1))
    except ValueError:
        raise InvalidInput(f"{name}: expected {example}, got {text[:40]!r}", field=name) from None


def check_sort(sort: str | None) -> str:
    """The sort order, trending by default; InvalidInput for an unknown one."""
    if not sort:
        return "trending"
    if sort not in SORTS:
        raise InvalidInput(f"sort: expected one of {', '.join(SORTS)}, got {sort[:40]!r}", field="sort")
    return sort


def sorts_for(kind: Kind) -> tuple[str, ...]:
    """The sorts a list of this kind offers, its default first: a day has no trending (it equals votes)."""
    return DAY_SORTS if kind == "day" else SORTS


def check_list_sort(sort: str | None, kind: Kind) -> str:
    """The sort a page of this kind shows: its default when none is given, and votes for trending on a day
    (the same order, so an old link still works); InvalidInput for an unknown sort."""
    checked = check_sort(sort) if sort else sorts_for(kind)[0]
    return checked if checked in sorts_for(kind) else "votes"


def check_category(category: str | None) -> str | None:
    """The list's category filter: None when empty (every category), else checked by papers.record.check_category."""
    return check_arxiv_category(category) if category and category.strip() else None


@dataclass
class ListItem:
    """One paper on a list, with everything a page, a feed or the API shows of it."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published: date | None
    updated: date | None
    version: int | None
    code_url: str | None
    project_url: str | None
    created_at: datetime | None
    list_date: date
    upvotes: int
    voted: bool = False
    comments: int = 0
    submitter: str | None = None
    score: float = 0.0
    listed_at: datetime | None = None  # when it was put on its (first) list: submitted, imported or fetched
    pdf_url: str | None = None
    rank: int | None = None  # 1 to 3 for the top three of a whole period's list sorted by votes; else None
    thumbnail: Thumbnail | None = None  # the first page of its PDF, when one was drawn

    @property
    def snippet(self) -> str:
        """The abstract's start, at most SNIPPET_CHARS, cut between words and never inside a `$...$` span."""
        text = " ".join(self.abstract.split())
        if len(text) <= SNIPPET_CHARS:
            return text
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        head = text[: cut if cut > 0 else SNIPPET_CHARS]
        if len(_DOLLAR.findall(head)) % 2:  # an unclosed maths span: end before it
            head = head[: head.rfind("$")].rstrip()
        return head + " …"

    @property
    def links(self) -> list[tuple[str, str]]:
        """(label, address) of the paper's arXiv page, PDF, code and project page: http(s) addresses only."""
        candidates = [
            ("arXiv", f"https://arxiv.org/abs/{self.id}"),
            ("PDF", self.pdf_url or f"https://arxiv.org/pdf/{self.id}"),
            ("code", self.code_url),
            ("project", self.project_url),
        ]
        return [(label, url) for label, url in candidates if url and url.lower().startswith(("https://", "http://"))]


@dataclass
class PaperList:
    """A page of a list: the period, how it was sorted and filtered, its items and the total count."""

    period: Period
    sort: str
    category: str | None
    items: list[ListItem] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int | None = None

    @property
    def has_more(self) -> bool:
        return self.limit is not None and self.offset + len(self.items) < self.total


def followed(settings: Settings) -> list[str]:
    """The arXiv categories this instance follows."""
    return settings.followed_categories.split()


def _sources(settings: Settings, source: DaySource) -> tuple[bool, list[str]]:
    """(whether listings count, the followed categories whose new papers count) for a list of this source."""
    return source != "arxiv", followed(settings) if source != "community" else []


def build_list(
    store: Store,
    settings: Settings,
    period: Period,
    *,
    sort: str = "trending",
    source: Source = "community",
    first: Sequence[str] = (),
    category: str | None = None,
    submitter: str | None = None,
    viewer_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> PaperList:
    """The papers of a period from one source (Daily papers or New on arXiv), each once, sorted by trending score,
    votes or newest, optionally in one category or only those a submitter (a user's display name or the source's
    name, case ignored) put on the list. Papers named in `first` come before the rest, in that order.

    On the first page of a whole period's list sorted by votes, the top three papers with votes get their `rank`.
    A paper listed on several days of the period counts from its first day. Its upvotes are counted
    as everywhere else (store.accounts.paper_upvotes: the most any of its listings imported, plus
    local votes). Hidden papers never appear. `limit`/`offset` cut one page.
    """
    sort = check_sort(sort)
    category = check_category(category)
    if (limit is not None and limit < 1) or offset < 0:
        raise InvalidInput("limit must be at least 1 and offset at least 0")
    now = now or datetime.now(UTC)
    submitter = submitter.strip() if submitter and submitter.strip() else None
    community, arxiv_categories = _sources(settings, source)
    if submitter is not None:
        arxiv_categories = []  # papers listed by their arXiv date have no submitter
    with store.read() as conn:
        rows = []
        if community:
            rows += queries.community_rows(conn, period.start, period.end, category=category, submitter=submitter)
        rows += queries.arxiv_rows(conn, period.start, period.end, arxiv_categories, category=category)
        merged = _merge(rows)
        upvotes = accounts_repo.paper_upvotes(conn, list(merged))
        for entry in merged.values():
            entry["upvotes"] = upvotes[entry["paper_id"]]
            entry["score"] = trending_score(entry["upvotes"], entry["list_date"], now, settings.trending_gravity)
        ranked = _sorted(list(merged.values()), sort, first)
        page = ranked[offset : offset + limit] if limit is not None else ranked[offset:]
        ids = [entry["paper_id"] for entry in page]
        papers = queries.display_rows(conn, ids)
        counts = queries.comment_counts(conn, ids)
        voted = accounts_repo.voted_by(conn, viewer_id, ids)
    items = [_item(papers[e["paper_id"]], e, counts, voted) for e in page if e["paper_id"] in papers]
    _add_thumbnails(settings, items)
    if sort == "votes" and offset == 0 and category is None and submitter is None:
        for rank, item in enumerate(items[:TOP_RANKS], start=1):
            item.rank = rank if item.upvotes > 0 else None
    return PaperList(period, sort, category, items, total=len(ranked), offset=offset, limit=limit)


def new_items(store: Store, settings: Settings, ids: Sequence[str], *, viewer_id: int | None = None) -> list[ListItem]:
    """List items of papers chosen elsewhere (For you), in that order, as New on arXiv shows them: dated by their
    first publication. Papers unknown, hidden or never published are left out."""
    with store.read() as conn:
        papers = queries.display_rows(conn, ids)
        upvotes = accounts_repo.paper_upvotes(conn, ids)
        counts = queries.comment_counts(conn, ids)
        voted = accounts_repo.voted_by(conn, viewer_id, ids)
    items = []
    for paper_id in ids:
        paper = papers.get(paper_id)
        if paper is None or paper["published"] is None:
            continue
        entry = {"list_date": paper["published"], "upvotes": upvotes[paper_id], "submitter": None, "score": 0.0}
        items.append(_item(paper, entry | {"listed_at": paper["created_at"]}, counts, voted))
    _add_thumbnails(settings, items)
    return items


def _add_thumbnails(settings: Settings, items: list[ListItem]) -> None:
    thumbnails = thumbnails_of(settings, [item.id for item in items])
    for item in items:
        item.thumbnail = thumbnails.get(item.id)


def _merge(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        row = {**row, "list_date": queries.as_date(row["list_date"])}
        seen = merged.get(row["paper_id"])
        if seen is None:
            merged[row["paper_id"]] = row
            continue
        seen["submitter"] = seen["submitter"] or row["submitter"]
        seen["list_date"] = min(seen["list_date"], row["list_date"])
        seen["listed_at"] = min((t for t in (seen["listed_at"], row["listed_at"]) if t is not None), default=None)
    return merged


def _sorted(entries: list[dict[str, Any]], sort: str, first: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Order entries, those named in `first` before the rest in that order; ties fall back to the newer list day,
    then the higher (newer) arXiv id."""
    entries.sort(key=lambda e: e["paper_id"], reverse=True)
    if sort == "trending":
        entries.sort(key=lambda e: (-e["score"], -e["upvotes"], -e["list_date"].toordinal()))
    elif sort == "votes":
        entries.sort(key=lambda e: (-e["upvotes"], -e["list_date"].toordinal()))
    else:
        entries.sort(key=lambda e: -e["list_date"].toordinal())
    if first:
        place = {paper_id: n for n, paper_id in enumerate(first)}
        entries.sort(key=lambda e: place.get(e["paper_id"], len(place)))
    return entries


def _item(paper: dict[str, Any], entry: dict[str, Any], counts: dict[str, int], voted: set[str]) -> ListItem:
    return ListItem(
        id=paper["id"],
        title=paper["title"],
        abstract=paper["abstract"],
        authors=list(paper["authors"] or []),
        categories=list(paper["categories"] or []),
        published=paper["published"],
        updated=paper["updated"],
        version=paper["version"],
        code_url=paper["code_url"],
        project_url=paper["project_url"],
        created_at=paper["created_at"],
        list_date=entry["list_date"],
        upvotes=entry["upvotes"],
        voted=paper["id"] in voted,
        comments=counts.get(paper["id"], 0),
        submitter=entry["submitter"],
        score=entry["score"],
        listed_at=entry["listed_at"],
        pdf_url=paper["pdf_url"],
    )


def latest_day(
    store: Store,
    settings: Settings,
    *,
    before: date | None = None,
    category: str | None = None,
    submitter: str | None = None,
    source: DaySource = "community",
) -> date | None:
    """The latest day with papers on its list (before `before` when given; listed by `submitter` when given;
    on either list with `source="either"`), or None if there is none."""
    community, arxiv_categories = _sources(settings, source)
    with store.read() as conn:
        return queries.nearest_day(
            conn,
            community=community,
            followed=arxiv_categories,
            before=before,
            category=check_category(category),
            submitter=submitter.strip() if submitter and submitter.strip() else None,
        )


def next_day(
    store: Store, settings: Settings, *, after: date, category: str | None = None, source: Source = "community"
) -> date | None:
    """The earliest day after `after` with papers on its list, or None."""
    community, arxiv_categories = _sources(settings, source)
    with store.read() as conn:
        return queries.nearest_day(
            conn, community=community, followed=arxiv_categories, after=after, category=check_category(category)
        )


def latest_period(
    store: Store, settings: Settings, kind: Kind, *, category: str | None = None, source: Source = "community"
) -> Period | None:
    """The day, week or month that holds the latest day with papers, or None if there is none."""
    latest = latest_day(store, settings, category=category, source=source)
    return Period.of(kind, latest) if latest is not None else None


def first_day(store: Store, settings: Settings, *, source: Source = "community") -> date | None:
    """The earliest day with papers on its list, or None."""
    return next_day(store, settings, after=date(_YEARS.start - 1, 12, 31), source=source)


def trending_list(
    store: Store,
    settings: Settings,
    *,
    category: str | None = None,
    viewer_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> PaperList:
    """The rolling trending list: Daily papers of the last ROLLING_DAYS days, ranked by trending score.

    The window ends today, or on the latest day with papers when today has none (in any category, so the
    window is the same with a filter); then the scores are taken as at the end of that day, as they stood then.
    """
    now = now or datetime.now(UTC)
    end = latest_day(store, settings, before=now.date() + timedelta(days=1)) or now.date()
    if end < now.date():
        now = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    period = Period.last_days(end, ROLLING_DAYS)
    return build_list(
        store,
        settings,
        period,
        sort="trending",
        category=category,
        viewer_id=viewer_id,
        limit=limit,
        offset=offset,
        now=now,
    )
