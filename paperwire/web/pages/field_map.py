"""The map of the field (`/map?week=...`, `month=` or `date=`): a period's papers as an SVG drawn on the server,
one linked dot per paper sized by its votes, the clusters' words written over them, the reader's library and
For you picks drawn apart. The positions come from feed.period_map (cached, or drawn by a job)."""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperwire.feed import lists
from paperwire.feed.field_map import FieldMap
from paperwire.feed.lists import ListItem, Period
from paperwire.feed.period_map import latest_periods, period_map
from paperwire.recommend.for_you import for_you, reader_signals
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.pages.periods import DAILY, NEW, list_url

router = APIRouter()
MAP_PICKS = 30  # the reader's For you picks marked on the map: the first page of the tab
WIDTH, HEIGHT, MARGIN = 960, 640, 28  # the SVG's viewBox; dots stay MARGIN inside its edges
LABEL_CHAR_WIDTH, LABEL_LINE = 10.0, 18  # a label's letter width (at most, bold 15px) and line height, viewBox units
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
    on_map: bool = True  # False when it would cover a larger cluster's label: then it is only in the list


def place_labels(labels: list[Label]) -> list[Label]:
    """Labels kept inside the picture and off one another: largest cluster first, each moved up or down by
    up to two lines when it would cover one already placed, and left off the picture when that is not enough."""
    placed: list[tuple[float, float, float, float]] = []
    result = []
    for label in sorted(labels, key=lambda label: -label.size):
        half = LABEL_CHAR_WIDTH * len(label.text) / 2
        x = min(max(label.x, half + 2), WIDTH - half - 2)
        spot = None
        for shift in (0, -LABEL_LINE, LABEL_LINE, -2 * LABEL_LINE, 2 * LABEL_LINE):
            y = min(max(label.y + shift, LABEL_LINE), HEIGHT - 4)
            box = (x - half, y - LABEL_LINE + 4, x + half, y + 4)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                spot = (box, y)
                break
        if spot is None:
            result.append(replace(label, on_map=False))
            continue
        placed.append(spot[0])
        result.append(replace(label, x=round(x, 1), y=round(spot[1], 1)))
    return result


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
    labels = place_labels(
        [
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
    )
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
    library: frozenset[str] = frozenset()  # the signed-in reader's library and For you picks, drawn apart
    picks: frozenset[str] = frozenset()
    if user is not None and shown.drawn:
        library = frozenset(reader_signals(app.store, user["id"]).library)
        found = for_you(app.store, app.settings, app.engine, user["id"], period, limit=MAP_PICKS)
        picks = frozenset(pick.item.id for pick in found.picks)
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
