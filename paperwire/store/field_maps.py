"""Cached maps of the field: one JSON file per period under `home`/maps, replaced atomically when redrawn.

The file holds what feed.field_map.FieldMap.as_dict gives, including the key of the papers it was drawn
from, so a reader can tell whether it is current. A file that cannot be read counts as no map.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from paperwire.config import Settings

FOLDER = "maps"
_NAME = re.compile(r"^[0-9A-Za-z-]{4,20}$")  # a period key: 2026-02-03, 2026-W06, 2026-02


def path_of(settings: Settings, period_key: str) -> Path:
    """The file of a period's map; `period_key` must be a Period.key (checked, as it becomes a file name)."""
    if not _NAME.match(period_key):
        raise ValueError(f"not a period key: {period_key!r}")
    return Path(settings.home) / FOLDER / f"{period_key}.json"


def read_map(settings: Settings, period_key: str) -> dict[str, Any] | None:
    """The cached map of a period, or None when there is none or it is unreadable."""
    try:
        data = json.loads(path_of(settings, period_key).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write_map(settings: Settings, period_key: str, data: dict[str, Any]) -> Path:
    """Store a period's map atomically (temporary file, fsync, rename): a reader sees the old map or the new."""
    target = path_of(settings, period_key)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(data, file, separators=(",", ":"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
