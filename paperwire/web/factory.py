"""The ASGI entry point of `paperwire serve`: each worker process builds its app from the settings it is given."""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()  # a worker process imports this first (to unpickle its factory): before faiss, PyTorch or BLAS

import threading  # noqa: E402

from fastapi import FastAPI  # noqa: E402

from paperwire.application import Paperwire  # noqa: E402
from paperwire.config import Settings, load_settings  # noqa: E402
from paperwire.logs import configure_logging  # noqa: E402
from paperwire.web.app import create_app  # noqa: E402


def build(settings: Settings) -> FastAPI:
    """The web application of one worker process: `functools.partial(build, settings)` is uvicorn's factory."""
    configure_logging(settings)
    paperwire = Paperwire(settings)
    app = create_app(paperwire)
    # Load the embedding model in the background, so the first semantic search does not wait for it.
    threading.Thread(target=lambda: paperwire.engine.embedder, name="load-embedder", daemon=True).start()
    return app


def app_from_environment() -> FastAPI:
    """The application of the settings in the environment: for running under uvicorn (or another ASGI server)
    directly, `uvicorn --factory paperwire.web.factory:app_from_environment`."""
    return build(load_settings())
