"""GET /api/papers/{id} and /api/papers/{id}/similar: one paper, and the papers nearest to it."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

import paperwire.web.pages.paper  # noqa: F401 -- registers the arxiv_id path convertor
from paperwire.feed.comments import comment_count
from paperwire.feed.votes import vote_state
from paperwire.papers.catalog import visible_paper
from paperwire.search.similar import similar
from paperwire.web.api.daily import ERRORS, Author, iso_z
from paperwire.web.deps import AppDep, StoreDep, UserDep

router = APIRouter(tags=["papers"])


class PaperLinks(BaseModel):
    abs: str
    pdf: str
    code: str | None
    project: str | None


class Paper(BaseModel):
    """A paper, shaped like Hugging Face's paper object, plus arXiv metadata."""

    id: str = Field(examples=["2503.11731"])
    title: str
    summary: str = Field(description="the abstract (Hugging Face's name for it)")
    abstract: str
    authors: list[Author]
    publishedAt: str | None
    updatedAt: str | None
    version: int | None
    categories: list[str]
    primaryCategory: str | None
    upvotes: int
    numComments: int
    githubRepo: str | None
    projectPage: str | None
    doi: str | None
    journalRef: str | None
    links: PaperLinks


class SimilarPaper(BaseModel):
    id: str
    title: str
    authors: list[Author]
    categories: list[str]
    publishedAt: str | None
    score: float = Field(description="cosine similarity to the paper")


@router.get("/api/papers/{paper_id:arxiv_id}/similar", response_model=list[SimilarPaper], responses=ERRORS)  # type: ignore[arg-type]
def similar_papers(
    app: AppDep, user: UserDep, paper_id: str, limit: int = Query(5, ge=1, le=100)
) -> list[SimilarPaper]:
    """The papers nearest to this one by meaning (vector similarity)."""
    paper = visible_paper(app.store, paper_id, user)
    hits = similar(app.engine, paper["id"], limit=limit)
    return [
        SimilarPaper(
            id=h.id,
            title=h.title,
            authors=[Author(name=n) for n in h.authors],
            categories=h.categories,
            publishedAt=iso_z(h.published),
            score=round(h.score, 6),
        )
        for h in hits
    ]


@router.get("/api/papers/{paper_id:arxiv_id}", response_model=Paper, responses=ERRORS)  # type: ignore[arg-type]
def get_paper(store: StoreDep, user: UserDep, paper_id: str) -> Paper:
    """One paper by arXiv id (2503.11731 or hep-th/9901001; a version suffix is ignored)."""
    row = visible_paper(store, paper_id, user)
    pid = row["id"]
    upvotes = vote_state(store, pid, None)["upvotes"]
    comments = comment_count(store, pid)
    links = PaperLinks(
        abs=f"https://arxiv.org/abs/{pid}",
        pdf=row["pdf_url"] or f"https://arxiv.org/pdf/{pid}",
        code=row["code_url"],
        project=row["project_url"],
    )
    return Paper(
        id=pid,
        title=row["title"],
        summary=row["abstract"],
        abstract=row["abstract"],
        authors=[Author(name=n) for n in row["authors"] or []],
        publishedAt=iso_z(row["published"]),
        updatedAt=iso_z(row["updated"]),
        version=row["version"],
        categories=list(row["categories"] or []),
        primaryCategory=row["primary_category"],
        upvotes=upvotes,
        numComments=comments,
        githubRepo=row["code_url"],
        projectPage=row["project_url"],
        doi=row["doi"],
        journalRef=row["journal_ref"],
        links=links,
    )
