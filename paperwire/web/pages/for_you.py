"""For you (`/for-you`, signed in): recent New on arXiv papers ranked for the reader, each with its reason,
and the reader's private Atom feed of the same list (`/feeds/for-you/{token}.atom`)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from paperwire.feed import lists
from paperwire.recommend import for_you as ranking
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.feeds import entry_of, respond
from paperwire.web.pages.account import signin_redirect
from paperwire.web.pages.periods import TABS

router = APIRouter()
PAGE_SIZE = 30
FEED_SIZE = 50


@router.get("/for-you", response_class=HTMLResponse, include_in_schema=False)
def for_you_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
    page: int = Query(1, ge=1, le=1_000),
) -> Response:
    """The reader's picks among the New on arXiv papers of a period (default: the last seven days with papers)."""
    if user is None:
        return signin_redirect(request, "/for-you")
    period = lists.parse_period(day=day, week=week, month=month)
    found = ranking.for_you(
        app.store, app.settings, app.engine, user["id"], period, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    params = f"{period.param}={period.key}&" if period is not None else ""
    return render(
        request,
        "for_you.html",
        found=found,
        tabs=[(tab, tab.path) for tab in TABS],
        feed_url=f"/feeds/for-you/{ranking.feed_token(app.settings, app.store, user)}.atom",
        prev_page_url=f"/for-you?{params}page={page - 1}" if page > 1 else None,
        next_page_url=f"/for-you?{params}page={page + 1}" if found.has_more else None,
        tag_prefix="/search?q=cat:",
    )


@router.get("/feeds/for-you/{token}.atom", include_in_schema=False)
def for_you_feed(request: Request, app: AppDep, token: str) -> Response:
    """The reader's For you list of the last seven days as Atom; the token in the address is the only key."""
    user = ranking.user_for_feed_token(app.settings, app.store, token)
    found = ranking.for_you(app.store, app.settings, app.engine, user["id"], limit=FEED_SIZE, now=datetime.now(UTC))
    entries = []
    for pick in found.picks:
        entry = entry_of(vars(pick.item), pick.item.list_date)
        entry.summary = f"Picked {pick.reason}.\n\n{entry.summary}"
        entries.append(entry)
    return respond(
        request,
        app.settings,
        "atom",
        f"/feeds/for-you/{token}.atom",
        "Paperwire: for you",
        "/for-you",
        "New papers picked for you from your library and your upvotes",
        entries,
    )
