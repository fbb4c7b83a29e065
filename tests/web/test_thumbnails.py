"""Thumbnails on the site: GET /thumbnails/{id}.webp (cached, 404 otherwise, no way out of its folder), the lazy
image of a list item that has one (and nothing for one that has none), the API's `thumbnail` address."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import html5lib
import pytest
from fastapi.testclient import TestClient

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.errors import NotFound
from paperwire.papers.thumbnails import HEIGHT, WIDTH, render_first_page, served_thumbnail
from paperwire.store import Store
from paperwire.store import thumbnails as files
from paperwire.web import create_app
from tests.papers.pdfs import one_page_pdf
from tests.web.feed_helpers import add_paper

XHTML = "{http://www.w3.org/1999/xhtml}"
DAY = date(2026, 2, 3)
WITH = "2602.00001"
WITHOUT = "2602.00002"
OLD_STYLE = "hep-th/9901001"


@pytest.fixture
def site(settings: Settings, store: Store) -> Iterator[tuple[TestClient, Settings]]:
    """A site with three listed papers, two of them (one with an old-style id) with a thumbnail."""
    settings = settings.model_copy(update={"site_url": "https://papers.example.org/"})
    add_paper(store, WITH, "Drawn <b>first</b> page", day=DAY, upvotes=3)
    add_paper(store, WITHOUT, "No thumbnail", day=DAY, upvotes=2)
    add_paper(store, OLD_STYLE, "Old style", day=DAY, upvotes=1)
    image = render_first_page(one_page_pdf())
    files.write(settings, WITH, image)
    files.write(settings, OLD_STYLE, image)
    (settings.home / "secret.webp").write_bytes(b"not for the web")  # what a path traversal would be after
    with TestClient(create_app(Paperwire(settings, store=store))) as client:
        yield client, settings


def test_the_route_serves_a_thumbnail_with_a_long_cache_life(site: tuple[TestClient, Settings]) -> None:
    client, settings = site
    response = client.get(f"/thumbnails/{WITH}.webp")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=2592000"
    assert response.content == files.path_of(settings, WITH).read_bytes()
    again = client.get(f"/thumbnails/{WITH}.webp", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert client.head(f"/thumbnails/{WITH}.webp").status_code == 200
    old = client.get(f"/thumbnails/{OLD_STYLE}.webp")
    assert old.status_code == 200 and old.content == response.content


@pytest.mark.parametrize(
    "path",
    [
        f"/thumbnails/{WITHOUT}.webp",  # listed, no thumbnail
        "/thumbnails/2602.99999.webp",  # unknown
        f"/thumbnails/{WITH}v1.webp",  # a version
        f"/thumbnails/arXiv:{WITH}.webp",
        f"/thumbnails/{WITH}.png",
        f"/thumbnails/{WITH}",
        f"/thumbnails/{WITH}.webp.webp",
        "/thumbnails/.webp",
        "/thumbnails/..%2Fsecret.webp",
        "/thumbnails/%2e%2e/secret.webp",
        "/thumbnails/hep-th/..%2F..%2Fsecret.webp",
        "/thumbnails/%2Fetc%2Fpasswd.webp",
        f"/thumbnails/{WITH}.webp%00.png",
    ],
)
def test_the_route_answers_404_for_anything_else(site: tuple[TestClient, Settings], path: str) -> None:
    client, _ = site
    response = client.get(path)
    assert response.status_code == 404
    assert response.content != b"not for the web" and "image" not in response.headers["content-type"]


@pytest.mark.parametrize("name", ["../secret.webp", "../../home/secret.webp", "hep-th/../../secret.webp", ""])
def test_names_that_leave_the_folder_are_refused_before_any_file_is_read(tmp_path: Path, name: str) -> None:
    settings = Settings(home=tmp_path / "home")
    (settings.home / "thumbnails").mkdir(parents=True)
    (settings.home / "secret.webp").write_bytes(b"not for the web")
    with pytest.raises(NotFound):
        served_thumbnail(settings, name)


def _items(html: str) -> dict[str, ET.Element]:
    root = html5lib.parse(html)
    return {
        li.get("id", "")[2:]: li
        for ol in root.iter(f"{XHTML}ol")
        if "papers" in (ol.get("class") or "").split()
        for li in ol.findall(f"{XHTML}li")
    }


def test_a_list_item_shows_its_thumbnail_lazily_and_only_when_it_has_one(site: tuple[TestClient, Settings]) -> None:
    client, _ = site
    items = _items(client.get("/", params={"date": DAY.isoformat()}).text)
    assert set(items) == {WITH, WITHOUT, OLD_STYLE.replace("/", "-")}
    images = list(items[WITH].iter(f"{XHTML}img"))
    assert len(images) == 1
    img = images[0]
    assert img.get("src") == f"/thumbnails/{WITH}.webp"
    assert img.get("loading") == "lazy"
    assert (img.get("width"), img.get("height")) == (str(WIDTH // 2), str(HEIGHT // 2))
    assert img.get("alt") == "First page of the paper Drawn <b>first</b> page"  # text, escaped in the page
    assert list(items[WITHOUT].iter(f"{XHTML}img")) == []
    old = next(items[OLD_STYLE.replace("/", "-")].iter(f"{XHTML}img"))
    assert client.get(old.get("src", "")).status_code == 200


def test_the_api_gives_the_absolute_thumbnail_address_or_null(site: tuple[TestClient, Settings]) -> None:
    client, _ = site
    items = client.get("/api/daily_papers", params={"date": DAY.isoformat()}).json()
    thumbnails = {item["paper"]["id"]: item["thumbnail"] for item in items}
    assert thumbnails == {
        WITH: f"https://papers.example.org/thumbnails/{WITH}.webp",
        WITHOUT: None,
        OLD_STYLE: f"https://papers.example.org/thumbnails/{OLD_STYLE}.webp",
    }
