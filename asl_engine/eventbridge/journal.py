"""The event services' configuration as a journal of the calls that changed it, replayed at startup.

EventBridge, Scheduler, Pipes and Schemas keep their resources in memory;
what makes them outlive the process is one mechanism for all four: every
call that changes a resource (``MUTATIONS``) is appended, with its request
and the instant it was made, to a ``journal`` table in the region's archive
database (``archive.ArchiveStore``, which already holds archives, archived
events and replays), committed before the call answers. On the next start
the calls are made again in order, each on a ``PinnedClock`` that answers the
instant the call was first made, so creation and modification times, rates
counted from a rule's creation and schema versions' dates come back as they
were. Re-running the calls, rather than keeping snapshots of five services'
objects, keeps every refusal and default in the one place that computes it.

Deliveries waiting for a retry are not configuration: they are kept as they
are, one row each in ``pending_deliveries`` (``PendingDeliveries``, the
``delivery.RetryStore`` of the region's Deliverer), and scheduled again after
the journal's replay (``Deliverer.restore``).
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .archive import ArchiveStore

log = logging.getLogger(__name__)

MUTATIONS: dict[str, tuple[str, ...]] = {
    "events": ("create_event_bus", "delete_event_bus", "put_rule", "delete_rule", "enable_rule", "disable_rule",
               "put_targets", "remove_targets"),
    "scheduler": ("create_schedule", "update_schedule", "delete_schedule"),
    "pipes": ("create_pipe", "update_pipe", "delete_pipe", "start_pipe", "stop_pipe", "tag_resource",
              "untag_resource"),
    "schemas": ("create_registry", "update_registry", "delete_registry", "create_schema", "update_schema",
                "delete_schema", "delete_schema_version", "create_discoverer", "update_discoverer",
                "delete_discoverer", "start_discoverer", "stop_discoverer", "observe"),
}
"""Per service, the methods whose calls change its resources. ``observe`` (schema discovery seeing an event)
is journaled only when it added a schema version, which it answers True for."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY, service TEXT NOT NULL, method TEXT NOT NULL, arguments TEXT NOT NULL, time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS created (time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pending_deliveries (id INTEGER PRIMARY KEY, due REAL NOT NULL, body TEXT NOT NULL);
"""
# CREATE ... IF NOT EXISTS: a file written before a table existed gets it when opened (and reads as before)


class PinnedClock:
    """The wrapped clock, except that ``now`` and ``time`` answer ``pinned`` (epoch seconds) while it is set.

    The event services read time only through their ``Timers``' clock; pinning it while a journaled call is
    made again gives that call the instant it was first made. Everything else (the loop, ``advance`` of a
    virtual clock) is the wrapped clock's.
    """

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self.pinned: float | None = None

    def now(self) -> datetime:
        return self._clock.now() if self.pinned is None else datetime.fromtimestamp(self.pinned, UTC)

    def time(self) -> float:
        return self._clock.time() if self.pinned is None else self.pinned

    def __getattr__(self, name: str) -> Any:
        return getattr(self._clock, name)


class Journal:
    """The configuration calls of one account and region, in ``store``'s database; ``recording`` turns it on.

    ``recording`` starts off so that calls made while restoring (or resources a served template creates at
    each start, which are not the user's to keep) are not journaled again.
    """

    def __init__(self, store: ArchiveStore, clock: PinnedClock) -> None:
        self.store = store
        self._clock = clock
        self.recording = False
        store.db.executescript(_SCHEMA)
        row = store.db.execute("SELECT time FROM created").fetchone()
        if row is None:
            row = (clock.time(),)
            store.db.execute("INSERT INTO created (time) VALUES (?)", row)
        self.created: float = row[0]
        """When the region was first used: the instant of what exists from the start (the default bus)."""
        self.pending = PendingDeliveries(store.db)
        """The region's deliveries waiting for a retry (its Deliverer's store)."""

    def attach(self, service: str, target: object) -> None:
        """Wraps ``target``'s mutating methods (on the instance) so that each call that succeeds is recorded."""
        for method in MUTATIONS[service]:
            setattr(target, method, self._recorded(service, method, getattr(target, method)))

    def _recorded(self, service: str, method: str, call: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(call)
        def recorded(*args: Any, **request: Any) -> Any:
            if not self.recording or self._clock.pinned is not None:  # restoring
                return call(*args, **request)
            time = self._clock.time()
            self._clock.pinned = time  # one instant for the whole call, the one its replay will see
            try:
                result = call(*args, **request)
            finally:
                self._clock.pinned = None
            if result is not False:
                call_text = json.dumps({"args": args, "request": request}, default=_iso)
                self.store.db.execute(
                    "INSERT INTO journal (service, method, arguments, time) VALUES (?, ?, ?, ?)",
                    (service, method, call_text, time),
                )
            return result

        return recorded

    def replay(self, services: Mapping[str, object]) -> int:
        """Makes every journaled call again, in order, at its first instant; returns how many were made.

        A call that is refused now (a resource a template used to create, say) is logged and skipped.
        """
        rows = self.store.db.execute("SELECT service, method, arguments, time FROM journal ORDER BY seq").fetchall()
        for service, method, arguments, time in rows:
            self._clock.pinned = time
            try:
                made = json.loads(arguments)
                getattr(services[service], method)(*made["args"], **made["request"])
            except Exception as exc:  # one stale call must not keep the rest from coming back
                log.warning("restoring %s.%s failed: %s", service, method, exc)
            finally:
                self._clock.pinned = None
        return len(rows)

    def close(self) -> None:
        self.store.db.close()


class PendingDeliveries:
    """``delivery.RetryStore`` on the region's database: a row per delivery waiting for its next retry.

    Autocommit (the store's connection has no transaction open), so a row is on disk when ``save`` returns:
    written before the retry is scheduled, rewritten after each failed retry, deleted when the delivery ends.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def save(self, key: int | None, record: Mapping[str, Any]) -> int:
        body = json.dumps(record, default=_text)
        if key is None:
            cursor = self._db.execute("INSERT INTO pending_deliveries (due, body) VALUES (?, ?)",
                                      (record["Due"], body))
            return int(cursor.lastrowid)  # type: ignore[arg-type]  # set by an INSERT
        self._db.execute("UPDATE pending_deliveries SET due = ?, body = ? WHERE id = ?", (record["Due"], body, key))
        return key

    def delete(self, key: int) -> None:
        self._db.execute("DELETE FROM pending_deliveries WHERE id = ?", (key,))

    def load(self) -> list[tuple[int, dict[str, Any]]]:
        rows = self._db.execute("SELECT id, body FROM pending_deliveries ORDER BY due, id").fetchall()
        return [(key, json.loads(body)) for key, body in rows]


def open_store(path: str) -> ArchiveStore:
    """The region's database at ``path``; raises ValueError when it is not ours or is damaged (left untouched)."""
    try:
        store = ArchiveStore(path)
        check = store.db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{path} is a damaged SQLite database ({exc}); it was left untouched.") from None
    except Exception as exc:
        raise ValueError(f"{exc} It was left untouched.") from None
    if check != "ok":
        store.db.close()
        raise ValueError(f"{path} is a damaged event store ({check}); it was left untouched.")
    return store


def _text(value: Any) -> Any:
    """A value of a kept delivery JSON has no type for (a datetime in a target spec made in-process): as text."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _iso(value: Any) -> Any:
    """Requests made in-process may hold datetimes (Scheduler's StartDate): kept as ISO text, which they accept."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
