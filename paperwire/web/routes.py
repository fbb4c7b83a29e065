"""Every router of the site, in one list, so create_app registers them in one place."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

ROUTER_MODULES = (
    "paperwire.web.pages.feed",  # home (Daily papers) and New on arXiv: daily / weekly / monthly lists
    "paperwire.web.pages.trending",  # the last seven days by trending score
    "paperwire.web.pages.field_map",  # the map of a period's papers
    "paperwire.web.pages.paper",  # paper page, author page
    "paperwire.web.pages.search",  # search page
    "paperwire.web.pages.account",  # sign-in, sign-out, settings
    "paperwire.web.pages.comments",  # add, edit, delete, hide comments
    "paperwire.web.pages.submit",  # submissions
    "paperwire.web.pages.library",  # the library page, "not interested", library imports
    "paperwire.web.pages.admin",  # admin area
    "paperwire.web.pages.for_you",  # For you: the reader's picks and their private Atom feed
    "paperwire.web.pages.digest",  # email digest: subscribe, confirm, unsubscribe, preferences, preview
    "paperwire.web.api.daily",  # /api/daily_papers
    "paperwire.web.api.papers",  # /api/papers/{id}, /api/papers/{id}/similar
    "paperwire.web.api.search",  # /api/papers/search
    "paperwire.web.api.votes",  # /api/papers/{id}/vote
    "paperwire.web.api.for_you",  # /api/for-you
    "paperwire.web.feeds",  # RSS and Atom
    "paperwire.web.thumbnails",  # /thumbnails/{id}.webp
    "paperwire.web.ops",  # /readyz, /metrics
    "paperwire.web.apidocs",  # /docs (Swagger UI, self-hosted)
)


def routers() -> list[APIRouter]:
    return [importlib.import_module(name).router for name in ROUTER_MODULES]
