"""Archives and replays, kept in SQLite so that they outlive the process.

Every event put on a bus is stored in each of that bus's archives whose
pattern it matches (replayed events are not archived again). StartReplay reads
the events archived in [EventStartTime, EventEndTime) and puts them back on
the source bus, in small steps on the clock so that DescribeReplay can see
STARTING, RUNNING and COMPLETED (or CANCELLING and CANCELLED) as on AWS; each
replayed event carries a ``replay-name`` field and reaches only the rules the
replay names (Destination.FilterArns), or all rules of the bus.

The database file is marked with an application id; a file that is not
SQLite, or is another program's SQLite database, is refused and left as it is.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from . import arns
from .envelope import as_datetime
from .errors import (
    EventBridgeError,
    IllegalStatusError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidationError,
)
from .paging import page
from .patterns import EventMatcher, compile_pattern
from .timers import Timers

APPLICATION_ID = 0x41534C45  # "ASLE": marks a database as this package's archive store
REPLAY_STEP = 100  # events replayed per clock step
_SCHEMA = """
CREATE TABLE archives (name TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE events (archive TEXT NOT NULL, time REAL NOT NULL, size INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX events_by_time ON events (archive, time);
CREATE TABLE replays (name TEXT PRIMARY KEY, body TEXT NOT NULL);
"""
_SQLITE_HEADER = b"SQLite format 3\x00"
ReplayEvent = Callable[[str, dict[str, Any], frozenset[str] | None], None]


class ArchiveStoreError(EventBridgeError):
    """The archive database cannot be used (not SQLite, or not ours); nothing was written to it."""

    code = "InternalException"


class ArchiveStore:
    """The SQLite file (or ``:memory:``) holding archives, their events and replays."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        if path != ":memory:" and os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as handle:
                if handle.read(16) != _SQLITE_HEADER:
                    raise ArchiveStoreError(
                        f"{path} is not an SQLite database; refusing to use it as an archive store."
                    )
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        application_id = self.db.execute("PRAGMA application_id").fetchone()[0]
        has_tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if application_id != APPLICATION_ID and (application_id != 0 or has_tables):
            self.db.close()
            raise ArchiveStoreError(
                f"{path} is another program's SQLite database; refusing to use it as an archive store."
            )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; one fsync per checkpoint
        if application_id == 0:
            self.db.executescript(f"BEGIN; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; COMMIT;")

    def load(self, table: str) -> dict[str, dict[str, Any]]:
        return {name: json.loads(body) for name, body in self.db.execute(f"SELECT name, body FROM {table}")}

    def save(self, table: str, name: str, body: Mapping[str, Any]) -> None:
        self.db.execute(f"INSERT OR REPLACE INTO {table} (name, body) VALUES (?, ?)", (name, json.dumps(body)))

    def delete(self, table: str, name: str) -> None:
        self.db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))


