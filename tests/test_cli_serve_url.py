"""`paperwire serve --port N`: mailed and feed links follow the port unless PAPERWIRE_SITE_URL is set."""

from __future__ import annotations

import pytest

from paperwire.cli.site import with_served_url
from paperwire.config import load_settings


def test_links_follow_the_served_port_when_no_site_url_is_set(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PAPERWIRE_SITE_URL", raising=False)
    settings = load_settings(home=tmp_path)
    assert with_served_url(settings, "127.0.0.1", 8123).site_url == "http://127.0.0.1:8123"
    assert with_served_url(settings, "papers.lab.example", 80).site_url == "http://papers.lab.example:80"
    assert with_served_url(settings, "::1", 9000).site_url == "http://[::1]:9000"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])
def test_a_wildcard_address_links_to_the_loopback(tmp_path, monkeypatch, wildcard: str) -> None:
    monkeypatch.delenv("PAPERWIRE_SITE_URL", raising=False)
    settings = load_settings(home=tmp_path)
    assert with_served_url(settings, wildcard, 8080).site_url == "http://127.0.0.1:8080"


def test_a_site_url_that_was_set_is_kept(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERWIRE_SITE_URL", "https://papers.example.org")
    assert with_served_url(load_settings(home=tmp_path), "0.0.0.0", 8123).site_url == "https://papers.example.org"
    monkeypatch.delenv("PAPERWIRE_SITE_URL")
    given = load_settings(home=tmp_path, site_url="http://127.0.0.1:8000")  # the default, but said on purpose
    assert with_served_url(given, "127.0.0.1", 9999).site_url == "http://127.0.0.1:8000"
