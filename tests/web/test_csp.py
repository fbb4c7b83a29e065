"""The Content-Security-Policy on every page, /docs included: Swagger UI from the site's own files, no inline script,
no third-party host, so the API docs work offline and under the same policy as the rest of the site."""

from __future__ import annotations

import html5lib
import pytest
from fastapi.testclient import TestClient

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.web import create_app

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Headers and static files do not depend on the database: SQLite only."""
    return request.param


@pytest.fixture
def client(settings: Settings, store: Store) -> TestClient:
    with TestClient(create_app(Paperwire(settings, store=store))) as test_client:
        yield test_client


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/search", "/docs", "/signin", "/nope"])
def test_every_page_has_the_policy(client: TestClient, path: str) -> None:
    policy = directives(client.get(path))
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]  # an injected <base> cannot re-point relative links and scripts
    assert policy["form-action"] == ["'self'"]  # an injected <form> cannot post the CSRF token elsewhere
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value or "*" in value for values in policy.values() for value in values)


def test_docs_use_only_the_sites_own_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    tree = html5lib.parse(page.text)
    scripts = tree.findall(f".//{XHTML}script")
    styles = tree.findall(f".//{XHTML}link[@rel='stylesheet']")
    assert scripts and styles
    assert not tree.findall(f".//{XHTML}style") and not tree.findall(".//*[@style]")
    assets = [s.get("src") for s in scripts] + [s.get("href") for s in styles]
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert "//" not in value or name == "content", f"{element.tag} {name}={value}"  # no other host
    for script in scripts:
        assert script.get("src") and not (script.text or "").strip()  # no inline script: script-src 'self' holds
    for url in assets:
        assert url.startswith("/")
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content.strip(), url
    bundle = client.get(next(u for u in assets if u.endswith("swagger-ui-bundle.js")))
    assert "javascript" in bundle.headers["content-type"] and b"SwaggerUIBundle" in bundle.content
    starter = client.get(next(u for u in assets if "swagger-ui-bundle" not in u and u.endswith(".js"))).text
    assert "/api/openapi.json" in page.text + starter and "validatorUrl: null" in starter  # no call to swagger.io
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Paperwire API"


def test_no_third_party_docs(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404  # ReDoc loads from a CDN: not served
    assert client.get("/docs/assets/../app.py").status_code == 404
    assert client.get("/docs/assets/redoc.standalone.js").status_code == 404
