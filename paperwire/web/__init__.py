"""The web site and the JSON API: `create_app(settings, store)`; pages and API call the domain modules."""

from paperwire.web.app import create_app

__all__ = ["create_app"]
