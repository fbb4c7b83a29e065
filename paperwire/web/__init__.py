"""The web site and the JSON API: `create_app(paperwire)`; pages and API reach it through typed dependencies (deps)."""

from paperwire.web.app import create_app

__all__ = ["create_app"]
