"""Copy a whole SQLite instance into PostgreSQL (`paperwire migrate-db`), verified, and safe to run again.

Every table of schema.py is copied unless SKIPPED names it with a reason, parents before children
(foreign-key order), in batches read from one SQLite snapshot (WAL: the site may keep running) and
written with COPY, one committed transaction a batch, so memory stays flat and a killed run keeps
its finished batches. Values go over as SQLite holds them and PostgreSQL parses them from COPY's
text form: dates and times as ISO text (times without an offset are UTC: the session time zone is
UTC), JSON as text, booleans as 0/1. The one column the backends store differently is the vector:
float32 bytes in embeddings.vector on SQLite, pgvector in embeddings.embedding on PostgreSQL.

The source is the truth. A target is either empty (rows are COPYed straight in) or was filled by an
earlier run from this same instance, recognised by the instance id kept in source_state (written to
the source on its first migration, copied first). Then each batch goes through a staging table and
acts as `INSERT ... ON CONFLICT (primary key) DO UPDATE ... WHERE the row differs` (written as an UPDATE
of the differing rows and an INSERT of the missing ones: see _upsert); rows the source no longer has
(a withdrawn vote, a pruned rate-limit window) are deleted; a rerun over an unchanged source writes
nothing. Any other non-empty target is refused: two instances are never mixed. Once the site runs on
PostgreSQL, do not rerun: it would put the target back to the SQLite copy.
Afterwards identity sequences are moved past the copied ids, and each table's row count and a
checksum of its keys are compared with the source's; a difference raises TransferMismatch.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from paperwire.config import Settings
from paperwire.errors import Conflict, InvalidInput, NotFound, PaperwireError
from paperwire.store.database import Store, engine_url, make_engine
from paperwire.store.migrate import upgrade
from paperwire.store.schema import metadata, source_state

INSTANCE_KEY = "instance:id"  # source_state key naming the instance a database belongs to
SKIPPED: dict[str, str] = {}  # table -> why it is not copied; every table holds primary data today
DERIVED = (
    "the keyword index (home/index/keyword, tantivy): PostgreSQL searches papers.search_tsv, "
    "a generated column it fills as the rows arrive",
    "the vector index files (home/index/): pgvector's HNSW index is built on PostgreSQL by the first "
    "search or by `paperwire --db URL index`",
)
_PASSED = (
    sa.String,
    sa.Text,
    sa.Integer,
    sa.BigInteger,
    sa.SmallInteger,
    sa.Boolean,
    sa.Date,
    sa.DateTime,
    sa.JSON,
    sa.LargeBinary,
    sa.Float,
    sa.Numeric,
)
_KEYED = (sa.String, sa.Text, sa.Integer, sa.BigInteger, sa.SmallInteger, sa.Date)  # same text on both sides
_NINE_DIGITS = "{:.9g}".format  # 9 significant digits read back as the very same float32
_LOCK = 0x70770D16  # advisory lock: one migrate-db at a time into a database

Progress = Callable[[str, int, int], None]  # (table, rows done, rows in the source)


class TransferMismatch(PaperwireError):
    """The target does not hold what the source holds after copying; `table` names where."""

    status = 500

    def __init__(self, table: str, message: str) -> None:
        super().__init__(f"verification failed for table {table}: {message}")
        self.table = table


@dataclass(frozen=True)
class TablePlan:
    """How one table is copied: its columns in order, its key, the read order and a row conversion."""

    table: sa.Table
    columns: tuple[str, ...]
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]  # unique constraints other than the key
    order_by: str | None = None
    convert: Callable[[Sequence[Any]], Sequence[Any]] | None = None

    @property
    def name(self) -> str:
        return self.table.name


@dataclass
class TableReport:
    name: str
    rows: int = 0  # in the source
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    seconds: float = 0.0


@dataclass
class TransferReport:
    source: str
    target: str
    fresh: bool
    instance: str
    tables: list[TableReport] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=lambda: dict(SKIPPED))
    derived: tuple[str, ...] = DERIVED
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "fresh": self.fresh,
            "instance": self.instance,
            "seconds": round(self.seconds, 3),
            "verified": True,
            "tables": {t.name: {**asdict(t), "seconds": round(t.seconds, 3)} for t in self.tables},
            "skipped": self.skipped,
            "derived": list(self.derived),
        }


def plan_tables(meta: sa.MetaData = metadata) -> list[TablePlan]:
    """Every table to copy, parents first; source_state leads, so the instance id lands before anything else."""
    plans = []
    for table in meta.sorted_tables:
        if table.name in SKIPPED:
            continue
        for column in table.columns:
            if table.name == "embeddings" and column.name == "embedding":
                continue
            if not isinstance(column.type, _PASSED):
                raise PaperwireError(
                    f"migrate-db cannot convert {table.name}.{column.name} ({column.type})", status=500
                )
        key = tuple(c.name for c in table.primary_key.columns)
        if not all(isinstance(table.c[k].type, _KEYED) for k in key):
            raise PaperwireError(f"migrate-db cannot checksum the key of {table.name}", status=500)
        unique = tuple(
            cols
            for cols in (
                tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, sa.UniqueConstraint)
            )
            if cols != key
        ) + tuple(tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique)
        self_ref = any(fk.column.table is table for fk in table.foreign_keys)
        order = ", ".join(_q(k) for k in key) if self_ref else None
        if table is source_state:
            order = f"CASE WHEN {_q('key')} = '{INSTANCE_KEY}' THEN 0 ELSE 1 END"
        columns = tuple(c.name for c in table.columns)
        plans.append(
            TablePlan(
                table, columns, key, unique, order, _embedding_row(columns) if table.name == "embeddings" else None
            )
        )
    plans.sort(key=lambda plan: plan.table is not source_state)  # no foreign keys: first is a valid place
    return plans


def _embedding_row(columns: tuple[str, ...]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """SQLite keeps the vector as float32 bytes in `vector`; PostgreSQL keeps it in the pgvector `embedding`."""
    raw, target = columns.index("vector"), columns.index("embedding")

    def convert(row: Sequence[Any]) -> Sequence[Any]:
        values = list(row)
        if values[raw] is not None:
            floats = np.frombuffer(values[raw], dtype="<f4").tolist()
            values[target] = "[" + ",".join(map(_NINE_DIGITS, floats)) + "]"
            values[raw] = None
        return values

    return convert


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(names: Sequence[str], prefix: str = "") -> str:
    return ", ".join(prefix + _q(n) for n in names)


def _key_hash(key_text: str) -> int:
    return int(hashlib.md5(key_text.encode()).hexdigest()[:15], 16)


def configured_source(settings: Settings) -> str:
    """The configured instance's database URL (without creating its home folder, unlike Store.open)."""
    return settings.database_url or f"sqlite:///{Path(settings.home).resolve() / 'paperwire.db'}"


