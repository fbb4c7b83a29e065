"""GET /api/daily_papers: a day's (week's, month's) list, shaped like Hugging Face's daily papers API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from paperwire.feed import lists
from paperwire.feed.lists import ListItem, Period
from paperwire.web.deps import AppDep, UserDep

router = APIRouter(tags=["daily papers"])


class ErrorMessage(BaseModel):
    """What every API error returns (as Hugging Face's API does); the HTTP status says which kind."""

    error: str = Field(examples=["date: expected a date as YYYY-MM-DD, e.g. 2026-02-03, got '2025-13-01'"])
    field: str | None = Field(None, description="the parameter at fault, when one is", examples=["date"])


ERRORS = {
    400: {"model": ErrorMessage, "description": "Bad parameters"},
    404: {"model": ErrorMessage, "description": "Not found"},
}


class Author(BaseModel):
    name: str


class DailyPaper(BaseModel):
    """The paper of a list item."""

    id: str = Field(description="arXiv id without version", examples=["2602.00919"])
    title: str
    summary: str = Field(description="the abstract")
    authors: list[Author]
    publishedAt: str | None = Field(
        description="first published on arXiv (ISO 8601, UTC)", examples=["2026-02-02T00:00:00.000Z"]
    )
    upvotes: int = Field(description="imported upvotes plus votes on this site")
    githubRepo: str | None = Field(description="code repository, if known")
    submittedOnDailyAt: str | None = Field(description="when it was put on the list (ISO 8601, UTC)")


class Submitter(BaseModel):
    """Who put a paper on the list: `user` and `fullname` as Hugging Face's client reads them; `name` as before."""

    name: str
    user: str
    fullname: str


class DailyItem(BaseModel):
    """One paper on a daily list."""

    paper: DailyPaper
    publishedAt: str = Field(description="the day of the list it is on (ISO 8601, UTC)")
    submittedOnDailyAt: str | None = Field(description="when it was put on the list (ISO 8601, UTC)")
    title: str
    summary: str = Field(description="the abstract")
    upvotes: int = Field(description="as paper.upvotes")
    numComments: int
    submittedBy: Submitter | None
    thumbnail: str | None = Field(
        description="the address of an image of the PDF's first page; null: this site has none (yet)"
    )
    githubRepo: str | None = Field(description="as paper.githubRepo")


def iso_z(day: date | datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, as Hugging Face writes it."""
    if day is None:
        return None
    moment = day if isinstance(day, datetime) else datetime(day.year, day.month, day.day, tzinfo=UTC)
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def daily_item(item: ListItem, site_url: str) -> DailyItem:
    authors = [Author(name=name) for name in item.authors]
    listed_at = iso_z(item.listed_at)
    paper = DailyPaper(
        id=item.id,
        title=item.title,
        summary=item.abstract,
        authors=authors,
        publishedAt=iso_z(item.published),
        upvotes=item.upvotes,
        githubRepo=item.code_url,
        submittedOnDailyAt=listed_at,
    )
    who = item.submitter
    return DailyItem(
        paper=paper,
        publishedAt=iso_z(item.list_date) or "",
        submittedOnDailyAt=listed_at,
        title=item.title,
        summary=item.abstract,
        upvotes=item.upvotes,
        numComments=item.comments,
        submittedBy=Submitter(name=who, user=who, fullname=who) if who else None,
        thumbnail=site_url.rstrip("/") + item.thumbnail.url if item.thumbnail else None,
        githubRepo=item.code_url,
    )


@router.get("/api/daily_papers", response_model=list[DailyItem], responses=ERRORS)  # type: ignore[arg-type]
def daily_papers(
    app: AppDep,
    user: UserDep,
    day: str | None = Query(None, alias="date", description="a day, YYYY-MM-DD (default: the latest day with papers)"),
    week: str | None = Query(None, description="an ISO week, YYYY-Www"),
    month: str | None = Query(None, description="a month, YYYY-MM"),
    sort: Literal["trending", "publishedAt"] = Query("trending", description="trending score or newest first"),
    category: str | None = Query(None, description="only papers in this arXiv category"),
    submitter: str | None = Query(None, description="only papers this user put on the list (name, case ignored)"),
    limit: int = Query(50, ge=1, le=100, description="items per page"),
    p: int = Query(0, ge=0, le=10_000, description="page number, from 0"),
) -> list[DailyItem]:
    """The Daily papers (imported or submitted picks) of a day, an ISO week or a month, each once, with their upvotes
    and comment counts.

    Without date, week or month: the latest day with papers (with `submitter`, the latest they listed papers on).
    """
    store, settings = app.store, app.settings
    period = lists.parse_period(day=day, week=week, month=month)
    if period is None:
        latest = lists.latest_day(store, settings, category=category, submitter=submitter)
        period = Period.day(latest or datetime.now(UTC).date())
    plist = lists.build_list(
        store,
        settings,
        period,
        sort="trending" if sort == "trending" else "newest",
        category=category,
        submitter=submitter,
        viewer_id=user["id"] if user else None,
        limit=limit,
        offset=p * limit,
    )
    return [daily_item(item, settings.site_url) for item in plist.items]
