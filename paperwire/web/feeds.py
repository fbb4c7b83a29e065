"""RSS 2.0 and Atom feeds of Daily papers and New on arXiv (a day, week or month), a search, a category and an author.

Readers render RSS titles and descriptions as HTML, so those hold the text escaped as HTML (and xml.etree
escapes that again for XML); Atom says so with type="html". A title `<script>` reaches the reader as text.
Every feed has an ETag (and a Last-Modified when each entry's last change is known), and answers a reader
that already has it with 304 Not Modified.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.errors import NotFound
from paperwire.feed import lists
from paperwire.feed.lists import Period
from paperwire.feed.new_papers import new_papers
from paperwire.papers import catalog
from paperwire.web.conditional import conditional_response
from paperwire.web.deps import AppDep, EngineDep, SettingsDep, StoreDep

router = APIRouter()
FEED_SIZE = 50
DAILY_SIZE = 100
CONTENT_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
ATOM_NS = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Entry:
    """One paper as a feed item."""

    id: str
    title: str
    authors: list[str]
    summary: str
    categories: list[str]
    when: datetime
    changed: datetime | None = None  # when the paper was last imported, updated or put on the list, if known


def _clean(text: str | None) -> str:
    """Text with the characters XML 1.0 cannot hold removed (xml.etree escapes the rest)."""
    return _NOT_XML.sub("", text or "")


def _moment(day: date | None, fallback: datetime | None = None) -> datetime:
    if day is not None:
        return datetime.combine(day, time.min, tzinfo=UTC)
    if fallback is not None:
        return fallback if fallback.tzinfo else fallback.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _html(text: str) -> str:
    """Plain text as the HTML that shows it, for elements readers render as HTML."""
    return html.escape(text, quote=False)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = _clean(text)
    return child


def render_rss(base: str, title: str, page_url: str, self_url: str, description: str, entries: list[Entry]) -> bytes:
    """An RSS 2.0 document (with an atom:link to itself, as validators ask)."""
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", _html(title))
    _sub(channel, "link", page_url)
    _sub(channel, "description", _html(description))
    _sub(channel, "atom:link", href=self_url, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(_updated(entries), usegmt=True))
    for entry in entries:
        link = f"{base}/papers/{entry.id}"
        item = _sub(channel, "item")
        _sub(item, "title", _html(entry.title))
        _sub(item, "link", link)
        _sub(item, "guid", link, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(entry.when.astimezone(UTC), usegmt=True))
        _sub(item, "description", _html(entry.summary))
        if entry.authors:
            _sub(item, "dc:creator", ", ".join(entry.authors))
        for category in entry.categories:
            _sub(item, "category", category)
    if any(entry.authors for entry in entries):
        rss.set("xmlns:dc", "http://purl.org/dc/elements/1.1/")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def render_atom(base: str, title: str, page_url: str, self_url: str, description: str, entries: list[Entry]) -> bytes:
    """An Atom 1.0 document."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", self_url)
    _sub(feed, "title", _html(title), type="html")
    _sub(feed, "subtitle", _html(description), type="html")
    _sub(feed, "link", href=self_url, rel="self", type="application/atom+xml")
    _sub(feed, "link", href=page_url, rel="alternate", type="text/html")
    _sub(feed, "updated", _rfc3339(_updated(entries)))
    _sub(_sub(feed, "author"), "name", "Paperwire")
    for entry in entries:
        link = f"{base}/papers/{entry.id}"
        item = _sub(feed, "entry")
        _sub(item, "id", link)
        _sub(item, "title", _html(entry.title), type="html")
        _sub(item, "link", href=link, rel="alternate", type="text/html")
        _sub(item, "updated", _rfc3339(entry.when))
        _sub(item, "published", _rfc3339(entry.when))
        for name in entry.authors:
            _sub(_sub(item, "author"), "name", name)
        for category in entry.categories:
            _sub(item, "category", term=category)
        _sub(item, "summary", _html(entry.summary), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _updated(entries: list[Entry]) -> datetime:
    return max((entry.when for entry in entries), default=datetime.now(UTC))


def last_modified(entries: list[Entry]) -> datetime | None:
    """When the feed last changed: its newest entry date or entry change; None when an entry's change is unknown
    (a search hit) or there is no entry, so that only the ETag says whether a reader's copy is current."""
    changes = [entry.changed for entry in entries if entry.changed is not None]
    if not entries or len(changes) < len(entries):
        return None
    newest = max([*(entry.when for entry in entries), *changes])
    return min(newest, datetime.now(UTC))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def respond(
    request: Request,
    settings: Settings,
    fmt: str,
    feed_path: str,
    title: str,
    page_path: str,
    description: str,
    entries: list[Entry],
) -> Response:
    """`feed_path` is the feed's own URL rebuilt from the parameters it read and checked: never the request's
    URL, whose unknown parameters (of any length) would be echoed into every reader's copy."""
    base = settings.site_url.rstrip("/")
    writer = render_rss if fmt == "rss" else render_atom
    body = writer(base, title, base + page_path, base + feed_path, description, entries)
    return conditional_response(request, body, CONTENT_TYPES[fmt], last_modified(entries))


def _check_format(fmt: str) -> str:
    if fmt not in CONTENT_TYPES:
        raise NotFound(f"no feed format {fmt[:20]!r}: use .rss or .atom")
    return fmt


def entry_of(row: dict[str, Any], day: date | None) -> Entry:
    """A feed entry dated by its list day, else its first publication, else when it was imported."""
    changes = [_aware(row[key]) for key in ("created_at", "updated_at", "listed_at") if row.get(key) is not None]
    return Entry(
        row["id"],
        row["title"],
        list(row["authors"] or []),
        row["abstract"] or "",
        list(row["categories"] or []),
        _moment(day or row["published"], row.get("created_at")),
        max(changes) if changes else None,
    )


@router.get("/feeds/daily.{fmt}", include_in_schema=False)
def daily_feed(
    request: Request,
    app: AppDep,
    fmt: str,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
    category: str | None = None,
) -> Response:
    """Daily papers, trending first: a day (the latest day with papers by default), a week or a month."""
    store, settings = app.store, app.settings

    def ranked(period: Period, category: str | None) -> lists.PaperList:
        return lists.build_list(store, settings, period, category=category, limit=DAILY_SIZE)

    def titles(label: str) -> tuple[str, str]:
        return f"Paperwire: papers of {label}", f"Trending papers of {label}"

    return _period_feed(request, app, fmt, "daily", "/", "community", (day, week, month), category, ranked, titles)


@router.get("/feeds/new.{fmt}", include_in_schema=False)
def new_feed(
    request: Request,
    app: AppDep,
    fmt: str,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
    category: str | None = None,
) -> Response:
    """New on arXiv, newest first: a day (the latest day with new papers by default), a week or a month."""
    store, settings = app.store, app.settings

    def ranked(period: Period, category: str | None) -> lists.PaperList:
        return new_papers(store, settings, period, category=category, limit=DAILY_SIZE).plist

    def titles(label: str) -> tuple[str, str]:
        return f"Paperwire: new on arXiv, {label}", f"New papers of {label} in the followed categories, newest first"

    return _period_feed(request, app, fmt, "new", "/new", "arxiv", (day, week, month), category, ranked, titles)


def _period_feed(
    request: Request,
    app: Paperwire,
    fmt: str,
    name: str,
    page_path: str,
    source: lists.Source,
    given: tuple[str | None, str | None, str | None],
    category: str | None,
    ranked: Callable[[Period, str | None], lists.PaperList],
    titles: Callable[[str], tuple[str, str]],
) -> Response:
    """A feed of one of the two period lists: the period asked for (`given`: date, week, month) or the latest day
    with papers, its list as `ranked` orders it, the page and feed addresses, and `titles` of the period's label."""
    _check_format(fmt)
    day, week, month = given
    period = lists.parse_period(day=day, week=week, month=month)
    category = lists.check_category(category)
    if period is None:
        latest = lists.latest_day(app.store, app.settings, category=category, source=source)
        period = Period.day(latest or datetime.now(UTC).date())
    entries = [entry_of(vars(item), item.list_date) for item in ranked(period, category).items]
    where = f" in {category}" if category else ""
    chosen = [f"category={quote(category)}"] if category else []
    page = f"{page_path}?" + "&".join([f"{period.param}={period.key}", *chosen])
    known = ([f"{period.param}={period.key}"] if day or week or month else []) + chosen  # no period: latest day
    feed = f"/feeds/{name}.{fmt}" + ("?" + "&".join(known) if known else "")
    title, description = titles(period.label + where)
    return respond(request, app.settings, fmt, feed, title, page, description, entries)


@router.get("/feeds/search.{fmt}", include_in_schema=False)
def search_feed(request: Request, settings: SettingsDep, engine: EngineDep, fmt: str, q: str = "") -> Response:
    """The best matches of a search query (the query language of the search page)."""
    _check_format(fmt)
    results = engine.search(q, limit=FEED_SIZE)
    entries = [entry_of(vars(hit), None) for hit in results.hits] if results.close else []  # no near misses in a feed
    return respond(
        request,
        settings,
        fmt,
        f"/feeds/search.{fmt}?q={quote(q)}",
        f"Paperwire: search for {q}",
        f"/search?q={quote(q)}",
        f"Papers matching {q}",
        entries,
    )


@router.get("/feeds/category/{category}.{fmt}", include_in_schema=False)
def category_feed(request: Request, settings: SettingsDep, store: StoreDep, category: str, fmt: str) -> Response:
    """The newest papers in an arXiv category."""
    _check_format(fmt)
    category = lists.check_category(category) or ""
    papers = catalog.newest_in_category(store, category, limit=FEED_SIZE)
    return respond(
        request,
        settings,
        fmt,
        f"/feeds/category/{quote(category)}.{fmt}",
        f"Paperwire: new in {category}",
        f"/search?q={quote('cat:' + category)}",
        f"The newest papers in {category}",
        [entry_of(row, None) for row in papers],
    )


@router.get("/feeds/author/{name:path}.{fmt}", include_in_schema=False)
def author_feed(request: Request, settings: SettingsDep, store: StoreDep, name: str, fmt: str) -> Response:
    """The newest papers of an author (name matched with accents and case ignored; it may hold `/` and `.`)."""
    _check_format(fmt)
    found = catalog.author_papers(store, catalog.author_key(name), limit=FEED_SIZE)
    return respond(
        request,
        settings,
        fmt,
        f"/feeds/author/{quote(name)}.{fmt}",
        f"Paperwire: papers by {name}",
        f"/authors/{quote(name)}",
        f"The newest papers by {name}",
        [entry_of(row, None) for row in found.papers],
    )
