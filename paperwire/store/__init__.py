"""The one place that talks to SQLite or PostgreSQL; migrations live here too."""

from paperwire.store.database import Store

__all__ = ["Store"]
