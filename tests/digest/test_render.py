"""The received mail, parsed with `email`: headers, both parts, links that open real pages, escaping."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from paperwire.application import Paperwire
from paperwire.digest.compose import compose
from paperwire.digest.send import send_due
from paperwire.digest.subscriptions import Preferences, add_subscriber
from paperwire.feed.lists import Period
from paperwire.papers.load import ingest_paths
from paperwire.web import create_app
from tests.digest.conftest import DAY

EVIL = '<script>alert("x")</script> Segmenting & tracking'


def _evil_paper(store, tmp_path: Path) -> None:
    path = tmp_path / "evil.jsonl"
    path.write_text(
        '{{"id": "2503.99999", "title": "{}", "abstract": "We <b>segment</b> & track.", '
        '"authors": ["Ada <Lovelace>"], "categories": ["cs.CV"], "published": "2025-03-18"}}\n'.format(
            EVIL.replace('"', '\\"')
        )
    )
    ingest_paths(store, [path])


def test_received_digest(dsettings, dstore, engine, sink, tmp_path: Path) -> None:
    _evil_paper(dstore, tmp_path)
    engine.sync()
    topic = "segmenting & tracking"
    add_subscriber(
        dstore, "reader@example.org", Preferences(top_n=3, topics=(topic,), use_upvotes=False), confirmed=True
    )
    report = send_due(dstore, dsettings, engine, period=Period.day(date(2025, 3, 18)))
    assert (report.sent, report.failed) == (1, 0), report.errors
    [mail] = sink.to("reader@example.org")
    assert mail["From"] == "Paperwire <digest@paperwire.test>"
    assert mail["Subject"].startswith("Paperwire digest, Tuesday 18 March 2025: 3 trending")
    assert mail["Date"] and mail["List-Id"] == "Paperwire digest <digest.testserver>"
    assert re.fullmatch(r"<digest\.daily\.2025-03-18\.\d+\.[0-9a-f]{8}@testserver>", mail["Message-ID"])
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe, mailto = re.fullmatch(r"<(\S+)>, <(\S+)>", mail["List-Unsubscribe"]).groups()
    assert unsubscribe.startswith("http://testserver/unsubscribe/")
    assert mailto == "mailto:digest@paperwire.test?subject=unsubscribe"
    # on the wire: plain URLs on one line, as RFC 2369 clients read them (folding at 78 made encoded words)
    [raw] = sink.raw
    assert f"\r\nList-Unsubscribe: <{unsubscribe}>, <{mailto}>\r\n".encode() in raw
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    # escaping: the hostile title and the & in the topic are text in the HTML, never markup
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Ada &lt;Lovelace&gt;" in html and "&lt;b&gt;segment&lt;/b&gt; &amp; track." in html
    assert "matches your topic &#x27;segmenting &amp; tracking&#x27;" in html
    assert EVIL in text and "matches your topic 'segmenting & tracking'" in text
    assert 'style="' in html and "<table" in html and "<style" not in html
    # every link is a real page of the site
    links = set(re.findall(r'href="([^"]+)"', html))
    papers = [link for link in links if "/papers/" in link]
    assert "http://testserver/papers/2503.99999" in papers
    manage = next(link for link in links if "/digest/manage/" in link)
    assert unsubscribe in links and set(re.findall(r"http://testserver/papers/\S+", text)) == set(papers)
    client = TestClient(create_app(Paperwire(dsettings, store=dstore, engine=engine)))
    for link in [*papers, manage, unsubscribe]:
        assert client.get(urlsplit(link).path).status_code == 200, link


def test_one_click_unsubscribe_stops_the_next_digest(dsettings, dstore, engine, sink) -> None:
    add_subscriber(dstore, "leaver@example.org", Preferences(top_n=2), confirmed=True)
    add_subscriber(dstore, "stayer@example.org", Preferences(top_n=2), confirmed=True)
    send_due(dstore, dsettings, engine, period=Period.day(date(2025, 3, 18)))
    [mail] = sink.to("leaver@example.org")
    link = re.match(r"<(\S+)>", mail["List-Unsubscribe"]).group(1)
    client = TestClient(
        create_app(Paperwire(dsettings, store=dstore, engine=engine))
    )  # no session, no CSRF token: RFC 8058
    response = client.post(urlsplit(link).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    report = send_due(dstore, dsettings, engine, period=Period.day(date(2026, 2, 3)))  # the next day with a list
    assert len(sink.to("leaver@example.org")) == 1
    assert len(sink.to("stayer@example.org")) == 2 and report.sent == 1


def test_preview_and_send_compose_the_same(dsettings, dstore, engine, sink) -> None:
    sub = add_subscriber(dstore, "same@example.org", Preferences(top_n=4, topics=("depth estimation",)), confirmed=True)
    preview = compose(dstore, dsettings, engine, sub, Period.day(date(2025, 3, 18)))
    send_due(dstore, dsettings, engine, period=Period.day(date(2025, 3, 18)))
    text = sink.to("same@example.org")[0].get_body(("plain",)).get_content()
    assert [f"/papers/{pid}" in text for pid in preview.paper_ids] == [True] * len(preview.paper_ids)
    assert DAY == "daily:2025-03-18"


def test_shared_headers_parsed_once_give_the_same_message(dsettings, dstore, engine) -> None:
    from datetime import UTC, datetime
    from email.message import EmailMessage

    from paperwire.digest.render import render_digest

    sub = add_subscriber(dstore, "reader@example.org", Preferences(top_n=3), confirmed=True)
    digest = compose(dstore, dsettings, engine, sub, Period.day(date(2025, 3, 18)))
    now = datetime(2025, 3, 19, 7, tzinfo=UTC)
    first, second = (render_digest(dsettings, dstore, digest, now=now) for _ in range(2))
    fresh = EmailMessage()  # each header parsed on its own, as the email package does for plain strings
    for name, value in first.items():
        fresh[name] = str(value)
    assert [(n, str(v)) for n, v in fresh.items()] == [(n, str(v)) for n, v in first.items()]
    assert first.as_bytes().replace(first.get_boundary().encode(), b"B") == second.as_bytes().replace(
        second.get_boundary().encode(), b"B"
    )
    for name in ("From", "Subject", "Date", "List-Id"):
        assert fresh[name].fold(policy=fresh.policy) == first[name].fold(policy=fresh.policy)
