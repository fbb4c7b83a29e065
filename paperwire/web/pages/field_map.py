"""The map of the field (`/map?week=...`, `month=` or `date=`): a period's papers as an SVG drawn on the server,
one linked dot per paper sized by its votes, the clusters' words written over them, the reader's library and
For you picks drawn apart. The positions come from feed.period_map (cached, or drawn by a job)."""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperwire.feed import lists
from paperwire.feed.field_map import FieldMap
from paperwire.feed.lists import ListItem, Period
from paperwire.feed.period_map import latest_periods, period_map
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.pages.periods import DAILY, NEW, list_url

router = APIRouter()
WIDTH, HEIGHT, MARGIN = 960, 640, 28  # the SVG's viewBox; dots stay MARGIN inside its edges
PALETTE = 10  # cluster colours, classes c0..c9 in feed.css
REFRESH_SECONDS = 20  # while a job draws the map, the page reloads itself this often


@dataclass(frozen=True)
class Dot:
    """One paper on the map: where, how big, its colour class and whether the reader has it or was offered it."""

    id: str
    title: str
    x: int  # whole units of the viewBox: the page holds thousands of dots, and a unit is under a pixel wide
    y: int
    r: float
    upvotes: int
    cluster: int
    in_library: bool
    picked: bool

    @property
    def url(self) -> str:
        return f"/papers/{self.id}"

    @property
    def css(self) -> str:
        classes = [f"c{self.cluster % PALETTE}" if self.cluster >= 0 else "c-none"]
        classes += ["in-library"] * self.in_library + ["picked"] * self.picked
        return " ".join(classes)


@dataclass(frozen=True)
class Label:
    """A cluster's words, written at the middle of its papers."""

    x: float
    y: float
    text: str
    size: int
    css: str  # the colour class of its cluster's dots, for the key beside the list


def dot_radius(upvotes: int) -> float:
    """3 for no votes, growing with the square root of the votes (area with votes), at most 14."""
    return round(min(14.0, 3.0 + 1.5 * math.sqrt(max(upvotes, 0))), 1)


def map_view(
    drawn: FieldMap, items: Sequence[ListItem], *, library: Set[str] = frozenset(), picks: Set[str] = frozenset()
) -> dict[str, Any]:
    """What the SVG needs: a dot per paper both on the map and on the period's lists (votes as they are now),
    highlighted ones drawn last (on top), and one label per cluster."""
    by_id = {item.id: item for item in items}
    dots = []
    for pid, (x, y), cluster in zip(drawn.ids, drawn.coords, drawn.clusters, strict=True):
        item = by_id.get(pid)
        if item is None:  # left the lists since the map was drawn (hidden, say)
            continue
        dots.append(
            Dot(
                id=pid,
                title=item.title,
                x=round(MARGIN + float(x) * (WIDTH - 2 * MARGIN)),
                y=round(MARGIN + float(y) * (HEIGHT - 2 * MARGIN)),
                r=dot_radius(item.upvotes),
                upvotes=item.upvotes,
                cluster=int(cluster),
                in_library=pid in library,
                picked=pid in picks,
            )
        )
    dots.sort(key=lambda dot: (dot.in_library or dot.picked, dot.upvotes))
    labels = [
        Label(
            x=round(MARGIN + c.x * (WIDTH - 2 * MARGIN), 1),
            y=round(MARGIN + c.y * (HEIGHT - 2 * MARGIN), 1),
            text=c.label,
            size=c.size,
            css=f"c{c.number % PALETTE}",
        )
        for c in drawn.labels
        if c.words
    ]
    return {
        "dots": dots,
        "labels": labels,
        "width": WIDTH,
        "height": HEIGHT,
        "library_count": sum(dot.in_library for dot in dots),
        "pick_count": sum(dot.picked for dot in dots),
        "missing": len(drawn.missing),
    }


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def field_map_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
) -> HTMLResponse:
    """The map of a day, week or month (default: the latest week with papers)."""
    period = lists.parse_period(day=day, week=week, month=month)
    today = datetime.now(UTC).date()
    if period is None:
        weeks = latest_periods(app.store, app.settings, ("week",))
        period = max(weeks, key=lambda week: week.start) if weeks else Period.week_of(today)
    shown = period_map(app.store, app.settings, period, app.engine.model, viewer_id=user["id"] if user else None)
    # The reader's library and For you picks are drawn apart once those features provide them.
    library: frozenset[str] = frozenset()
    picks: frozenset[str] = frozenset()
    view = map_view(shown.drawn, shown.items, library=library, picks=picks) if shown.drawn else {}
    before, after = period.shifted(-1), period.shifted(1)
    return render(
        request,
        "field_map.html",
        period=period,
        shown=shown,
        refresh=REFRESH_SECONDS if shown.queued else None,
        prev_url=map_url(before) if before else None,
        next_url=map_url(after) if after and after.start <= today else None,
        list_links=[(DAILY.name, list_url(DAILY, period)), (NEW.name, list_url(NEW, period))],
        **view,
    )


def map_url(period: Period) -> str:
    """The address of a period's map."""
    return f"/map?{period.param}={period.key}"
