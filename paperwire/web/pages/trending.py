"""The trending page: papers of the last seven days, ranked by votes decayed by age (lists.trending_list)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperwire.feed import lists
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.pages.feed import PAGE_SIZE

router = APIRouter()


def trending_url(*, category: str | None = None, page: int = 1) -> str:
    """The trending page's address (first page and no filter left out)."""
    params = {"category": category or "", "page": str(page) if page > 1 else ""}
    query = urlencode({name: value for name, value in params.items() if value})
    return "/trending" + ("?" + query if query else "")


@router.get("/trending", response_class=HTMLResponse, include_in_schema=False)
def trending(
    request: Request,
    app: AppDep,
    user: UserDep,
    category: str | None = None,
    page: int = Query(1, ge=1, le=10_000),
) -> HTMLResponse:
    """The rolling trending list, optionally in one category."""
    plist = lists.trending_list(
        app.store,
        app.settings,
        category=category,
        viewer_id=user["id"] if user else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    today = datetime.now(UTC).date()
    window = plist.period
    note = None
    if window.end < today:
        note = f"Nothing yet today: showing the {lists.ROLLING_DAYS} days up to the latest day with papers."
    return render(
        request,
        "trending.html",
        plist=plist,
        period=window,
        days=lists.ROLLING_DAYS,
        latest_note=note,
        show_day=True,
        followed=lists.followed(app.settings),
        tag_prefix="/trending?category=",
        clear_category_url=trending_url(),
        prev_page_url=trending_url(category=plist.category, page=page - 1) if page > 1 else None,
        next_page_url=trending_url(category=plist.category, page=page + 1) if plist.has_more else None,
    )
