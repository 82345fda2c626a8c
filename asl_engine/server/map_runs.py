"""Distributed Map runs: recorded from the history as it is written, served by ListMapRuns/DescribeMapRun.

The engine announces a run with a MapRunStarted event (whose previous events
are the Map's MapStateStarted and MapStateEntered, naming the state) and ends
it with MapRunSucceeded or MapRunFailed pointing back at it.  Each child
execution's outcome is kept in the store as it ends (``MapRunTracker`` is the
engine's ``MapRunItems``), which is what lets a resumed or redriven run skip
the items already done, and what DescribeMapRun counts; each child's start and
input are kept as it starts, so that ListExecutions(mapRunArn) and
DescribeExecution show it while it runs.  An UpdateMapRun is kept in the Map
Run's record and applied again whenever the run registers its levers anew
(resumed after a restart, or redriven).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from asl_engine.runtime.history import dumps
from asl_engine.runtime.map_run_controls import MapRunControls
from asl_engine.runtime.map_run_items import ItemOutcome, MapRunItems, child_execution_arn, child_name
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, invalid_arn, resource_not_found, validation
from asl_engine.server.pagination import paged
from asl_engine.store import ExecutionRecord, MapRunRecord, Store

_ENDINGS = {"MapRunSucceeded": "SUCCEEDED", "MapRunFailed": "FAILED"}
_MAP_RUN = re.compile(r"arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:mapRun:[^:/]+/[^:/]+:[^:/]+")
_CHILD = re.compile(r"(?P<prefix>arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):execution:(?P<machine>[^:/]+)/"
                    r"(?P<label>[^:/]+):(?P<name>[^:/]+)")


class MapRunTracker(MapRunItems):
    """Follows one execution's events and keeps its Map Runs, and their items' outcomes, in the store."""

    def __init__(self, store: Store, execution: ExecutionRecord) -> None:
        self.store = store
        self.execution = execution
        self._entered: dict[int, str] = {}  # MapStateEntered id -> state name
        self._started: dict[int, int] = {}  # MapStateStarted id -> its MapStateEntered id
        # MapRunStarted id -> the run's ARN; its record is read again before each change, so that what
        # UpdateMapRun wrote meanwhile (limits, updates) is kept
        self._open: dict[int, str] = {}
        self._starts: dict[str, list[tuple[int, float, int, str]]] | None = None  # not written yet (``begin``)

    # -- the engine's MapRunItems
    def started(self, map_run_arn: str, total: int) -> None:
        run = self.store.get_map_run(map_run_arn) if map_run_arn in self._open.values() else None
        if run is not None and run.total != total:
            run.total = total
            self.store.put_map_run(run)

    def done(self, map_run_arn: str) -> dict[int, ItemOutcome]:
        return {index: ItemOutcome.from_doc(doc) for index, doc in self.store.map_run_items(map_run_arn).items()}

    def record(self, map_run_arn: str, index: int, outcome: ItemOutcome) -> None:
        self.store.put_map_run_item(map_run_arn, index, outcome.to_doc())

    def begin(self, map_run_arn: str, index: int, value: Any, start: float, redrives: int) -> None:
        """Keep the child's start and input: the children started in one turn of the loop in one write, at
        the start of the next turn (a Map Run starts up to MaxConcurrency children at once)."""
        row = (index, start, redrives, _text(value))
        if self._starts is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # off a loop: at once
                self.store.put_map_run_starts(map_run_arn, [row])
                return
            self._starts = {}
            loop.call_soon(self._write_starts)
        self._starts.setdefault(map_run_arn, []).append(row)

    def _write_starts(self) -> None:
        starts, self._starts = self._starts or {}, None
        for map_run_arn, rows in starts.items():
            self.store.put_map_run_starts(map_run_arn, rows)

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
            self._open[event_id] = run.arn
            self.store.put_map_run(run)
        elif kind in _ENDINGS and previous in self._open:
            ended = self.store.get_map_run(self._open.pop(previous))
            if ended is not None:
                ended.status, ended.stop = _ENDINGS[kind], event["timestamp"]
                self.store.put_map_run(ended)

    def follow(self, events: list[dict[str, Any]], skipped: set[int]) -> None:
        """Pick up the runs of a replayed history, whose stored events the engine does not write again.

        A run whose end a redrive dropped (``skipped``) runs again: RUNNING, with one more redrive
        (DescribeMapRun's ``redriveCount`` / ``redriveDate``, the date of the latest ExecutionRedriven).
        The starts of its children that had not ended (in flight at a crash, or aborted) are forgotten:
        those children run again from their start, and are listed again once they do.
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
            self._open[started] = arn
            ended = self.store.map_run_items(arn)
            cut = [i for i, (_, redrives) in self.store.map_run_starts(arn).items()
                   if i not in ended or redrives > ended[i].get("redrives", 0)]
            if cut:
                self.store.drop_map_run_starts(arn, cut)

    def finish(self, map_runs: list[dict[str, Any]], now: float) -> None:
        """Item counts from the ended execution; runs still open were cut short (aborted)."""
        self._write_starts()
        for arn in self._open.values():
            run = self.store.get_map_run(arn)
            if run is not None:
                run.status, run.stop = "ABORTED", now
                self.store.put_map_run(run)
        self._open.clear()
        for summary in map_runs:
            run = self.store.get_map_run(summary["mapRunArn"])
            if run is not None:
                run.total, run.failed = summary["total"], summary["failures"]
                self.store.put_map_run(run)


def _text(value: Any) -> str:
    """A child's input as JSON text: compact, as ``dumps`` writes it (orjson, for 10,000 children at a time;
    the json module for what orjson refuses, integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return dumps(value)


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
    """ListMapRuns, DescribeMapRun and UpdateMapRun (through the engine's ``MapRunControls``)."""

    def __init__(self, store: Store, controls: MapRunControls) -> None:
        self.store = store
        self.controls = controls
        controls.recorded = self._recorded  # a Map Run resumed or redriven runs with its updates

    def _recorded(self, map_run_arn: str) -> dict[str, Any]:
        run = self.store.get_map_run(map_run_arn)
        return {} if run is None else run.updates

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
        """Changes a Map Run's concurrency and tolerated failures: kept in its record and, while it runs,
        applied to it (to the children not yet started, and to the verdict on its failures)."""
        run = self._run(params["mapRunArn"])
        changes = {key: params[key] for key in ("maxConcurrency", "toleratedFailurePercentage",
                                                 "toleratedFailureCount") if key in params}
        if not changes:  # wording not recorded from AWS
            raise validation("At least one of maxConcurrency, toleratedFailurePercentage and toleratedFailureCount "
                             "must be provided")
        if run.status != "RUNNING":  # wording not recorded from AWS
            raise validation(f"Map Run {run.arn} is not running: its status is {run.status}")
        if "maxConcurrency" in changes:
            run.max_concurrency = changes["maxConcurrency"]
        if "toleratedFailurePercentage" in changes:
            run.tolerated_failure_percentage = changes["toleratedFailurePercentage"] = \
                float(changes["toleratedFailurePercentage"])
        if "toleratedFailureCount" in changes:
            run.tolerated_failure_count = changes["toleratedFailureCount"]
        run.updates = {**run.updates, **changes}  # what a resumed or redriven run applies again
        self.store.put_map_run(run)
        levers = self.controls.get(run.arn)
        if levers is not None:
            levers.update(changes)
        return {}

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


class MapRunChildren:
    """A Map Run's child executions as ListExecutions(mapRunArn) and DescribeExecution show them.

    The store keeps each child's start (with its input) as it starts and its outcome as it ends, one row
    of each per item (a child's own history is not kept): a child is listed RUNNING from its start, with
    its stopDate and output or error once it ends, ABORTED if its Map Run stopped without it.  A child a
    redrive runs again shows its earlier outcome until it starts again (a successful one never does).
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListExecutions with a ``mapRunArn``: newest first, with statusFilter and redriveFilter applied."""
        arn = params["mapRunArn"]
        if _MAP_RUN.fullmatch(arn) is None:
            raise invalid_arn(arn)
        run = self.store.get_map_run(arn)
        if run is None:
            raise resource_not_found(arn)
        ended, starts = self.store.map_run_items(arn), self.store.map_run_starts(arn)
        children = [_child(run, index, ended.get(index), starts.get(index)) for index in ended.keys() | starts.keys()]
        status, redrive = params.get("statusFilter"), params.get("redriveFilter")
        if status is not None:
            children = [c for c in children if c["status"] == status]
        if redrive is not None:
            children = [c for c in children if (c["redriveCount"] > 0) == (redrive == "REDRIVEN")]
        children.sort(key=lambda c: (c["startDate"], c["name"]), reverse=True)
        return paged("executions", children, params, scope=f"mapRunExecutions:{arn}:{status}:{redrive}")

    def describe(self, arn: str) -> dict[str, Any] | None:
        """DescribeExecution of a child execution ARN; None if ``arn`` names no child that started.

        The ARN names the state machine and the run's label but not the parent execution, so the runs of
        that machine's executions are searched for the label, and the run's items for the child's name.
        """
        match = _CHILD.fullmatch(arn)
        if match is None:
            return None
        machine = f"{match['prefix']}:stateMachine:{match['machine']}"
        runs = f"{match['prefix']}:mapRun:{match['machine']}/{match['label']}:"
        for execution in self.store.list_executions(machine):
            for run in self.store.list_map_runs(execution.arn):
                if not run.arn.startswith(runs):
                    continue
                starts = self.store.map_run_starts(run.arn)
                index = next((i for i in starts if child_name(run.arn, i) == match["name"]), None)
                if index is None:  # ended before starts were kept (a store older than them)
                    index = next((i for i in self.store.map_run_items(run.arn)
                                  if child_name(run.arn, i) == match["name"]), None)
                if index is not None:
                    doc = self.store.map_run_item(run.arn, index)
                    return _described(_child(run, index, doc, starts.get(index)), doc,
                                      self.store.map_run_input(run.arn, index))
        return None


def _child(run: MapRunRecord, index: int, doc: dict[str, Any] | None,
           started: tuple[float, int] | None) -> dict[str, Any]:
    """The fields ListExecutions and DescribeExecution share for the child that ran item ``index``.

    ``doc`` is its kept outcome, ``started`` its kept (start, redrive count): a start later than the
    outcome (a redrive's, or a first one not ended yet) is a child running now, or aborted if its run is
    no longer running.  Its state machine is the run's labelled one (``...:stateMachine:<machine>/<label>``),
    as AWS shows a child's; each child processes one item (an ItemBatcher's batch is not counted item by item).
    """
    name = child_name(run.arn, index)
    out: dict[str, Any] = {"executionArn": child_execution_arn(run.arn, name),
                           "stateMachineArn": run.arn.replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0],
                           "name": name, "mapRunArn": run.arn, "itemCount": 1}
    if started is not None and (doc is None or started[1] > doc.get("redrives", 0)):
        out |= {"status": "RUNNING" if run.status == "RUNNING" else "ABORTED", "startDate": started[0],
                "redriveCount": started[1]}
        if run.status != "RUNNING" and run.stop is not None:
            out["stopDate"] = run.stop
    else:
        assert doc is not None
        out |= {"status": doc["status"], "startDate": doc["start"], "stopDate": doc["stop"],
                "redriveCount": doc.get("redrives", 0)}
    if out["redriveCount"]:  # a redriven child starts again when the redrive runs it (its RedriveTime)
        out["redriveDate"] = out["startDate"]
    return out


def _described(child: dict[str, Any], doc: dict[str, Any] | None, text: str | None) -> dict[str, Any]:
    """DescribeExecution of a child: its input (kept from its start; none for a child that ended before
    starts were kept) and, once it ended, its output or its error and cause."""
    out = {k: v for k, v in child.items() if k != "itemCount"}
    if text is not None:
        out |= {"input": text, "inputDetails": {"included": True}}
    if child["status"] == "SUCCEEDED" and doc is not None:
        out |= {"output": dumps(doc.get("output")), "outputDetails": {"included": True}}
    elif child["status"] == "FAILED" and doc is not None:
        out |= {k: doc[k] for k in ("error", "cause") if doc.get(k) is not None}
    return out
