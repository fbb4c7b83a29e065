"""The search page: the query language plus form filters, three modes, pages of 20, matched words marked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from paperwire.errors import InvalidInput
from paperwire.search.engine import MAX_DEPTH, Hit, SearchResults
from paperwire.search.highlight import highlight, math_spans, snippet
from paperwire.search.query import MAX_QUERY, MODES, Filters, Query, build_filters, check_mode, shown
from paperwire.web.app import render
from paperwire.web.deps import EngineDep
from paperwire.web.templating import render_math

router = APIRouter()
PER_PAGE = 20
MAX_PAGE = MAX_DEPTH // PER_PAGE


@dataclass
class ResultRow:
    """One hit as the page shows it: title and snippet already escaped and marked."""

    hit: Hit
    title: Markup
    snippet: Markup


def form_filters(category: str, author: str, since: str, until: str) -> Filters:
    """Filters from the form fields (each optional); raises InvalidInput naming the bad field."""
    return build_filters((category,), (author,), since, until)


def marked(text: str, query: Query) -> Markup:
    """Text with `$...$` rendered as MathML and query words marked elsewhere; everything else escaped."""
    parts = [render_math(f"${piece}$") if is_math else highlight(piece, query) for is_math, piece in math_spans(text)]
    return Markup("").join(parts)


def _page_number(raw: str) -> int:
    try:
        page = int(raw or "1")
    except ValueError:
        raise InvalidInput(f"page: expected a number, got {shown(raw)}") from None
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page: must be between 1 and {MAX_PAGE} (results stop at {MAX_DEPTH})")
    return page


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    engine: EngineDep,
    q: str = "",
    mode: str = "hybrid",
    category: str = "",
    author: str = "",
    since: str = "",
    until: str = "",
    page: str = "1",
) -> HTMLResponse:
    """Search results, or the empty form with the syntax help when there is nothing to search for."""
    given = {"q": q, "mode": mode, "category": category, "author": author, "since": since, "until": until}
    form = {name: value[:MAX_QUERY] for name, value in given.items()}  # echoed: never more than a query may hold
    context: dict[str, Any] = {
        "form": form,
        "modes": MODES,
        "nav_query": form["q"],
        "rows": [],
        "searched": False,
        "error": None,
        "close": True,
    }
    try:
        check_mode(mode)
        number = _page_number(page)
        filters = form_filters(category, author, since, until)
        if not q.strip() and not filters:
            return render(request, "search.html", **context)
        offset = (number - 1) * PER_PAGE
        results: SearchResults = engine.search(
            q, mode=mode, limit=min(PER_PAGE + 1, MAX_DEPTH - offset), offset=offset, filters=filters
        )
    except InvalidInput as exc:
        context["error"] = exc.message
        return render(request, "search.html", status=400, **context)
    hits = results.hits[:PER_PAGE]
    query = results.query
    rows = [ResultRow(h, marked(h.title, query), marked(snippet(h.abstract, query), query)) for h in hits]
    kept = {k: v for k, v in form.items() if v and not (k == "mode" and v == "hybrid")}

    def link(n: int) -> str:
        return "/search?" + urlencode({**kept, **({"page": n} if n > 1 else {})})

    more = len(results.hits) > PER_PAGE and number < MAX_PAGE
    context.update(
        rows=rows,
        searched=True,
        page=number,
        first=offset + 1 if hits else 0,
        last=offset + len(hits),
        prev_url=link(number - 1) if number > 1 else None,
        next_url=link(number + 1) if more else None,
        mode_urls={m: "/search?" + urlencode({**kept, "mode": m}) for m in MODES},
        listing=not query.has_text,
        close=results.close,
    )
    return render(request, "search.html", **context)
