"""The SQLite store (WAL): what ``asl serve`` keeps on disk, ``.asl/state.db`` by default.

Each record is a JSON document beside the columns queries filter and sort
on.  The file is marked with an application id, so a file that is not an
asl-engine store (corrupt, another program's database, a newer schema) is
refused with a message instead of being overwritten.

Writes made on the service's event loop are committed in groups: the first
write of a loop tick opens a transaction and the next tick commits it, so
the dozen history events each running execution appends per tick cost one
commit between them instead of one each.  A response is sent only once the
writes behind it are committed (``committed``; the gateway awaits it), so
nothing a client was told is lost to a crash; what a crash does lose is the
tail of a history no client has seen, which a resume writes again.  Off the
loop (tests, scripts) every write commits on its own, as before.  A serving
store copies its WAL back into the database from a thread (``_Checkpointer``)
rather than inside a commit on the loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from asl_engine.store.base import Store, StoreError
from asl_engine.store.records import (
    AliasRecord,
    ExecutionRecord,
    MapRunRecord,
    StateMachineRecord,
    VersionRecord,
    from_doc,
)

APPLICATION_ID = 0x41534C45  # "ASLE" in the database header
SCHEMA_VERSION = 1
_SQLITE_HEADER = b"SQLite format 3\x00"
_WRITES = ("INSERT", "DELETE", "UPDATE", "REPLACE")
CHECKPOINT_INTERVAL = 0.25  # seconds between two WAL checkpoints of a serving store
RESTART_EVERY = 4  # checkpoints: one in so many lets the WAL start over (see _Checkpointer)
log = logging.getLogger("asl_engine.store")
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE state_machines (arn TEXT PRIMARY KEY, created REAL NOT NULL, doc TEXT NOT NULL);
CREATE TABLE versions (arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, number INTEGER NOT NULL,
                       doc TEXT NOT NULL);
CREATE INDEX versions_by_machine ON versions (state_machine_arn, number);
CREATE TABLE aliases (arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, created REAL NOT NULL,
                      doc TEXT NOT NULL);
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn, created);
CREATE TABLE tags (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE executions (arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, version_arn TEXT, alias_arn TEXT,
                         status TEXT NOT NULL, start REAL NOT NULL, stop REAL, doc TEXT NOT NULL);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start);
CREATE INDEX executions_by_status ON executions (status);
CREATE INDEX executions_by_stop ON executions (stop);
CREATE TABLE events (execution_arn TEXT NOT NULL, id INTEGER NOT NULL, doc TEXT NOT NULL,
                     PRIMARY KEY (execution_arn, id)) WITHOUT ROWID;
CREATE TABLE map_runs (arn TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, start REAL NOT NULL, doc TEXT NOT NULL);
CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start);
"""
# one row per Distributed Map item (its child's outcome), written as each ends; created in stores made before it
_MAP_RUN_ITEMS = """CREATE TABLE IF NOT EXISTS map_run_items (map_run_arn TEXT NOT NULL, idx INTEGER NOT NULL,
    status TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (map_run_arn, idx)) WITHOUT ROWID"""
# one row per Distributed Map child as it starts (its start, its redrive count, its input as JSON text);
# created in stores made before it
_MAP_RUN_STARTS = """CREATE TABLE IF NOT EXISTS map_run_starts (map_run_arn TEXT NOT NULL, idx INTEGER NOT NULL,
    start REAL NOT NULL, redrives INTEGER NOT NULL, input TEXT NOT NULL,
    PRIMARY KEY (map_run_arn, idx)) WITHOUT ROWID"""


def _dumps(value: Any) -> str:
    """Compact JSON text of a document, or of a record (a dataclass of JSON values) by its attributes.

    The attributes are what ``to_doc`` gives, without its deep copy.  orjson writes them (history events
    are most of what a busy server writes); the json module takes what orjson refuses (integers beyond
    64 bits), so every document stores as it did.
    """
    doc = value if isinstance(value, dict) else vars(value)
    try:
        return orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what only the json module wrote (see _dumps)
        return json.loads(text)


