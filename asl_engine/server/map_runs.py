"""Distributed Map runs: recorded from the history as it is written, served by ListMapRuns/DescribeMapRun.

The engine announces a run with a MapRunStarted event (whose previous events
are the Map's MapStateStarted and MapStateEntered, naming the state) and ends
it with MapRunSucceeded or MapRunFailed pointing back at it.  Each child
execution's outcome is kept in the store as it ends (``MapRunTracker`` is the
engine's ``MapRunItems``), which is what lets a resumed or redriven run skip
the items already done, and what DescribeMapRun counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from asl_engine.runtime.map_run_items import ItemOutcome, MapRunItems
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, resource_not_found
from asl_engine.server.pagination import paged
from asl_engine.store import ExecutionRecord, MapRunRecord, Store

_ENDINGS = {"MapRunSucceeded": "SUCCEEDED", "MapRunFailed": "FAILED"}


class MapRunTracker(MapRunItems):
    """Follows one execution's events and keeps its Map Runs, and their items' outcomes, in the store."""

    def __init__(self, store: Store, execution: ExecutionRecord) -> None:
        self.store = store
        self.execution = execution
        self._entered: dict[int, str] = {}  # MapStateEntered id -> state name
        self._started: dict[int, int] = {}  # MapStateStarted id -> its MapStateEntered id
        self._open: dict[int, MapRunRecord] = {}  # MapRunStarted id -> the run

    # -- the engine's MapRunItems
    def started(self, map_run_arn: str, total: int) -> None:
        run = next((r for r in self._open.values() if r.arn == map_run_arn), None)
        if run is not None and run.total != total:
            run.total = total
            self.store.put_map_run(run)

    def done(self, map_run_arn: str) -> dict[int, ItemOutcome]:
        return {index: ItemOutcome.from_doc(doc) for index, doc in self.store.map_run_items(map_run_arn).items()}

    def record(self, map_run_arn: str, index: int, outcome: ItemOutcome) -> None:
        self.store.put_map_run_item(map_run_arn, index, outcome.to_doc())

    def observe(self, event: dict[str, Any]) -> None:
        kind, event_id, previous = event["type"], event["id"], event["previousEventId"]
        if kind == "MapStateEntered":
            self._entered[event_id] = event["stateEnteredEventDetails"]["name"]
        elif kind == "MapStateStarted":
            self._started[event_id] = previous
        elif kind == "MapRunStarted":
            state = self._entered.get(self._started.get(previous, -1), "")
            run = MapRunRecord(arn=event["mapRunStartedEventDetails"]["mapRunArn"], execution_arn=self.execution.arn,
                               state_machine_arn=self.execution.state_machine_arn, start=event["timestamp"],
                               **_configuration(self.execution.definition, state))
            self._open[event_id] = run
            self.store.put_map_run(run)
        elif kind in _ENDINGS and previous in self._open:
            run = self._open.pop(previous)
            run.status, run.stop = _ENDINGS[kind], event["timestamp"]
            self.store.put_map_run(run)

    def follow(self, events: list[dict[str, Any]], skipped: set[int]) -> None:
        """Pick up the runs of a replayed history, whose stored events the engine does not write again.

        A run whose end a redrive dropped (``skipped``) runs again: RUNNING, with one more redrive
        (DescribeMapRun's ``redriveCount`` / ``redriveDate``, the date of the latest ExecutionRedriven).
        """
        redriven, running = None, {}  # MapRunStarted id -> ARN of the runs the replayed history leaves open
        for event in events:
            if event["type"] == "ExecutionRedriven":
                redriven = event["timestamp"]
            if event["id"] in skipped:
                continue
            if event["type"] == "MapRunStarted":
                running[event["id"]] = event["mapRunStartedEventDetails"]["mapRunArn"]
            elif event["type"] in _ENDINGS:
                running.pop(event["previousEventId"], None)
        for started, arn in running.items():
            run = self.store.get_map_run(arn)
            if run is None:
                continue
            if run.status != "RUNNING":
                run.status, run.stop = "RUNNING", None
                run.redrive_count, run.redrive_date = run.redrive_count + 1, redriven
                self.store.put_map_run(run)
            self._open[started] = run

    def finish(self, map_runs: list[dict[str, Any]], now: float) -> None:
        """Item counts from the ended execution; runs still open were cut short (aborted)."""
        for run in self._open.values():
            run.status, run.stop = "ABORTED", now
            self.store.put_map_run(run)
        self._open.clear()
        for summary in map_runs:
            run = self.store.get_map_run(summary["mapRunArn"])
            if run is not None:
                run.total, run.failed = summary["total"], summary["failures"]
                self.store.put_map_run(run)


def _configuration(definition: str, state: str) -> dict[str, Any]:
    """MaxConcurrency and the tolerated failures the Map state declares (0 when unset or given by a path)."""
    found = next((s for s in _states(json.loads(definition)) if s[0] == state), None)
    fields = found[1] if found else {}

    def number(key: str, kind: type) -> Any:
        value = fields.get(key)
        return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else kind(0)

    return {"max_concurrency": number("MaxConcurrency", int),
            "tolerated_failure_percentage": number("ToleratedFailurePercentage", float),
            "tolerated_failure_count": number("ToleratedFailureCount", int)}


def _states(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (name, state) of a definition, nested branches and processors included."""
    if not isinstance(node, dict):
        return
    for name, state in (node.get("States") or {}).items():
        if isinstance(state, dict):
            yield name, state
            for inner in (state.get("ItemProcessor"), state.get("Iterator"), *(state.get("Branches") or [])):
                yield from _states(inner)


class MapRunActions:
    """ListMapRuns and DescribeMapRun; UpdateMapRun cannot reach into a running Map yet."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list_map_runs(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = params["executionArn"]
        if self.store.get_execution(arn) is None:
            raise ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return paged("mapRuns", self.store.list_map_runs(arn), params, scope=f"mapRuns:{arn}", render=_item)

    def describe_map_run(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        run = self._run(params["mapRunArn"])
        counts = _counts(run, self.store.map_run_item_counts(run.arn))
        out = {"mapRunArn": run.arn, "executionArn": run.execution_arn, "status": run.status,
               "startDate": run.start, "maxConcurrency": run.max_concurrency,
               "toleratedFailurePercentage": run.tolerated_failure_percentage,
               "toleratedFailureCount": run.tolerated_failure_count, "itemCounts": counts,
               "executionCounts": counts, "redriveCount": run.redrive_count}
        if run.stop is not None:
            out["stopDate"] = run.stop
        if run.redrive_date is not None:
            out["redriveDate"] = run.redrive_date
        return out

    def update_map_run(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self._run(params["mapRunArn"])
        raise ApiError("NotImplemented", "asl serve cannot change a running Map Run yet")

    def _run(self, arn: str) -> MapRunRecord:
        run = self.store.get_map_run(arn)
        if run is None:
            raise resource_not_found(arn)
        return run


def _counts(run: MapRunRecord, ended: dict[str, int]) -> dict[str, int]:
    """DescribeMapRun's itemCounts (and executionCounts: one item per child) from the items' kept outcomes.

    Across redrives they count every item once, by its latest outcome: a child that succeeded before a
    redrive stays succeeded, one that a redrive runs again counts as failed until it ends again.  The
    items not ended are running while the run is, aborted once it stopped without them.  A run kept by
    an asl-engine older than the item rows has only the totals the execution reported when it ended.
    """
    if not ended and run.status in ("SUCCEEDED", "FAILED"):
        ended = {"SUCCEEDED": run.total - run.failed, "FAILED": run.failed}
    succeeded, failed = ended.get("SUCCEEDED", 0), ended.get("FAILED", 0)
    rest = max(0, run.total - succeeded - failed)
    return {"pending": 0, "running": rest if run.status == "RUNNING" else 0, "succeeded": succeeded,
            "failed": failed, "timedOut": 0, "aborted": 0 if run.status == "RUNNING" else rest,
            "total": run.total, "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0}


def _item(run: MapRunRecord) -> dict[str, Any]:
    out = {"executionArn": run.execution_arn, "mapRunArn": run.arn, "stateMachineArn": run.state_machine_arn,
           "startDate": run.start}
    if run.stop is not None:
        out["stopDate"] = run.stop
    return out
