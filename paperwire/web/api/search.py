"""GET /api/papers/search: the site's search as JSON, shaped like Hugging Face's /api/papers/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from paperwire.feed.votes import upvotes_of
from paperwire.search.engine import MAX_LIMIT, Hit
from paperwire.search.query import build_filters
from paperwire.web.api.daily import ERRORS, Author, iso_z
from paperwire.web.deps import EngineDep, StoreDep

router = APIRouter()


class PaperSummary(BaseModel):
    id: str = Field(description="arXiv id without version, e.g. 2503.12536")
    title: str
    summary: str = Field(description="The abstract, as written (may contain LaTeX between $ signs)")
    authors: list[Author]
    publishedAt: str | None = Field(description="First publication day, ISO 8601 (midnight UTC)")
    upvotes: int = Field(description="Imported upvotes plus votes on this site")


class SearchResult(BaseModel):
    """One match: Hugging Face's item shape (`paper` plus its title, summary, date and upvotes at the top, which
    its client reads there) and Paperwire's ranking fields."""

    paper: PaperSummary
    title: str
    summary: str
    publishedAt: str | None
    upvotes: int
    score: float = Field(description="Relevance in the chosen mode (higher is better; 0 for a filter-only listing)")
    categories: list[str]
    match: str = Field(
        description="How close the paper is to the query: strong, partial or weak; when nothing is "
        "close the results are the nearest few papers, all weak. Empty for a filter-only listing."
    )
    foundBy: list[str] = Field(description="Which rankings had the paper among their candidates: keyword, semantic")


def result_of(hit: Hit, upvotes: int) -> SearchResult:
    published = iso_z(hit.published)
    paper = PaperSummary(
        id=hit.id,
        title=hit.title,
        summary=hit.abstract,
        authors=[Author(name=n) for n in hit.authors],
        publishedAt=published,
        upvotes=upvotes,
    )
    return SearchResult(
        paper=paper,
        title=hit.title,
        summary=hit.abstract,
        publishedAt=published,
        upvotes=upvotes,
        score=round(hit.score, 6),
        categories=hit.categories,
        match=hit.match,
        foundBy=hit.found_by,
    )


@router.get(
    "/api/papers/search",
    response_model=list[SearchResult],
    tags=["search"],
    summary="Search papers",
    responses={400: ERRORS[400]},
)
def search_papers(
    engine: EngineDep,
    store: StoreDep,
    q: Annotated[
        str,
        Query(
            description='Query language: words, "phrases", -excluded, author:"Name", cat:cs.CL, '
            "since:YYYY-MM-DD, until:YYYY-MM-DD"
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many results")] = 20,
    offset: Annotated[int, Query(ge=0, description="Results to skip (offset + limit at most 1000)")] = 0,
    mode: Annotated[str, Query(description="hybrid, keyword or semantic")] = "hybrid",
    category: Annotated[list[str] | None, Query(description="Only these arXiv categories (any of; repeatable)")] = None,
    author: Annotated[list[str] | None, Query(description="Only papers by these authors (all of; repeatable)")] = None,
    since: Annotated[str | None, Query(description="First published on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(description="First published on or before YYYY-MM-DD")] = None,
) -> list[SearchResult]:
    """Papers matching the query and filters, best first."""
    filters = build_filters(category or (), author or (), since, until)
    results = engine.search(q, mode=mode, limit=limit, offset=offset, filters=filters)
    upvotes = upvotes_of(store, [hit.id for hit in results.hits])
    return [result_of(hit, upvotes[hit.id]) for hit in results.hits]