class _Checkpointer:
    """Copies the WAL back into the database file from a thread of its own, with a connection of its own.

    Left to itself SQLite does that inside whichever commit takes the WAL past 1,000 pages, fsyncs
    included, which would stall the event loop for milliseconds every fraction of a second under load.
    Here the copying is passive (it never blocks the writer, and the thread waits on the disk without the
    GIL), and every RESTART_EVERY-th pass ends with a RESTART, which lets the writer start the WAL over:
    passive passes racing a busy writer never do that, and the file would grow without end.  A RESTART
    holds writers back until it is done, which the passive pass just before it keeps short.
    """

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="asl-store-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        passes = 0
        while not self._stop.wait(CHECKPOINT_INTERVAL):
            passes += 1
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                if passes % RESTART_EVERY == 0:
                    self._conn.execute("PRAGMA wal_checkpoint(RESTART)")
            except sqlite3.Error as e:  # the next pass tries again, and closing the store checkpoints last
                log.warning("the store's WAL checkpoint failed (%s)", e)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()


class _GroupCommit:
    """The store's connection, committing the writes of one event-loop tick together (see the module doc).

    Stands in for the ``sqlite3.Connection`` (``execute`` and ``close``), so every statement of the store
    passes here and a write can open the tick's transaction before it runs.  The first group also moves
    WAL checkpoints to a ``_Checkpointer`` thread.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self._conn = conn
        self._path = path
        self._group: asyncio.Future[None] | None = None  # resolved once the open transaction is committed
        self._kinds: dict[str, bool] = {}  # statement -> whether it writes
        self._checkpointer: _Checkpointer | None = None

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        writes = self._kinds.get(sql)
        if writes is None:
            writes = self._kinds[sql] = sql.lstrip().upper().startswith(_WRITES)
        if writes:
            self.open_group()
        return self._conn.execute(sql, args)

    def executemany(self, sql: str, rows: list[tuple]) -> sqlite3.Cursor:
        """A write of many rows at once (one statement run for each), in the tick's group like any write."""
        self.open_group()
        return self._conn.executemany(sql, rows)

    def open_group(self) -> None:
        """On the event loop, open the tick's transaction (if none is) and schedule its commit."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self._group is not None:
            owner = self._group.get_loop()
            if owner is loop or owner.is_running():
                return  # the write joins the open group, which its loop commits
            self.commit()  # left open by a loop that stopped before its next turn
        if loop is None or self._conn.in_transaction:
            return  # off the loop the statement commits on its own; inside a savepoint it joins that
        if self._checkpointer is None and self._path != ":memory:":
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = _Checkpointer(self._path)
        self._conn.execute("BEGIN IMMEDIATE")
        self._group = loop.create_future()
        loop.call_soon(self.commit)

    def commit(self) -> None:
        """Commit the open group and release whoever awaits it; a failed commit fails them instead."""
        group, self._group = self._group, None
        if group is None:
            return
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as e:
            log.error("the store could not commit (%s): the writes of this tick are lost", e)
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if not group.done() and not group.get_loop().is_closed():
                group.set_exception(e)
            return
        if not group.done() and not group.get_loop().is_closed():
            group.set_result(None)

    async def committed(self) -> None:
        if self._group is not None:
            await asyncio.shield(self._group)

    def close(self) -> None:
        """Commit what is pending and close; the last connection closed checkpoints and removes the WAL."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        self.commit()
        self._conn.close()


