"""The SQLite store (WAL): what ``asl serve`` keeps on disk, ``.asl/state.db`` by default.

Each record is a JSON document beside the columns queries filter and sort
on.  The file is marked with an application id, so a file that is not an
asl-engine store (corrupt, another program's database, a newer schema) is
refused with a message instead of being overwritten.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asl_engine.store.base import Store, StoreError
from asl_engine.store.records import (
    AliasRecord,
    ExecutionRecord,
    MapRunRecord,
    StateMachineRecord,
    VersionRecord,
    from_doc,
    to_doc,
)

APPLICATION_ID = 0x41534C45  # "ASLE" in the database header
SCHEMA_VERSION = 1
_SQLITE_HEADER = b"SQLite format 3\x00"
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


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SqliteStore(Store):
    """One connection, used from the service's event loop thread; every write commits on its own."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = _open(self.path)
        self._depth = 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        self._depth += 1
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth -= 1

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self.atomic():
            yield self._conn

    def _one(self, cls: type, sql: str, *args: Any) -> Any:
        row = self._conn.execute(sql, args).fetchone()
        return None if row is None else from_doc(cls, json.loads(row[0]))

    def _all(self, cls: type, sql: str, *args: Any) -> list[Any]:
        return [from_doc(cls, json.loads(row[0])) for row in self._conn.execute(sql, args)]

    def put_state_machine(self, record: StateMachineRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO state_machines VALUES (?, ?, ?)",
                           (record.arn, record.created, _dumps(to_doc(record))))

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
                           (record.arn, record.state_machine_arn, record.number, _dumps(to_doc(record))))

    def get_version(self, arn: str) -> VersionRecord | None:
        return self._one(VersionRecord, "SELECT doc FROM versions WHERE arn = ?", arn)

    def delete_version(self, arn: str) -> None:
        self._conn.execute("DELETE FROM versions WHERE arn = ?", (arn,))

    def list_versions(self, state_machine_arn: str) -> list[VersionRecord]:
        return self._all(VersionRecord, "SELECT doc FROM versions WHERE state_machine_arn = ? ORDER BY number DESC",
                         state_machine_arn)

    def put_alias(self, record: AliasRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?)",
                           (record.arn, record.state_machine_arn, record.created, _dumps(to_doc(record))))

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
        return {} if row is None else json.loads(row[0])

    def set_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._conn.execute("INSERT OR REPLACE INTO tags VALUES (?, ?)", (arn, _dumps(tags)))

    def put_execution(self, record: ExecutionRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO executions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (record.arn, record.state_machine_arn, record.version_arn, record.alias_arn, record.status,
                            record.start, record.stop, _dumps(to_doc(record))))

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
        return [json.loads(row[0]) for row in rows]

    def put_map_run(self, record: MapRunRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO map_runs VALUES (?, ?, ?, ?)",
                           (record.arn, record.execution_arn, record.start, _dumps(to_doc(record))))

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        return self._one(MapRunRecord, "SELECT doc FROM map_runs WHERE arn = ?", arn)

    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        return self._all(MapRunRecord, "SELECT doc FROM map_runs WHERE execution_arn = ? ORDER BY start, arn",
                         execution_arn)

    def purge_closed(self, stopped_before: float) -> int:
        with self._transaction() as conn:
            old = "SELECT arn FROM executions WHERE stop IS NOT NULL AND stop < ?"
            conn.execute(f"DELETE FROM events WHERE execution_arn IN ({old})", (stopped_before,))
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