def open_source(url: str) -> Store:
    """The SQLite instance to copy (refused unless it exists), brought up to the current schema."""
    if "://" not in url:
        url = f"sqlite:///{Path(url).resolve()}"
    if not url.startswith("sqlite:///"):
        raise InvalidInput(
            f"the source must be an SQLite database (sqlite:///path), got {_hide(url)}; "
            "migrate-db copies an SQLite instance into PostgreSQL"
        )
    path = url[len("sqlite:///") :]
    if not path or path == ":memory:" or not Path(path).is_file():
        raise NotFound(f"no SQLite database at {path or url}")
    store = Store(make_engine(url))
    upgrade(store)
    return store


def open_target(url: str) -> Store:
    """The PostgreSQL database to fill: pgvector enabled and the schema migrated to the current revision."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise InvalidInput(
            f"--to must be a PostgreSQL URL (postgresql://user:password@host/database), got {_hide(url)!r}"
        )
    store = Store(make_engine(engine_url(url)))
    try:
        with store.engine.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first():
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
                conn.commit()
    except OperationalError as exc:
        store.close()
        raise PaperwireError(
            f"cannot reach the target database {store.url}: {_first_line(exc.orig)}", status=503
        ) from None
    except DBAPIError as exc:
        store.close()
        raise PaperwireError(
            f"the target {store.url} needs the pgvector extension (0.6 or later): "
            f"{_first_line(exc.orig)}; install it and run CREATE EXTENSION vector there",
            status=500,
        ) from None
    try:
        upgrade(store)
    except CommandError as exc:
        store.close()
        raise Conflict(f"the target {store.url} has a schema this version of Paperwire does not know: {exc}") from None
    return store


def _hide(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "unknown error"


def instance_id(source: Store) -> str:
    """The id naming the source instance, made and kept in its source_state on first use."""
    with source.write() as conn:
        found = conn.execute(sa.select(source_state.c.value).where(source_state.c.key == INSTANCE_KEY)).scalar()
        if found is None:
            found = uuid.uuid4().hex
            conn.execute(source_state.insert().values(key=INSTANCE_KEY, value=found, updated_at=datetime.now(UTC)))
    return found


def migrate_database(
    source: Store, target: Store, *, batch_size: int = 5000, on_progress: Progress | None = None
) -> TransferReport:
    """Copy every table of the SQLite `source` into the PostgreSQL `target`, then verify it (see the module doc)."""
    if source.dialect != "sqlite":
        raise InvalidInput(
            f"the source must be an SQLite instance, not {source.url}; migrate-db copies SQLite into PostgreSQL"
        )
    if target.dialect != "postgresql":
        raise InvalidInput(f"the target must be PostgreSQL, not {target.url}")
    if batch_size < 1:
        raise InvalidInput("--batch-size must be at least 1")
    started = time.perf_counter()
    plans = plan_tables()
    instance = instance_id(source)
    with target.engine.connect() as dst, source.read() as src:
        dst.exec_driver_sql("SET TIME ZONE 'UTC'")
        dst.exec_driver_sql("SET DateStyle TO ISO, YMD")
        if not dst.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK}).scalar():
            raise Conflict(f"another migrate-db is writing into {target.url}; wait for it to finish")
        dst.commit()
        try:
            with dst.begin():
                fresh = _check_target(dst, plans, instance, target.url)
                before = {p.name: 0 if fresh else _count(dst, p.name) for p in plans}
            report = TransferReport(source.url, target.url, fresh, instance)
            sums: dict[str, int] = {}
            for plan in plans:
                table_report, sums[plan.name] = _copy_table(
                    plan, src, dst, fresh=fresh, batch_size=batch_size, on_progress=on_progress
                )
                report.tables.append(table_report)
            _reset_sequences(dst, plans)
            _verify(dst, plans, report, sums, before)
        finally:
            _unlock(dst)
    report.seconds = time.perf_counter() - started
    return report


def _unlock(dst: Connection) -> None:
    try:
        dst.rollback()
        dst.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK})
        dst.commit()
    except DBAPIError:
        dst.invalidate()  # a broken connection is not pooled again; the server drops its lock


def _check_target(dst: Connection, plans: list[TablePlan], instance: str, url: str) -> bool:
    """True when the target is empty; False when an earlier run from this instance filled it; else refuse."""
    filled = [p.name for p in plans if dst.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {_q(p.name)})").scalar()]
    if not filled:
        return True
    owner = dst.execute(sa.select(source_state.c.value).where(source_state.c.key == INSTANCE_KEY)).scalar()
    if owner == instance:
        return False
    papers = dst.exec_driver_sql("SELECT count(*) FROM papers").scalar()
    whose = f"instance {owner}" if owner else "a database that migrate-db did not fill"
    raise Conflict(
        f"the target {url} already holds data ({papers} papers; tables {', '.join(filled)}) from {whose}, "
        f"not from this instance ({instance}); migrate-db copies into an empty database or reruns into "
        "one it filled from this same instance, and never mixes two"
    )


def _copy_table(
    plan: TablePlan, src: Connection, dst: Connection, *, fresh: bool, batch_size: int, on_progress: Progress | None
) -> tuple[TableReport, int]:
    """Copy one table in committed batches; returns its report and the source's key checksum."""
    report = TableReport(plan.name)
    began = time.perf_counter()
    name = _q(plan.name)
    total = _count(src, plan.name)
    key_at = [plan.columns.index(k) for k in plan.key]
    checksum = 0
    cursor = _driver(src).cursor()
    cursor.execute(
        f"SELECT {_cols(plan.columns)} FROM {name}" + (f" ORDER BY {plan.order_by}" if plan.order_by else "")
    )
    stage = None if fresh else _stage(dst, plan)
    if on_progress:
        on_progress(plan.name, 0, total)
    try:
        while rows := cursor.fetchmany(batch_size):
            if plan.convert:
                rows = [plan.convert(row) for row in rows]
            checksum += sum(_key_hash("\x1f".join(str(row[i]) for i in key_at)) for row in rows)
            try:
                with dst.begin():
                    _copy_rows(dst, stage or name, plan.columns, rows)
                    if stage:
                        _upsert(dst, plan, stage, report)
                    else:
                        report.inserted += len(rows)
            except DBAPIError as exc:
                raise PaperwireError(f"copying table {plan.name} failed: {_first_line(exc.orig)}", status=500) from None
            report.rows += len(rows)
            if on_progress:
                on_progress(plan.name, report.rows, total)
    finally:
        cursor.close()
    if not fresh:
        _delete_gone(plan, src, dst, report.rows, batch_size)
    report.seconds = time.perf_counter() - began
    return report, checksum