class SqliteStore(Store):
    """One connection, used from the service's event loop thread; writes are group-committed per loop tick."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = _GroupCommit(_open(self.path), self.path)
        self._depth = 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A savepoint inside the tick's group on the loop; its own transaction off the loop."""
        if self._depth:
            yield
            return
        self._depth += 1
        self._conn.open_group()
        self._conn.execute("SAVEPOINT atomic")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO atomic")
            self._conn.execute("RELEASE atomic")
            raise
        else:
            self._conn.execute("RELEASE atomic")
        finally:
            self._depth -= 1

    async def committed(self) -> None:
        await self._conn.committed()

    @contextmanager
    def _transaction(self) -> Iterator[_GroupCommit]:
        with self.atomic():
            yield self._conn

    def _one(self, cls: type, sql: str, *args: Any) -> Any:
        row = self._conn.execute(sql, args).fetchone()
        return None if row is None else from_doc(cls, _loads(row[0]))

    def _all(self, cls: type, sql: str, *args: Any) -> list[Any]:
        return [from_doc(cls, _loads(row[0])) for row in self._conn.execute(sql, args)]

    def put_state_machine(self, record: StateMachineRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO state_machines VALUES (?, ?, ?)",
                           (record.arn, record.created, _dumps(record)))

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        return self._one(StateMachineRecord, "SELECT doc FROM state_machines WHERE arn = ?", arn)

    def delete_state_machine(self, arn: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM tags WHERE arn = ? OR arn IN (SELECT arn FROM aliases WHERE "
                         "state_machine_arn = ?) OR arn IN (SELECT arn FROM versions WHERE state_machine_arn = ?)",
                         (arn, arn, arn))
            conn.execute("DELETE FROM aliases WHERE state_machine_arn = ?", (arn,))
            conn.execute("DELETE FROM versions WHERE state_machine_arn = ?", (arn,))
            conn.execute("DELETE FROM state_machines WHERE arn = ?", (arn,))

    def list_state_machines(self) -> list[StateMachineRecord]:
        return self._all(StateMachineRecord, "SELECT doc FROM state_machines ORDER BY created, arn")

    def put_version(self, record: VersionRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?)",
                           (record.arn, record.state_machine_arn, record.number, _dumps(record)))

    def get_version(self, arn: str) -> VersionRecord | None:
        return self._one(VersionRecord, "SELECT doc FROM versions WHERE arn = ?", arn)

    def delete_version(self, arn: str) -> None:
        self._conn.execute("DELETE FROM versions WHERE arn = ?", (arn,))

    def list_versions(self, state_machine_arn: str) -> list[VersionRecord]:
        return self._all(VersionRecord, "SELECT doc FROM versions WHERE state_machine_arn = ? ORDER BY number DESC",
                         state_machine_arn)

    def put_alias(self, record: AliasRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?)",
                           (record.arn, record.state_machine_arn, record.created, _dumps(record)))

    def get_alias(self, arn: str) -> AliasRecord | None:
        return self._one(AliasRecord, "SELECT doc FROM aliases WHERE arn = ?", arn)

    def delete_alias(self, arn: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM aliases WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))

    def list_aliases(self, state_machine_arn: str) -> list[AliasRecord]:
        return self._all(AliasRecord, "SELECT doc FROM aliases WHERE state_machine_arn = ? ORDER BY created, arn",
                         state_machine_arn)

    def get_tags(self, arn: str) -> dict[str, str]:
        row = self._conn.execute("SELECT doc FROM tags WHERE arn = ?", (arn,)).fetchone()
        return {} if row is None else _loads(row[0])

    def set_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._conn.execute("INSERT OR REPLACE INTO tags VALUES (?, ?)", (arn, _dumps(tags)))

    def put_execution(self, record: ExecutionRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO executions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (record.arn, record.state_machine_arn, record.version_arn, record.alias_arn, record.status,
                            record.start, record.stop, _dumps(record)))

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        return self._one(ExecutionRecord, "SELECT doc FROM executions WHERE arn = ?", arn)

    def list_executions(self, arn: str, status: str | None = None) -> list[ExecutionRecord]:
        sql = "SELECT doc FROM executions WHERE (state_machine_arn = ? OR version_arn = ? OR alias_arn = ?)"
        args: tuple = (arn, arn, arn)
        if status is not None:
            sql += " AND status = ?"
            args += (status,)
        return self._all(ExecutionRecord, sql + " ORDER BY start DESC, arn", *args)

    def running_executions(self) -> list[ExecutionRecord]:
        return self._all(ExecutionRecord, "SELECT doc FROM executions WHERE status = 'RUNNING' ORDER BY start")

    def append_event(self, execution_arn: str, event: dict[str, Any]) -> None:
        self._conn.execute("INSERT INTO events VALUES (?, ?, ?)", (execution_arn, event["id"], _dumps(event)))

    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT doc FROM events WHERE execution_arn = ? ORDER BY id", (execution_arn,))
        return [_loads(row[0]) for row in rows]

    def put_map_run(self, record: MapRunRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO map_runs VALUES (?, ?, ?, ?)",
                           (record.arn, record.execution_arn, record.start, _dumps(record)))

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        return self._one(MapRunRecord, "SELECT doc FROM map_runs WHERE arn = ?", arn)

    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        return self._all(MapRunRecord, "SELECT doc FROM map_runs WHERE execution_arn = ? ORDER BY start, arn",
                         execution_arn)

    def put_map_run_item(self, map_run_arn: str, index: int, outcome: dict[str, Any]) -> None:
        self._conn.execute("INSERT OR REPLACE INTO map_run_items VALUES (?, ?, ?, ?)",
                           (map_run_arn, index, outcome["status"], _dumps(outcome)))

    def map_run_items(self, map_run_arn: str) -> dict[int, dict[str, Any]]:
        rows = self._conn.execute("SELECT idx, doc FROM map_run_items WHERE map_run_arn = ?", (map_run_arn,))
        return {row[0]: _loads(row[1]) for row in rows}

    def map_run_item(self, map_run_arn: str, index: int) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT doc FROM map_run_items WHERE map_run_arn = ? AND idx = ?",
                                 (map_run_arn, index)).fetchone()
        return None if row is None else _loads(row[0])

    def put_map_run_starts(self, map_run_arn: str, starts: list[tuple[int, float, int, str]]) -> None:
        self._conn.executemany("INSERT OR REPLACE INTO map_run_starts VALUES (?, ?, ?, ?, ?)",
                          [(map_run_arn, *start) for start in starts])

    def drop_map_run_starts(self, map_run_arn: str, indexes: list[int]) -> None:
        self._conn.executemany("DELETE FROM map_run_starts WHERE map_run_arn = ? AND idx = ?",
                               [(map_run_arn, index) for index in indexes])

    def map_run_starts(self, map_run_arn: str) -> dict[int, tuple[float, int]]:
        rows = self._conn.execute("SELECT idx, start, redrives FROM map_run_starts WHERE map_run_arn = ?",
                                  (map_run_arn,))
        return {row[0]: (row[1], row[2]) for row in rows}

    def map_run_input(self, map_run_arn: str, index: int) -> str | None:
        row = self._conn.execute("SELECT input FROM map_run_starts WHERE map_run_arn = ? AND idx = ?",
                                 (map_run_arn, index)).fetchone()
        return None if row is None else row[0]

    def map_run_item_counts(self, map_run_arn: str) -> dict[str, int]:
        rows = self._conn.execute("SELECT status, count(*) FROM map_run_items WHERE map_run_arn = ? GROUP BY status",
                                  (map_run_arn,))
        return {row[0]: row[1] for row in rows}

    def purge_closed(self, stopped_before: float) -> int:
        with self._transaction() as conn:
            old = "SELECT arn FROM executions WHERE stop IS NOT NULL AND stop < ?"
            conn.execute(f"DELETE FROM events WHERE execution_arn IN ({old})", (stopped_before,))
            for table in ("map_run_items", "map_run_starts"):
                conn.execute(f"DELETE FROM {table} WHERE map_run_arn IN (SELECT arn FROM map_runs WHERE "
                             f"execution_arn IN ({old}))", (stopped_before,))
            conn.execute(f"DELETE FROM map_runs WHERE execution_arn IN ({old})", (stopped_before,))
            return conn.execute("DELETE FROM executions WHERE stop IS NOT NULL AND stop < ?",
                                (stopped_before,)).rowcount

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self._conn.close()


