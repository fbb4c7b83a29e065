"""Thumbnails of papers' first PDF pages: image files under `home`/thumbnails, and the papers whose PDF failed.

An image is written under a temporary name, flushed to disk and renamed into place, so a reader (the web
server) never sees half a file and a crash leaves no broken thumbnail. A failure is a row of `source_state`
(key `thumbnail:failed:{id}`): its reason, how many times it failed and when it last did.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection

from paperwire.config import Settings
from paperwire.store.schema import listings, papers, source_state
from paperwire.store.state import read_state, write_state

FOLDER = "thumbnails"
SUFFIX = ".webp"
_FAILED = "thumbnail:failed:"


def folder(settings: Settings) -> Path:
    """Where thumbnails are kept: `home`/thumbnails."""
    return Path(settings.home) / FOLDER


def path_of(settings: Settings, arxiv_id: str) -> Path:
    """The file of a paper's thumbnail; `arxiv_id` must be a checked id (an old-style id's slash becomes `_`)."""
    return folder(settings) / (arxiv_id.replace("/", "_") + SUFFIX)


def existing(settings: Settings, ids: Iterable[str]) -> set[str]:
    """The ids among `ids` that have a thumbnail."""
    return {arxiv_id for arxiv_id in ids if path_of(settings, arxiv_id).is_file()}


def write(settings: Settings, arxiv_id: str, image: bytes) -> Path:
    """Store a thumbnail atomically (temporary file, fsync, rename); the path written."""
    target = path_of(settings, arxiv_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(image)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def read(settings: Settings, arxiv_id: str) -> bytes | None:
    """A paper's thumbnail, or None when it has none."""
    try:
        return path_of(settings, arxiv_id).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None


def listed_ids(conn: Connection) -> list[str]:
    """Every visible paper on a daily list (the `listings` table), each once, newest list day first."""
    newest = sa.func.max(listings.c.list_date)
    query = (
        sa.select(listings.c.paper_id)
        .join(papers, papers.c.id == listings.c.paper_id)
        .where(papers.c.hidden.is_(False))
        .group_by(listings.c.paper_id)
        .order_by(newest.desc(), listings.c.paper_id.desc())
    )
    return list(conn.execute(query).scalars())


@dataclass(frozen=True)
class Failure:
    """Why a paper's thumbnail could not be made, how many times that happened, and when last."""

    arxiv_id: str
    reason: str
    attempts: int
    at: datetime


def failures(conn: Connection) -> dict[str, Failure]:
    """Every recorded failure, by paper id."""
    rows = conn.execute(
        sa.select(source_state.c.key, source_state.c.value).where(source_state.c.key.startswith(_FAILED))
    )
    found = {}
    for key, value in rows:
        data = json.loads(value)
        arxiv_id = key.removeprefix(_FAILED)
        at = datetime.fromisoformat(data["at"])
        found[arxiv_id] = Failure(arxiv_id, data["reason"], int(data["attempts"]), at.replace(tzinfo=at.tzinfo or UTC))
    return found


def record_failure(conn: Connection, arxiv_id: str, reason: str, now: datetime) -> Failure:
    """Note that a paper's thumbnail failed again (its attempts counted up); the failure as recorded."""
    key = _FAILED + arxiv_id
    value = read_state(conn, key)
    attempts = (int(json.loads(value)["attempts"]) if value else 0) + 1
    write_state(conn, key, json.dumps({"reason": reason, "attempts": attempts, "at": now.isoformat()}), now)
    return Failure(arxiv_id, reason, attempts, now)


def clear_failure(conn: Connection, arxiv_id: str) -> None:
    """Forget a paper's failure (its thumbnail was made at last)."""
    conn.execute(source_state.delete().where(source_state.c.key == _FAILED + arxiv_id))
