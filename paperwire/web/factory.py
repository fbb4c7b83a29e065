"""The ASGI entry point for `paperwire serve`: each worker process builds its app from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from paperwire.config import load_settings
from paperwire.store import Store
from paperwire.web.app import create_app


def app_from_environment() -> FastAPI:
    settings = load_settings()
    return create_app(settings, Store.open(settings))
