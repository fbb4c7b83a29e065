"""The map page: an inline SVG with one linked dot per paper of the period's lists, cluster labels, hostile titles
escaped (parsed as a browser parses, html5lib), the reader's library and picks drawn apart, links from the lists."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import html5lib
import numpy as np
import sqlalchemy as sa

from paperwire.feed.field_map import Cluster, FieldMap
from paperwire.feed.lists import ListItem
from paperwire.jobs.worker import Worker
from paperwire.store import embeddings as vectors_repo
from paperwire.store.schema import jobs, papers
from paperwire.web.deps import paperwire_of
from paperwire.web.pages.field_map import HEIGHT, REFRESH_SECONDS, WIDTH, Label, dot_radius, map_view, place_labels
from paperwire.web.templating import templates
from tests.web.conftest import PAPERS
from tests.web.feed_helpers import add_paper

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"
WEEK = "2025-W12"  # the fixture's 300 papers of 2025-03-18, all with vectors
HOSTILE = "<script>alert(1)</script> ]]> <![CDATA[ x ]]> \"quoted\" & 'single' </title></svg><b>bold</b>"


def _svg(html: str):
    document = html5lib.parse(html, treebuilder="etree")
    (svg,) = [element for element in document.iter(f"{SVG}svg") if element.get("id") == "field-map"]
    return document, svg


def _dots(svg) -> dict[str, tuple[object, object]]:
    """Each dot's paper id: (its link, its circle)."""
    found = {}
    for link in svg.iter(f"{SVG}a"):
        (circle,) = link.findall(f"{SVG}circle")
        found[link.get("href").removeprefix("/papers/")] = (link, circle)
    return found


def test_the_map_has_one_linked_dot_per_paper_and_labelled_clusters(client) -> None:
    page = client.get(f"/map?week={WEEK}")
    assert page.status_code == 200
    assert f'href="/map?week={WEEK}"' in client.get(f"/new?week={WEEK}").text  # the week's list links to its map
    document, svg = _svg(page.text)
    dots = _dots(svg)
    assert len(dots) == 300 == len(list(svg.iter(f"{SVG}circle")))
    titles = {row["id"]: row["title"] for row in map(json.loads, PAPERS.read_text().splitlines())}
    for pid, (link, circle) in dots.items():
        assert link.find(f"{SVG}title").text == titles[pid]  # the tooltip and the link's accessible name
        assert float(circle.get("r")) == dot_radius(0)
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert len(labels) >= 5 and all(label and label.count(",") == 2 for label in labels)
    listed = [
        li.find(f"{XHTML}span").tail.strip()
        for li in document.iter(f"{XHTML}li")
        if li.find(f"{XHTML}span") is not None
    ]
    assert set(labels) <= set(listed) and len(listed) >= len(labels)  # the words again after the map, for every reader
    assert svg.get("role") == "group" and svg.get("aria-labelledby") == "field-map-caption"


def test_a_hostile_title_stays_text(client, site_store) -> None:
    add_paper(site_store, "2503.19990", HOSTILE, categories=("cs.CV",), published=date(2025, 3, 18))
    with site_store.write() as conn:
        content_hash = conn.execute(sa.select(papers.c.content_hash).where(papers.c.id == "2503.19990")).scalar_one()
        vector = np.ones((1, 384), np.float32) / np.sqrt(384)
        model = paperwire_of(client.app).engine.model
        vectors_repo.save_vectors(conn, model, [{"id": "2503.19990", "content_hash": content_hash}], vector)
    waiting = client.get(f"/map?week={WEEK}")  # 301 papers: more than a request draws, so a job draws them
    assert waiting.status_code == 200 and "is being drawn" in waiting.text and 'id="field-map"' not in waiting.text
    assert f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' in waiting.text
    with site_store.write() as conn:  # the job fails for good: the page says so, stops reloading, names the job
        conn.execute(jobs.update().where(jobs.c.kind == "field_map").values(state="failed", error="killed"))
    failed = client.get(f"/map?week={WEEK}").text
    assert "could not be drawn" in failed and "http-equiv" not in failed and "killed" not in failed
    with site_store.write() as conn:
        assert conn.execute(jobs.update().where(jobs.c.kind == "field_map").values(state="queued")).rowcount == 1
    (outcome,) = Worker(paperwire_of(client.app), kinds=["field_map"]).run_due(datetime.now(UTC)).outcomes
    assert outcome.state == "done", outcome
    page = client.get(f"/map?week={WEEK}")
    assert page.status_code == 200 and "http-equiv" not in page.text
    assert "<script>alert" not in page.text and "<b>bold" not in page.text
    document, svg = _svg(page.text)
    link, _ = _dots(svg)["2503.19990"]
    assert link.find(f"{SVG}title").text == HOSTILE
    assert not list(document.iter(f"{XHTML}script")) or all(s.get("src") for s in document.iter(f"{XHTML}script"))
    assert not list(document.iter(f"{XHTML}b")) and len(_dots(svg)) == 301