class Archives:
    """CreateArchive ... CancelReplay for one account and region (requests and answers as the API's)."""

    def __init__(
        self,
        store: ArchiveStore,
        *,
        region: str,
        account: str,
        timers: Timers,
        bus_exists: Callable[[str], bool],
        replay: ReplayEvent,
    ) -> None:
        self._store = store
        self._region = region
        self._account = account
        self._timers = timers
        self._bus_exists = bus_exists
        self._replay = replay
        self._archives = store.load("archives")
        self._replays = store.load("replays")
        self._matchers: dict[str, EventMatcher] = {}  # bus ARN -> that bus's archives with a pattern
        self._unfiltered: dict[str, set[str]] = {}  # bus ARN -> archives without one (they keep every event)
        for archive in self._archives.values():
            self._match(archive)
        for replay in self._replays.values():
            self._resume(replay)

    # -- archives ----------------------------------------------------------------------
    def _match(self, archive: Mapping[str, Any]) -> None:
        bus, name = archive["EventSourceArn"], archive["ArchiveName"]
        if archive.get("EventPattern"):
            self._matchers.setdefault(bus, EventMatcher()).add_rule(name, archive["EventPattern"])
        else:
            self._unfiltered.setdefault(bus, set()).add(name)

    def _unmatch(self, archive: Mapping[str, Any]) -> None:
        bus, name = archive["EventSourceArn"], archive["ArchiveName"]
        if name in self._matchers.get(bus, ()):
            self._matchers[bus].remove_rule(name)
        self._unfiltered.get(bus, set()).discard(name)

    def _get(self, name: str) -> dict[str, Any]:
        archive = self._archives.get(name)
        if archive is None:
            raise ResourceNotFoundError(f"Archive {name} does not exist.")
        return archive

    def record(self, bus_arn: str, event: Mapping[str, Any]) -> None:
        """Stores ``event`` in every archive of the bus it matches."""
        matcher = self._matchers.get(bus_arn)
        names = set(self._unfiltered.get(bus_arn, ()))
        if matcher is not None and len(matcher):
            names |= matcher.matching_rules(event)
        if names:
            body = json.dumps(event)
            now = self._timers.clock.time()
            self._store.db.executemany(
                "INSERT INTO events (archive, time, size, body) VALUES (?, ?, ?, ?)",
                [(name, now, len(body.encode()), body) for name in sorted(names)],
            )

    def _purge(self, archive: Mapping[str, Any]) -> None:
        """Drops events older than RetentionDays (0: kept forever)."""
        days = archive.get("RetentionDays") or 0
        if days:
            cutoff = self._timers.clock.time() - timedelta(days=days).total_seconds()
            self._store.db.execute(
                "DELETE FROM events WHERE archive = ? AND time < ?", (archive["ArchiveName"], cutoff)
            )

    def create_archive(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name, source = request["ArchiveName"], request["EventSourceArn"]
        if not self._bus_exists(arns.bus_name(source)):
            raise ResourceNotFoundError(f"Event bus {arns.bus_name(source)} does not exist.")
        if name in self._archives:
            raise ResourceAlreadyExistsError(f"Archive {name} already exists.")
        if request.get("EventPattern"):
            compile_pattern(request["EventPattern"])
        archive = {
            "ArchiveName": name,
            "ArchiveArn": arns.events_arn(self._region, self._account, f"archive/{name}"),
            "EventSourceArn": source,
            "Description": request.get("Description"),
            "EventPattern": request.get("EventPattern"),
            "RetentionDays": request.get("RetentionDays", 0),
            "State": "ENABLED",
            "CreationTime": self._timers.clock.time(),
        }
        self._archives[name] = archive
        self._store.save("archives", name, archive)
        self._match(archive)
        return {"ArchiveArn": archive["ArchiveArn"], "State": "ENABLED", "CreationTime": _time(archive["CreationTime"])}

    def _summary(self, archive: Mapping[str, Any]) -> dict[str, Any]:
        self._purge(archive)
        count, size = self._store.db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM events WHERE archive = ?", (archive["ArchiveName"],)
        ).fetchone()
        return {
            "ArchiveName": archive["ArchiveName"],
            "EventSourceArn": archive["EventSourceArn"],
            "State": archive["State"],
            "RetentionDays": archive["RetentionDays"],
            "SizeBytes": size,
            "EventCount": count,
            "CreationTime": _time(archive["CreationTime"]),
        }

    def describe_archive(self, name: str) -> dict[str, Any]:
        archive = self._get(name)
        extra = {k: archive[k] for k in ("ArchiveArn", "Description", "EventPattern") if archive.get(k) is not None}
        return {**extra, **self._summary(archive)}

    def list_archives(self, request: Mapping[str, Any]) -> dict[str, Any]:
        prefix, source, state = _one_filter(request, "ListArchives")
        archives = [
            self._summary(a)
            for name, a in sorted(self._archives.items())
            if name.startswith(prefix or "") and source in (None, a["EventSourceArn"]) and state in (None, a["State"])
        ]
        items, token = page(archives, request.get("NextToken"), request.get("Limit"))
        return {"Archives": items, **({"NextToken": token} if token else {})}

    def update_archive(self, request: Mapping[str, Any]) -> dict[str, Any]:
        archive = self._get(request["ArchiveName"])
        if request.get("EventPattern"):
            compile_pattern(request["EventPattern"])
        self._unmatch(archive)
        for key in ("Description", "EventPattern", "RetentionDays"):
            if key in request:
                archive[key] = request[key]
        self._store.save("archives", archive["ArchiveName"], archive)
        self._match(archive)
        return {
            "ArchiveArn": archive["ArchiveArn"],
            "State": archive["State"],
            "CreationTime": _time(archive["CreationTime"]),
        }

    def delete_archive(self, name: str) -> dict[str, Any]:
        archive = self._get(name)
        self._unmatch(archive)
        del self._archives[name]
        self._store.delete("archives", name)
        self._store.db.execute("DELETE FROM events WHERE archive = ?", (name,))
        return {}

    # -- replays -----------------------------------------------------------------------
    def _replay_of(self, name: str) -> dict[str, Any]:
        replay = self._replays.get(name)
        if replay is None:
            raise ResourceNotFoundError(f"Replay {name} does not exist.")
        return replay

    def start_replay(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name, destination = request["ReplayName"], request["Destination"]
        if ":event-bus/" not in destination["Arn"]:
            raise ValidationError("Parameter Destination.Arn is not valid. Reason: Must contain an event bus ARN.")
        if not self._bus_exists(arns.bus_name(destination["Arn"])):
            raise ResourceNotFoundError(f"Event bus {arns.bus_name(destination['Arn'])} does not exist.")
        archive_name = request["EventSourceArn"].rsplit("/", 1)[-1]
        archive = self._archives.get(archive_name)
        if archive is None or archive["ArchiveArn"] != request["EventSourceArn"]:
            raise ValidationError(
                f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
            )
        if destination["Arn"] != archive["EventSourceArn"]:
            raise ValidationError(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        start, end = as_datetime(request["EventStartTime"]), as_datetime(request["EventEndTime"])
        if end <= start:
            raise ValidationError(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        if name in self._replays:
            raise ResourceAlreadyExistsError(f"Replay {name} already exists.")
        replay = {
            "ReplayName": name,
            "ReplayArn": arns.events_arn(self._region, self._account, f"replay/{name}"),
            "Description": request.get("Description"),
            "EventSourceArn": archive["ArchiveArn"],
            "Destination": dict(destination),
            "State": "STARTING",
            "EventStartTime": start.timestamp(),
            "EventEndTime": end.timestamp(),
            "ReplayStartTime": self._timers.clock.time(),
            "Cursor": 0,  # rowid of the last event replayed
        }
        self._replays[name] = replay
        self._store.save("replays", name, replay)
        self._purge(archive)
        self._timers.call_later(0, lambda: self._step(replay, archive))
        return {
            "ReplayArn": replay["ReplayArn"],
            "State": "STARTING",
            "ReplayStartTime": _time(replay["ReplayStartTime"]),
        }

    def _resume(self, replay: dict[str, Any]) -> None:
        """A replay the last process left unfinished goes on from the last step it saved (so the events of the
        step it was in are delivered again: at least once); one being cancelled ends CANCELLED, and one whose
        archive is gone FAILED."""
        if replay["State"] not in ("STARTING", "RUNNING", "CANCELLING"):
            return
        archive = self._archives.get(replay["EventSourceArn"].rsplit("/", 1)[-1])
        if replay["State"] == "CANCELLING" or archive is None:
            self._finish(replay, "CANCELLED" if replay["State"] == "CANCELLING" else "FAILED")
        else:
            self._timers.call_later(0, lambda: self._step(replay, archive))

    def _step(self, replay: dict[str, Any], archive: Mapping[str, Any]) -> None:
        """Replays the next few events; reschedules itself until the window is done or cancelled."""
        if replay["State"] == "CANCELLING":
            self._finish(replay, "CANCELLED")
            return
        replay["State"] = "RUNNING"
        rows = self._store.db.execute(
            "SELECT rowid, time, body FROM events WHERE archive = ? AND time >= ? AND time < ? AND rowid > ?"
            " ORDER BY rowid LIMIT ?",
            (archive["ArchiveName"], replay["EventStartTime"], replay["EventEndTime"], replay["Cursor"], REPLAY_STEP),
        ).fetchall()
        filter_arns = replay["Destination"].get("FilterArns")
        rules = frozenset(filter_arns) if filter_arns else None
        bus = arns.bus_name(replay["Destination"]["Arn"])
        for rowid, time, body in rows:
            self._replay(bus, {**json.loads(body), "replay-name": replay["ReplayName"]}, rules)
            replay["Cursor"] = rowid
            replay["EventLastReplayedTime"] = time
        if len(rows) < REPLAY_STEP:
            self._finish(replay, "COMPLETED")
        else:
            self._store.save("replays", replay["ReplayName"], replay)
            self._timers.call_later(0, lambda: self._step(replay, archive))

    def _finish(self, replay: dict[str, Any], state: str) -> None:
        replay["State"] = state
        replay["ReplayEndTime"] = self._timers.clock.time()
        self._store.save("replays", replay["ReplayName"], replay)

    def describe_replay(self, name: str) -> dict[str, Any]:
        replay = self._replay_of(name)
        keys = ("ReplayName", "ReplayArn", "Description", "State", "EventSourceArn", "Destination")
        out = {k: replay[k] for k in keys if replay.get(k) is not None}
        return {**out, **_times(replay)}

    def list_replays(self, request: Mapping[str, Any]) -> dict[str, Any]:
        prefix, source, state = _one_filter(request, "ListReplays")
        replays = [
            {"ReplayName": r["ReplayName"], "EventSourceArn": r["EventSourceArn"], "State": r["State"], **_times(r)}
            for name, r in sorted(self._replays.items())
            if name.startswith(prefix or "") and source in (None, r["EventSourceArn"]) and state in (None, r["State"])
        ]
        items, token = page(replays, request.get("NextToken"), request.get("Limit"))
        return {"Replays": items, **({"NextToken": token} if token else {})}

    def cancel_replay(self, name: str) -> dict[str, Any]:
        replay = self._replay_of(name)
        if replay["State"] not in ("STARTING", "RUNNING"):
            raise IllegalStatusError(f"Replay {name} is not in a valid state for this operation.")
        replay["State"] = "CANCELLING"
        self._store.save("replays", name, replay)
        return {"ReplayArn": replay["ReplayArn"], "State": "CANCELLING"}


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _times(replay: Mapping[str, Any]) -> dict[str, datetime]:
    keys = ("EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")
    return {k: _time(replay[k]) for k in keys if replay.get(k) is not None}


def _one_filter(request: Mapping[str, Any], operation: str) -> tuple[str | None, str | None, str | None]:
    chosen = (request.get("NamePrefix"), request.get("EventSourceArn"), request.get("State"))
    if sum(v is not None for v in chosen) > 1:
        raise ValidationError(
            f"At most one filter is allowed for {operation}. Use either : State, EventSourceArn, or NamePrefix."
        )
    return chosen