def _open(path: str) -> sqlite3.Connection:
    """Open (or create) the store at ``path``; refuse anything that is not an asl-engine store."""
    if path != ":memory:":
        file = Path(path)
        if file.is_dir():
            raise StoreError(f"{path} is a directory, not an asl-engine store")
        if file.exists() and file.stat().st_size > 0:
            with file.open("rb") as f:
                if f.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                    raise StoreError(f"{path} is not an asl-engine store: it is not an SQLite database "
                                     "(a corrupt or foreign file). It was left untouched; move it away or pass "
                                     "another --db.")
        file.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        _check_or_create(conn, path)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(f"{path} is a damaged SQLite database ({e}). It was left untouched; move it away or "
                         "pass another --db.") from None
    except StoreError:
        conn.close()
        raise
    return conn


def _check_or_create(conn: sqlite3.Connection, path: str) -> None:
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if application_id == 0 and objects == 0:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
                           f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    elif application_id != APPLICATION_ID:
        raise StoreError(f"{path} is an SQLite database of another application (application_id "
                         f"{application_id:#x}), not an asl-engine store. It was left untouched; pass another --db.")
    else:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{path} was written by a newer asl-engine (store schema {version}, this one reads "
                             f"up to {SCHEMA_VERSION}). It was left untouched.")
        check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if check != "ok":
            raise StoreError(f"{path} is a damaged asl-engine store ({check}). It was left untouched; move it "
                             "away or pass another --db.")
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(_MAP_RUN_ITEMS)
    conn.execute(_MAP_RUN_STARTS)