def _count(conn: Connection, table: str) -> int:
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {_q(table)}").scalar() or 0)


def _driver(conn: Connection) -> Any:
    """The psycopg connection under SQLAlchemy's (for server-side cursors and COPY)."""
    driver = conn.connection.dbapi_connection
    assert driver is not None, "the connection was closed"
    return driver


def _copy_rows(dst: Connection, into: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with (
        _driver(dst).cursor() as cursor,
        cursor.copy(f"COPY {into} ({_cols(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _stage(dst: Connection, plan: TablePlan) -> str:
    """A temporary table shaped like the copied columns, emptied at every commit."""
    stage = _q(f"migrate_stage_{plan.name}")
    with dst.begin():
        dst.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {_cols(plan.columns)} FROM {_q(plan.name)} WITH NO DATA"
        )
    return stage


def _upsert(dst: Connection, plan: TablePlan, stage: str, report: TableReport) -> None:
    """Apply a staged batch: update the rows that differ, insert the missing ones, leave equal ones untouched.

    Two statements rather than one INSERT ... ON CONFLICT DO UPDATE: that one computes the generated
    tsvector of every proposed row before it meets the conflict, so a rerun would cost a full copy.
    """
    name, key = _q(plan.name), plan.key
    same_key = " AND ".join(f"t.{_q(c)} = s.{_q(c)}" for c in key)
    for unique in plan.unique:  # a unique value (an email) now held by another key: that old row is gone
        match = " AND ".join(f"t.{_q(c)} = s.{_q(c)}" for c in unique)
        dst.exec_driver_sql(f"DELETE FROM {name} t USING {stage} s WHERE {match} AND NOT ({same_key})")
    rest = [c for c in plan.columns if c not in key]
    if rest:
        changes = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in rest)
        report.updated += dst.exec_driver_sql(
            f"UPDATE {name} t SET {changes} FROM {stage} s WHERE {same_key} "
            f"AND ({_cols(rest, 't.')}) IS DISTINCT FROM ({_cols(rest, 's.')})"
        ).rowcount
    report.inserted += dst.exec_driver_sql(
        f"INSERT INTO {name} ({_cols(plan.columns)}) SELECT {_cols(plan.columns, 's.')} FROM {stage} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {same_key})"
    ).rowcount


def _delete_gone(plan: TablePlan, src: Connection, dst: Connection, rows: int, batch_size: int) -> None:
    """Delete the target's rows whose key the source no longer has (only looked for when there are some)."""
    name = _q(plan.name)
    with dst.begin():
        if _count(dst, plan.name) <= rows:
            return
        keys = _q(f"migrate_keys_{plan.name}")
        dst.exec_driver_sql(
            f"CREATE TEMP TABLE {keys} ON COMMIT DROP AS SELECT {_cols(plan.key)} FROM {name} WITH NO DATA"
        )
        cursor = _driver(src).cursor()
        try:
            cursor.execute(f"SELECT {_cols(plan.key)} FROM {name}")
            while part := cursor.fetchmany(batch_size * 4):
                _copy_rows(dst, keys, plan.key, part)
        finally:
            cursor.close()
        match = " AND ".join(f"k.{_q(c)} = t.{_q(c)}" for c in plan.key)
        dst.exec_driver_sql(f"DELETE FROM {name} t WHERE NOT EXISTS (SELECT 1 FROM {keys} k WHERE {match})")


def _reset_sequences(dst: Connection, plans: list[TablePlan]) -> None:
    """Move each identity/serial sequence past the highest copied id, so new rows do not collide."""
    with dst.begin():
        for plan in plans:
            for column in plan.key:
                sequence = dst.execute(
                    sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": _q(plan.name), "c": column}
                ).scalar()
                if sequence:
                    top = dst.exec_driver_sql(f"SELECT max({_q(column)}) FROM {_q(plan.name)}").scalar()
                    dst.execute(
                        sa.text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                        {"s": sequence, "v": top or 1, "called": top is not None},
                    )


def _verify(
    dst: Connection, plans: list[TablePlan], report: TransferReport, sums: dict[str, int], before: dict[str, int]
) -> None:
    """Compare each table's row count and key checksum with the source snapshot's; count the rows that went."""
    rows = {t.name: t.rows for t in report.tables}
    with dst.begin():
        for plan, table in zip(plans, report.tables, strict=True):
            text = " || chr(31) || ".join(f"{_q(k)}::text" for k in plan.key)
            count, checksum = dst.exec_driver_sql(
                f"SELECT count(*), coalesce(sum(('x' || substr(md5({text}), 1, 15))::bit(60)::bigint), 0) FROM {_q(plan.name)}"
            ).one()
            table.deleted = before[plan.name] + table.inserted - count  # directly, or by a parent's ON DELETE CASCADE
            if count != rows[plan.name]:
                raise TransferMismatch(plan.name, f"the source has {rows[plan.name]} rows, the target {count}")
            if int(checksum) != sums[plan.name]:
                raise TransferMismatch(plan.name, f"the same number of rows ({count}) but different keys")
