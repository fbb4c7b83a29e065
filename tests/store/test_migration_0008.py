"""Migration 0008 (comment replies) down and up again on SQLite and PostgreSQL: the parent index comes and goes,
and rows written before it end up one reply level deep, each reply on its parent's paper."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from paperwire.accounts.users import add_user
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.store import Store
from paperwire.store import accounts as repo
from paperwire.store.migrate import alembic_config, current_revision, head_revision, upgrade

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _downgrade(store: Store, revision: str) -> None:
    config = alembic_config()
    with store.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _parent_indexes(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        names = [ix["name"] for ix in sa.inspect(conn).get_indexes("comments")]
    return [name for name in names if name and "parent" in name]


def _parents(store: Store) -> dict[int, int | None]:
    with store.read() as conn:
        return {row[0]: row[1] for row in conn.execute(sa.text("SELECT id, parent_id FROM comments"))}


def test_0008_down_and_up_flattens_nested_and_cross_paper_replies(store: Store) -> None:
    papers = [
        PaperRecord(pid, f"Paper {pid}", "An abstract.", ("A. Author",), ("cs.CL",))
        for pid in ("2601.00001", "2601.00002")
    ]
    assert not ingest_items(store, [ParsedItem(p, "t", n) for n, p in enumerate(papers, 1)], source="test").errors
    user = add_user(store, "writer@example.org")
    assert _parent_indexes(store) == ["ix_comments_parent_id"]

    _downgrade(store, "0007")
    assert current_revision(store) == "0007" and _parent_indexes(store) == []
    with store.write() as conn:  # rows as older code, or a hand-made copy, could have left them
        first, other = (p.arxiv_id for p in papers)

        def add(paper: str, parent: int | None) -> int:
            return repo.insert_comment(conn, paper, user["id"], "text", NOW, parent_id=parent)

        top = add(first, None)
        reply = add(first, top)
        nested = add(first, reply)
        deeper = add(first, nested)
        elsewhere = add(other, top)
        looped = add(first, None)
        conn.execute(sa.text("UPDATE comments SET parent_id = id WHERE id = :id"), {"id": looped})

    assert upgrade(store)[0] == "0008" and current_revision(store) == head_revision()  # later ones follow
    assert _parent_indexes(store) == ["ix_comments_parent_id"]
    parents = _parents(store)
    assert parents[top] is None and parents[reply] == top and parents[nested] == top and parents[deeper] == top
    assert parents[elsewhere] is None and parents[looped] is None
