"""The paper page (abstract, links, votes, comments, similar papers, BibTeX), its Markdown, and the author page."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from paperwire.errors import NotFound, PaperwireError
from paperwire.feed.comments import list_comments
from paperwire.feed.votes import vote_state
from paperwire.papers import catalog, library
from paperwire.papers.bibtex import bibtex
from paperwire.papers.markdown import paper_markdown
from paperwire.search.similar import similar
from paperwire.web.app import render
from paperwire.web.deps import AppDep, StoreDep, UserDep

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


@router.get("/papers/{paper_id:arxiv_id}.md", response_class=Response, tags=["papers"], summary="A paper as Markdown")
def paper_as_markdown(store: StoreDep, user: UserDep, paper_id: str) -> Response:
    """The paper's title, authors, date, abstract and arXiv link as Markdown (Hugging Face's `read_paper`)."""
    paper = catalog.visible_paper(store, paper_id, user)
    return Response(paper_markdown(paper), media_type="text/markdown; charset=utf-8")


@router.get("/papers/{paper_id:arxiv_id}", response_class=HTMLResponse, include_in_schema=False)
def paper_page(request: Request, app: AppDep, user: UserDep, paper_id: str) -> HTMLResponse:
    """One paper: abstract with rendered math, authors, links, votes, comments, similar papers, BibTeX."""
    paper = catalog.visible_paper(app.store, paper_id, user)
    pid = paper["id"]
    votes = vote_state(app.store, pid, user["id"] if user else None)
    marks = library.viewer_marks(app.store, user["id"] if user else None, pid)
    history = catalog.paper_history(app.store, pid)
    try:
        neighbours = similar(app.engine, pid, limit=SIMILAR_COUNT, embed_missing=False)
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
        versions=history.versions,
        listed=history.listings,
        similar=neighbours,
        links=links,
        bibtex=bibtex(paper),
        comments=list_comments(app.store, pid, viewer=user),
        **marks,
    )


@router.get("/authors/{name:path}", response_class=HTMLResponse, include_in_schema=False)
def author_page(request: Request, store: StoreDep, name: str, page: int = Query(1, ge=1, le=10_000)) -> HTMLResponse:
    """An author's papers, newest first, matched on the folded name (accents and case ignored)."""
    key = catalog.author_key(name)
    offset = (page - 1) * AUTHOR_PAGE_SIZE
    found = catalog.author_papers(store, key, limit=AUTHOR_PAGE_SIZE, offset=offset)
    if found.total == 0:
        raise NotFound(f"no papers by {name} here")
    if not found.ids:
        raise NotFound(f"{name} has {found.total} papers here: page {page} is past the last one")
    return render(
        request,
        "author.html",
        author=found.spelling or name,
        author_path=name,
        papers=found.papers,
        total=found.total,
        page=page,
        offset=offset,
        has_more=offset + len(found.ids) < found.total,
    )
