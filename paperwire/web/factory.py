"""The ASGI entry point for `paperwire serve`: each worker process builds its app from the environment."""

from __future__ import annotations

import threading

from fastapi import FastAPI

from paperwire.config import load_settings
from paperwire.logs import configure_logging
from paperwire.store import Store
from paperwire.web.app import create_app


def app_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging(settings)
    app = create_app(settings, Store.open(settings))
    # Load the embedding model in the background, so the first semantic search does not wait for it.
    threading.Thread(target=lambda: app.state.engine.embedder, name="load-embedder", daemon=True).start()
    return app
