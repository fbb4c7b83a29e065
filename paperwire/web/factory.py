"""The ASGI entry point for `paperwire serve`: each worker process builds its app from the environment."""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()  # a worker started by uvicorn directly: before faiss, PyTorch or BLAS load

import threading  # noqa: E402

from fastapi import FastAPI  # noqa: E402

from paperwire.config import load_settings  # noqa: E402
from paperwire.logs import configure_logging  # noqa: E402
from paperwire.store import Store  # noqa: E402
from paperwire.web.app import create_app  # noqa: E402


def app_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging(settings)
    app = create_app(settings, Store.open(settings))
    # Load the embedding model in the background, so the first semantic search does not wait for it.
    threading.Thread(target=lambda: app.state.engine.embedder, name="load-embedder", daemon=True).start()
    return app
