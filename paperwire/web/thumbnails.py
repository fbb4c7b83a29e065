"""GET /thumbnails/{id}.webp: the first page of a listed paper's PDF, as papers.thumbnails drew it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from paperwire.papers.thumbnails import MEDIA_TYPE, served_thumbnail
from paperwire.web.conditional import conditional_response
from paperwire.web.deps import SettingsDep

router = APIRouter()

# A thumbnail is drawn once and never changes: caches keep it for 30 days without asking again.
CACHE_CONTROL = "public, max-age=2592000"


@router.get("/thumbnails/{name:path}", include_in_schema=False)
def thumbnail(request: Request, settings: SettingsDep, name: str) -> Response:
    """A paper's thumbnail; 404 when the name is not `{arXiv id}.webp` or the paper has none."""
    return conditional_response(request, served_thumbnail(settings, name), MEDIA_TYPE, cache_control=CACHE_CONTROL)
