"""Hugging Face's own client (`huggingface_hub.HfApi`) against a live Paperwire: the API is shaped like the Hub's.

The real app is served by uvicorn on loopback over the web tests' data (300 arXiv papers of 2025-03-18 and the
Hugging Face list of 2026-02-03), plus a day whose papers two submitters put on the list.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from paperwire.config import Settings
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem
from paperwire.store import Store
from tests.web.feed_helpers import TOP

hf = pytest.importorskip("huggingface_hub")
from huggingface_hub.errors import BadRequestError, HfHubHTTPError  # noqa: E402

DAY = date(2026, 2, 10)  # a Tuesday, in ISO week 2026-W07
HOSTILE = "Evil\r\nSet-Cookie: owned=1\r\n\r\n# Injected heading <script>alert(1)</script>"
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _submit(store: Store, pid: str, title: str, submitter: str, upvotes: int, **extra: Any) -> None:
    record = PaperRecord(pid, title, f"The abstract of {title}.", ("Ada Lovelace", "Alan Turing"), ("cs.LG",), **extra)
    listing = ListingEntry(DAY, pid, "huggingface", submitter=submitter, upvotes=upvotes)
    report = ingest_items(store, [ParsedItem(record, "test", 1, listing=listing)], source="test")
    assert not report.errors, report.errors


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite only: the HTTP tests of each route run on PostgreSQL too; this checks the client's reading."""
    return request.param


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def site_settings(site_settings: Settings, listener: socket.socket) -> Settings:
    return site_settings.model_copy(update={"site_url": f"http://127.0.0.1:{listener.getsockname()[1]}"})


