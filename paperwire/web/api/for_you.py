"""GET /api/for-you: the caller's For you picks, shaped like /api/daily_papers items plus the reason for each."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from paperwire.feed import lists
from paperwire.recommend import for_you as ranking
from paperwire.web.api.daily import ERRORS, DailyItem, daily_item
from paperwire.web.api.votes import BEARER, api_user
from paperwire.web.deps import AppDep

router = APIRouter(tags=["for you"])


class Because(BaseModel):
    """One of the caller's papers a pick is close to."""

    id: str = Field(description="arXiv id of the caller's paper")
    title: str
    saved: bool = Field(description="true: in the caller's library; false: upvoted")
    similarity: float = Field(description="cosine similarity of the two papers' vectors")


class ForYouItem(DailyItem):
    """A daily item picked for the caller, with why."""

    reason: str = Field(
        description="why it was picked, in words", examples=["because you saved “Attention Is All You Need”"]
    )
    because: list[Because] = Field(description="the caller's papers it is closest to (at most two)")
    score: float = Field(description="the ranking's score (comparable within one response)")


@router.get(
    "/api/for-you",
    response_model=list[ForYouItem],
    dependencies=[Security(BEARER)],
    responses={**ERRORS, 401: {"description": "Not signed in"}},  # type: ignore[dict-item]
)
async def for_you_api(
    request: Request,
    app: AppDep,
    day: str | None = Query(None, alias="date", description="a day, YYYY-MM-DD"),
    week: str | None = Query(None, description="an ISO week, YYYY-Www"),
    month: str | None = Query(None, description="a month, YYYY-MM"),
    limit: int = Query(30, ge=1, le=100, description="items per page"),
    p: int = Query(0, ge=0, le=1_000, description="page number, from 0"),
) -> list[ForYouItem]:
    """New on arXiv papers ranked for the caller by their library and upvotes, best first, each with its reason.

    Without date, week or month: the last seven days up to the latest day with New on arXiv papers.
    Authenticate with `Authorization: Bearer <token>` (a personal token) or the site's session cookie.
    """
    user = await run_in_threadpool(
        api_user, request, app.store, request.headers.get("authorization", ""), "to see your picks"
    )
    period = lists.parse_period(day=day, week=week, month=month)
    found = await run_in_threadpool(
        ranking.for_you, app.store, app.settings, app.engine, user["id"], period, limit=limit, offset=p * limit
    )
    site = app.settings.site_url
    return [
        ForYouItem(
            **daily_item(pick.item, site).model_dump(),
            reason=pick.reason,
            because=[
                Because(id=b.paper_id, title=b.title, saved=b.saved, similarity=round(b.similarity, 4))
                for b in pick.because
            ],
            score=round(pick.score, 6),
        )
        for pick in found.picks
    ]
