"""/docs: Swagger UI for the JSON API from the site's own files (the fastapi-offline package ships them).

FastAPI's default page loads Swagger UI from a CDN and starts it with an inline script, which the site's CSP
(`script-src 'self'`) forbids; this page loads the same bundle from here and starts it from static/apidocs.js.
ReDoc is not served.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from markupsafe import escape

from paperwire.errors import NotFound

router = APIRouter(include_in_schema=False)
ASSETS = Path(str(files("fastapi_offline") / "static"))
SERVED = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8"}
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/static/apidocs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """The Swagger UI page for /api/openapi.json."""
    app = request.app
    return HTMLResponse(_PAGE.format(title=escape(app.title), openapi_url=escape(app.openapi_url)))


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """Swagger UI's script and style sheet, cached for a day."""
    if name not in SERVED:
        raise NotFound("not found")
    return FileResponse(ASSETS / name, media_type=SERVED[name], headers={"Cache-Control": "public, max-age=86400"})