@pytest.fixture
def live_url(app: Any, listener: socket.socket, site_settings: Settings, site_store: Store) -> Iterator[str]:
    """The app served by uvicorn from a background thread, with a day of submitted papers; stopped afterwards."""
    import uvicorn

    _submit(site_store, "2602.10001", "Sparse mixtures of experts", "akhaliq", 12, published=DAY)
    _submit(site_store, "2602.10002", "Dense mixtures of experts", "akhaliq", 40, published=DAY)
    _submit(site_store, "2602.10003", "Graph transformers revisited", "taesiri", 25, published=DAY)
    _submit(site_store, "2602.10004", HOSTILE, "taesiri", 1, published=DAY)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield site_settings.site_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api(live_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    return hf.HfApi(endpoint=live_url, token=False)


def test_list_daily_papers_by_date_week_month_and_sort(api: Any) -> None:
    papers = list(api.list_daily_papers(date="2026-02-03"))
    assert len(papers) == 50  # the client's default page
    top = papers[0]
    assert top.id == TOP and top.title.startswith("Green-VLA") and top.upvotes == 280
    assert top.authors[0].name == "I. Apanasevich" and len(top.authors) == 22
    assert top.summary.startswith("We introduce Green-VLA") and top.comments == 0
    assert top.published_at is not None and top.submitted_at is not None and top.submitted_by is None
    assert top.github_repo == "https://github.com/greenvla/GreenVLA" and top.thumbnail is None
    assert [p.upvotes for p in papers] == sorted((p.upvotes for p in papers), reverse=True)

    week = [p.id for p in api.list_daily_papers(week="2026-W07", limit=100)]
    month = [p.id for p in api.list_daily_papers(month="2026-02", limit=100)]
    assert week == ["2602.10002", "2602.10003", "2602.10001", "2602.10004"]  # trending: upvotes, one day
    assert set(week) < set(month) and len(month) == 73 + 4
    newest = [p.id for p in api.list_daily_papers(date=DAY.isoformat(), sort="publishedAt")]
    assert newest == ["2602.10004", "2602.10003", "2602.10002", "2602.10001"]  # one day: newest arXiv id first
    assert [p.id for p in api.list_daily_papers(date="2026-02-03", limit=10, p=1)] == [p.id for p in papers[10:20]]


def test_list_daily_papers_by_submitter(api: Any) -> None:
    mine = list(api.list_daily_papers(date=DAY.isoformat(), submitter="akhaliq"))
    assert [p.id for p in mine] == ["2602.10002", "2602.10001"]
    who = mine[0].submitted_by
    assert (who.username, who.fullname, who.name) == ("akhaliq", "akhaliq", "akhaliq")
    assert mine[0].submitted_at is not None and mine[0].published_at.date() == DAY
    assert [p.id for p in api.list_daily_papers(week="2026-W07", submitter="TAESIRI")] == ["2602.10003", "2602.10004"]
    assert list(api.list_daily_papers(date="2026-02-03", submitter="akhaliq")) == []  # nobody submitted that day's
    assert list(api.list_daily_papers(date=DAY.isoformat(), submitter="nobody")) == []
    assert [p.id for p in api.list_daily_papers(submitter="akhaliq")] == ["2602.10002", "2602.10001"]  # latest day
    assert list(api.list_daily_papers(submitter="nobody")) == []


def test_bad_parameters_are_400s_the_client_explains(api: Any) -> None:
    with pytest.raises(BadRequestError, match="date: expected a date as YYYY-MM-DD"):
        list(api.list_daily_papers(date="2026-13-01"))
    with pytest.raises(BadRequestError, match="sort"):
        list(api.list_daily_papers(sort="hottest"))
    with pytest.raises(BadRequestError, match="limit"):
        list(api.list_daily_papers(limit=101))
    with pytest.raises(BadRequestError, match="type some words"):
        list(api.list_papers())
    with pytest.raises(BadRequestError, match="limit"):
        list(api.list_papers(query="attention", limit=500))
    with pytest.raises(HfHubHTTPError, match=r"no paper 9999\.99999") as missing:
        api.paper_info("9999.99999")
    assert missing.value.response.status_code == 404


def test_list_papers_search(api: Any) -> None:
    found = list(api.list_papers(query="geometric score-based black-box attack", limit=5))
    assert 1 <= len(found) <= 5
    top = next(p for p in found if p.id == "2503.12827")
    assert top.title == "GSBAK$^K$: $top$-$K$ Geometric Score-based Black-box Attack"
    assert top.upvotes == 0 and top.summary and top.published_at.date() == date(2025, 3, 18)
    assert [a.name for a in top.authors] == ["Md Farhamdur Reza", "Richeng Jin", "Tianfu Wu", "Huaiyu Dai"]
    assert top.match in ("strong", "partial", "weak") and top.categories == ["cs.CV"]  # Paperwire's own fields
    liked = next(p for p in api.list_papers(query="Green-VLA staged vision-language-action robots") if p.id == TOP)
    assert liked.upvotes == 280 and liked.title.startswith("Green-VLA")


def test_paper_info(api: Any) -> None:
    info = api.paper_info("2503.12827")
    assert info.id == "2503.12827" and info.title.startswith("GSBAK") and info.upvotes == 0
    assert info.published_at.date() == date(2025, 3, 18) and info.comments == 0
    assert api.paper_info(TOP).upvotes == 280 and api.paper_info(TOP).github_repo.startswith("https://github.com/")


def test_read_paper_is_markdown(api: Any, live_url: str) -> None:
    lines = api.read_paper("2503.12827").splitlines()  # GET /papers/{id}.md
    assert lines[0] == "# GSBAK$^K$: $top$-$K$ Geometric Score-based Black-box Attack"
    assert "Authors: Md Farhamdur Reza, Richeng Jin, Tianfu Wu, Huaiyu Dai" in lines
    assert "arXiv: https://arxiv.org/abs/2503.12827" in lines and "## Abstract" in lines
    response = httpx.get(f"{live_url}/papers/2503.12827v1.md")
    assert response.status_code == 200 and response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert httpx.get(f"{live_url}/papers/9999.99999.md").status_code == 404


def test_a_hostile_title_stays_one_heading(api: Any, live_url: str) -> None:
    response = httpx.get(f"{live_url}/papers/2602.10004.md")
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "# Evil Set-Cookie: owned=1 # Injected heading <script>alert(1)</script>"
    assert [line for line in lines if line.startswith("#")] == [lines[0], "## Abstract"]
    assert api.read_paper("2602.10004") == response.text


def test_head_is_answered_by_the_live_server(live_url: str) -> None:
    for path in ("/", "/api/daily_papers", "/feeds/daily.atom", "/static/site.css", "/papers/2503.12827.md"):
        got, head = httpx.get(live_url + path), httpx.head(live_url + path)
        assert head.status_code == got.status_code == 200 and head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert int(head.headers["content-length"]) == len(got.content), path
