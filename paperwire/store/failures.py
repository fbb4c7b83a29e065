"""Tell a storage outage (database down or restarting, read-only, disk full, locked) from a bug.

The edges (web, CLI) turn an outage into a clear "try again" answer (HTTP 503 with Retry-After) instead
of a 500 with a traceback. Only the driver's error code is trusted, never the exception class alone: on
SQLite "no such table" is an OperationalError too, and it is a bug, not an outage. A full or read-only
disk also fails the files kept beside the database (the search indexes): `disk_failure` names those.
"""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc

from paperwire.errors import PaperwireError

READ_ONLY = "the database is read-only just now: reading works, but nothing can be saved; try again later"
DISK_FULL = "the disk is full: nothing can be saved just now; try again later"
BUSY = "the database is busy; try again in a moment"
UNAVAILABLE = "the database is unavailable just now; try again in a few seconds"

# SQLite result codes (sqlite3 exceptions carry them as sqlite_errorname; extended codes add a suffix).
_SQLITE = {
    "SQLITE_READONLY": "read-only",
    "SQLITE_FULL": "disk-full",
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
    "SQLITE_IOERR": "unavailable",
    "SQLITE_CANTOPEN": "unavailable",
}
# PostgreSQL SQLSTATEs: exact codes first, then whole classes (08 connection, 53 resources, 57 operator action).
_PG_CODES = {"25006": "read-only", "53100": "disk-full", "53300": "busy", "55P03": "busy", "57014": "busy"}
_PG_CLASSES = {"08": "unavailable", "53": "unavailable", "57": "unavailable", "58": "unavailable"}
_KINDS = {
    "read-only": (READ_ONLY, 60),
    "disk-full": (DISK_FULL, 60),
    "busy": (BUSY, 2),
    "unavailable": (UNAVAILABLE, 5),
}


class DatabaseUnavailable(PaperwireError):
    """The database cannot serve this request now (an outage, not a bug); `kind` names why."""

    status = 503

    def __init__(self, kind: str, detail: str) -> None:
        message, self.retry_after = _KINDS[kind]
        super().__init__(message)
        self.kind = kind
        self.detail = detail


def database_failure(exc: BaseException) -> DatabaseUnavailable | None:
    """The outage behind a SQLAlchemy error, or None when it is something else (a bug: let it be a 500)."""
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection busy for pool_timeout seconds
        return DatabaseUnavailable("busy", str(exc).splitlines()[0])
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    orig = exc.orig
    detail = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    kind = _kind(orig)
    if kind is None and exc.connection_invalidated:
        kind = "unavailable"
    return DatabaseUnavailable(kind, detail) if kind else None


def disk_failure(exc: OSError) -> DatabaseUnavailable | None:
    """The outage behind a failed file operation (disk full, quota exceeded, read-only disk), or None."""
    kind = {
        errno.ENOSPC: "disk-full",
        errno.EDQUOT: "disk-full",
        errno.EFBIG: "disk-full",
        errno.EROFS: "read-only",
    }.get(exc.errno or 0)
    return (
        DatabaseUnavailable(kind, f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        if kind
        else None
    )


def _kind(orig: BaseException | None) -> str | None:
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        return next((kind for prefix, kind in _SQLITE.items() if name == prefix or name.startswith(prefix + "_")), None)
    module = type(orig).__module__ or ""
    if not module.startswith("psycopg"):
        return None
    state = getattr(orig, "sqlstate", None)
    if state:
        return _PG_CODES.get(state) or _PG_CLASSES.get(state[:2])
    import psycopg

    # No SQLSTATE: the client library failed on its own (connection refused, server gone mid-query).
    return "unavailable" if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) else None
