"""Holders of leases and claims ("host:pid:random") and whether one on this host has died.

The job worker and the digest sender both record who holds a job or a digest this way, so that a
restart on the same host takes over at once what a killed process held, instead of waiting for its lease.
"""

from __future__ import annotations

import os


def process_gone(pid: int) -> bool:
    """Whether no process with this pid runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def dead_here(holder: str, host: str) -> bool:
    """Whether `holder` names a process of `host` (this host) that no longer runs; never this process.

    A pid reused by an unrelated process reads as alive: then its lease simply runs out as usual.
    """
    parts = holder.rsplit(":", 2)
    if len(parts) != 3:
        return False
    name, pid, _ = parts
    return name == host and pid.isdigit() and int(pid) != os.getpid() and process_gone(int(pid))
