"""The paper page (abstract, links, votes, comments, similar papers, BibTeX) and the author page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.convertors import Convertor, register_url_convertor

from paperwire.errors import NotFound, PaperwireError
from paperwire.feed.comments import list_comments
from paperwire.feed.votes import vote_state
from paperwire.papers.bibtex import bibtex
from paperwire.papers.record import parse_arxiv_id
from paperwire.search.similar import similar
from paperwire.store import feed as feed_queries
from paperwire.store import papers as repo
from paperwire.web.app import current_user, render

log = logging.getLogger("paperwire.web")
router = APIRouter()
AUTHOR_PAGE_SIZE = 25
SIMILAR_COUNT = 5


class ArxivIdConvertor(Convertor[str]):
    """Path parameter matching only arXiv ids (2503.11731, hep-th/9901001, with an optional version).

    A plain `{id:path}` would also swallow sibling routes such as /api/papers/search.
    """

    regex = r"[0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?|[a-z][a-z\-]*(?:\.[A-Z]{2})?/[0-9]{7}(?:v[0-9]+)?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("arxiv_id", ArxivIdConvertor())


def load_visible_paper(request: Request, raw_id: str) -> dict[str, Any]:
    """The paper row of an id, or NotFound (hidden papers are shown to admins only)."""
    paper_id, _ = parse_arxiv_id(raw_id)
    with request.app.state.store.read() as conn:
        paper = repo.get_paper(conn, paper_id)
    user = current_user(request)
    if paper is None or (paper["hidden"] and not (user and user["role"] == "admin")):
        raise NotFound(f"no paper {paper_id} here: it may not have been imported yet")
    return paper


@router.get("/papers/{paper_id:arxiv_id}", response_class=HTMLResponse, include_in_schema=False)
def paper_page(request: Request, paper_id: str) -> HTMLResponse:
    """One paper: abstract with rendered math, authors, links, votes, comments, similar papers, BibTeX."""
    paper = load_visible_paper(request, paper_id)
    pid = paper["id"]
    user = current_user(request)
    votes = vote_state(request.app.state.store, pid, user["id"] if user else None)
    with request.app.state.store.read() as conn:
        versions = repo.paper_versions_of(conn, pid)
        listed = feed_queries.paper_listings(conn, pid)
    try:
        neighbours = similar(request.app.state.engine, pid, limit=SIMILAR_COUNT, embed_missing=False)
    except PaperwireError as exc:  # e.g. no vector index yet: the page still shows the paper
        log.warning("similar papers of %s unavailable: %s", pid, exc)
        neighbours = []
    links = [("arXiv", f"https://arxiv.org/abs/{pid}"), ("PDF", paper["pdf_url"] or f"https://arxiv.org/pdf/{pid}")]
    if paper["code_url"]:
        links.append(("Code", paper["code_url"]))
    if paper["project_url"]:
        links.append(("Project page", paper["project_url"]))
    return render(
        request,
        "paper.html",
        paper=paper,
        paper_id=pid,
        upvotes=votes["upvotes"],
        voted=votes["voted"],
        versions=versions,
        listed=listed,
        similar=neighbours,
        links=links,
        bibtex=bibtex(paper),
        comments=list_comments(request.app.state.store, pid, viewer=user),
    )


@router.get("/authors/{name:path}", response_class=HTMLResponse, include_in_schema=False)
def author_page(request: Request, name: str, page: int = Query(1, ge=1, le=10_000)) -> HTMLResponse:
    """An author's papers, newest first, matched on the folded name (accents and case ignored)."""
    key = repo.name_key(name)
    if not key or len(name) > 300:
        raise NotFound("no such author")
    offset = (page - 1) * AUTHOR_PAGE_SIZE
    with request.app.state.store.read() as conn:
        ids, total = feed_queries.author_papers(conn, key, limit=AUTHOR_PAGE_SIZE, offset=offset)
        rows = feed_queries.display_rows(conn, ids)
        spelled = feed_queries.author_spelling(conn, key)
    if total == 0:
        raise NotFound(f"no papers by {name} here")
    if not ids:
        raise NotFound(f"{name} has {total} papers here: page {page} is past the last one")
    return render(
        request,
        "author.html",
        author=spelled or name,
        author_path=name,
        papers=[rows[i] for i in ids if i in rows],
        total=total,
        page=page,
        offset=offset,
        has_more=offset + len(ids) < total,
    )
