"""Submissions from the web: signed in only, fetched from (a replay of) the arXiv API, age and daily quota checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from paperwire.store.schema import listings
from paperwire.web.deps import paperwire_of
from tests.sources.replay import ReplayServer, Reply
from tests.web.accounts_helpers import csrf_of, sign_in

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def atom(*entries: tuple[str, str]) -> bytes:
    """An arXiv API answer with one entry per (id, title), first published today."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = "".join(
        f"""
  <entry>
    <id>http://arxiv.org/abs/{pid}v1</id><updated>{now}</updated><published>{now}</published>
    <title>{title}</title><summary>An abstract.</summary>
    <author><name>Grace Hopper</name></author>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""
        for pid, title in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>ArXiv Query</title><id>http://arxiv.org/api/x</id><updated>{now}</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{len(entries)}</opensearch:totalResults>{body}
</feed>""".encode()


@pytest.fixture
def arxiv(app, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """The app's arXiv API is a local replay server (fast, no retries)."""
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    server = ReplayServer().start()
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(
        update={
            "arxiv_api_url": f"{server.url}/api/query",
            "request_interval": 0.01,
            "http_retries": 0,
            "http_timeout": 2.0,
        }
    )
    try:
        yield server
    finally:
        server.stop()


def _submit(client, value: str):
    return client.post(
        "/submit", data={"arxiv": value, "csrf_token": csrf_of(client, "/submit")}, follow_redirects=False
    )


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get("/submit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/submit"
    posted = client.post("/submit", data={"arxiv": "2602.00001", "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/signin")


def test_unknown_paper_is_fetched_and_listed_today(client, smtp, site_store, arxiv) -> None:
    sign_in(client, smtp, "sub@example.org", store=site_store, name="Sub Mitter")
    arxiv.script("/api/query", Reply(200, atom(("2602.99901", "Fresh &amp; New Results"))))
    done = _submit(client, "https://arxiv.org/abs/2602.99901v1")
    assert done.status_code == 303 and done.headers["location"] == "/submit"
    [seen] = arxiv.seen("/api/query")
    assert seen.param("id_list") == "2602.99901"
    page = client.get("/submit")
    assert "Added “Fresh &amp; New Results” (2602.99901)" in page.text and 'href="/papers/2602.99901"' in page.text
    with site_store.read() as conn:
        row = conn.execute(sa.select(listings).where(listings.c.paper_id == "2602.99901")).one()
    assert row.list_date == datetime.now(UTC).date() and row.source == "submission"
    assert row.submitted_by is not None and row.submitter == "Sub Mitter"
    again = _submit(client, "2602.99901")
    assert again.status_code == 409 and "already on the list" in again.text and len(arxiv.seen()) == 1


def test_bad_ids_old_papers_and_unknown_papers_are_explained(client, smtp, site_store, arxiv) -> None:
    sign_in(client, smtp, "sub@example.org", store=site_store)
    bad = _submit(client, "not a paper")
    assert bad.status_code == 400 and "not an arXiv id" in bad.text and 'aria-invalid="true"' in bad.text
    assert 'value="not a paper"' in bad.text  # kept for fixing
    old = _submit(client, "2503.11731")  # known, first published in March 2025
    assert old.status_code == 400 and "only papers from the last 14 days can be submitted" in old.text
    arxiv.script("/api/query", Reply(200, atom()))
    missing = _submit(client, "2602.99999")
    assert missing.status_code == 404 and "arXiv has no paper 2602.99999" in missing.text
    assert arxiv.unexpected == []


def test_arxiv_unreachable_is_a_clear_message(client, smtp, site_store, arxiv) -> None:
    sign_in(client, smtp, "sub@example.org", store=site_store)
    arxiv.script("/api/query", Reply(503, b"down"))
    down = _submit(client, "2602.99902")
    assert down.status_code == 502 and "arXiv could not be reached" in down.text
    assert 'value="2602.99902"' in down.text


def test_daily_quota(app, client, smtp, site_store, arxiv) -> None:
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"submissions_per_day": 1})
    sign_in(client, smtp, "sub@example.org", store=site_store)
    arxiv.script("/api/query", Reply(200, atom(("2602.99903", "One"))), Reply(200, atom(("2602.99904", "Two"))))
    assert _submit(client, "2602.99903").status_code == 303
    second = _submit(client, "2602.99904")
    assert second.status_code == 429 and "limit of 1 submissions" in second.text
    assert len(arxiv.seen()) == 1  # the quota is checked before asking arXiv


def test_submit_needs_csrf(client, smtp, site_store) -> None:
    sign_in(client, smtp, "sub@example.org", store=site_store)
    assert client.post("/submit", data={"arxiv": "2602.00001"}).status_code == 403
    assert client.post("/submit", data={"arxiv": "2602.00001", "csrf_token": "forged"}).status_code == 403


def test_a_paper_already_listed_stays_on_its_first_day_with_its_votes(client, smtp, site_store, arxiv) -> None:
    """Submitting a listed paper again (on another day) points to its listing instead of listing it twice."""
    sign_in(client, smtp, "sub@example.org", store=site_store)
    with site_store.read() as conn:
        first_day, paper_id, upvotes = conn.execute(
            sa.select(listings.c.list_date, listings.c.paper_id, listings.c.source_upvotes)
            .order_by(listings.c.list_date, listings.c.paper_id)
            .limit(1)
        ).one()
    assert first_day < datetime.now(UTC).date()
    again = _submit(client, f"https://arxiv.org/abs/{paper_id}")
    assert again.status_code == 409
    assert f"already on the list of {first_day.isoformat()}" in again.text
    assert f'href="/?date={first_day.isoformat()}"' in again.text and f'href="/papers/{paper_id}"' in again.text
    with site_store.read() as conn:
        rows = conn.execute(sa.select(listings).where(listings.c.paper_id == paper_id)).all()
    assert [(r.list_date, r.source_upvotes) for r in rows] == [(first_day, upvotes)]
    assert arxiv.seen() == []  # nothing fetched