def test_an_empty_period_and_a_bad_one(client) -> None:
    empty = client.get("/map?week=2024-W10")
    assert empty.status_code == 200 and "No papers in" in empty.text and 'id="field-map"' not in empty.text
    assert client.get("/map?week=2025-W99").status_code == 400


def _item(pid: str, title: str, upvotes: int) -> ListItem:
    return ListItem(
        id=pid, title=title, abstract="", authors=[], categories=[], published=None, updated=None, version=1,
        code_url=None, project_url=None, created_at=None, list_date=date(2025, 3, 18), upvotes=upvotes,
    )  # fmt: skip


def test_the_readers_library_and_picks_are_drawn_apart_and_on_top() -> None:
    drawn = FieldMap(
        ids=("a", "b", "c", "gone"),
        coords=np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [0.2, 0.2]]),
        clusters=np.array([0, 1, 1, 0]),
        labels=(Cluster(1, ("graphs", "nodes"), 0.75, 0.75, 2), Cluster(0, ("proteins",), 0.1, 0.1, 2)),
    )
    items = [_item("a", "Alpha", 25), _item("b", "Beta", 0), _item("c", "Gamma", 4)]
    view = map_view(drawn, items, library={"b"}, picks={"c", "not-on-the-map"})
    assert [dot.id for dot in view["dots"]] == ["a", "b", "c"]  # "gone" left the lists; marked ones last
    a, b, c = view["dots"]
    assert (a.r, b.r, c.r) == (dot_radius(25), 3.0, dot_radius(4)) and a.r > c.r > b.r
    assert (a.x, a.y) == (28, 28) and (b.x, b.y) == (960 - 28, 640 - 28)
    assert b.css == "c1 in-library" and c.css == "c1 picked" and a.css == "c0"
    assert (view["library_count"], view["pick_count"]) == (1, 1)
    svg = templates().env.get_template("_field_map_svg.html").render(**view)
    _, parsed = _svg(f"<!doctype html><body>{svg}</body>")
    circles = {pid: circle.get("class") for pid, (_, circle) in _dots(parsed).items()}
    assert circles == {"a": "c0", "b": "c1 in-library", "c": "c1 picked"}
    assert [t.text for t in parsed.iter(f"{SVG}text")] == ["graphs, nodes", "proteins"]
    assert "1 in your library" in svg and "1 For you pick " in svg


def test_labels_stay_inside_the_picture_and_off_one_another() -> None:
    big = Label(x=5, y=300, text="graphs, nodes, edges", size=50, css="c0")  # 20 letters at the left edge
    near = Label(x=10, y=302, text="proteins, folding", size=40, css="c1")  # where the big one is: moved a line
    crowd = [Label(x=10, y=300, text=f"word{n}, more", size=30 - n, css="c2") for n in range(6)]  # no room left
    placed = place_labels([near, *crowd, big])
    assert [label.text for label in placed[:2]] == [big.text, near.text]  # largest first
    first, second = placed[0], placed[1]
    assert first.on_map and first.x - 10.0 * len(first.text) / 2 >= 0 and first.y == 300
    assert second.on_map and abs(second.y - first.y) >= 18
    assert 0 < sum(not label.on_map for label in placed) < len(crowd)
    shown = [label for label in placed if label.on_map]
    for a in shown:
        assert 0 < a.x < WIDTH and 0 < a.y < HEIGHT
        for b in shown:
            if a is not b and abs(a.y - b.y) < 18:
                assert abs(a.x - b.x) >= 10.0 * (len(a.text) + len(b.text)) / 2 - 0.1


def test_a_signed_in_readers_library_and_for_you_picks_are_marked(client, site_store, smtp) -> None:
    from paperwire.store import library as library_repo
    from tests.web.accounts_helpers import sign_in

    splatting = ["2503.11731", "2503.11981", "2503.12001"]
    sign_in(client, smtp, "mapper@example.org", store=site_store)
    with site_store.write() as conn:
        user_id = conn.execute(sa.text("SELECT id FROM users WHERE email = 'mapper@example.org'")).scalar_one()
        library_repo.add_to_library(conn, user_id, splatting, "ids", datetime.now(UTC))
    _, svg = _svg(client.get(f"/map?week={WEEK}").text)
    dots = _dots(svg)
    marked = {pid for pid, (_, circle) in dots.items() if "in-library" in circle.get("class").split()}
    picked = {pid for pid, (_, circle) in dots.items() if "picked" in circle.get("class").split()}
    assert marked == set(splatting)
    assert len(picked) == 30 and not picked & marked  # the first page of the reader's For you tab
