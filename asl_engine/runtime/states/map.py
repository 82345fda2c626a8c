"""Map: runs the ItemProcessor once per item, inline or as a distributed Map Run.

History chaining follows AWS's recordings: an iteration starts after the
previous iteration's last event, its Succeeded/Failed event does not move the
chain, and the Map's own Succeeded/Exited events follow the latest event.
"""

from __future__ import annotations

import hashlib
import random
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, NoReturn

from asl_engine import isotime
from asl_engine.errors import StateFailure, StatesError
from asl_engine.integrations.map_io.result_writer import ChildExecution
from asl_engine.query.jsonpath import PathNotFound, reference_conflict
from asl_engine.query.scope import Scope
from asl_engine.runtime.concurrency import run_adjustable, run_all
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.history import History
from asl_engine.runtime.interpreter import run_branch
from asl_engine.runtime.map_run_controls import MapRunLevers
from asl_engine.runtime.map_run_items import ItemOutcome, child_execution_arn, child_name
from asl_engine.runtime.services import Services
from asl_engine.runtime.states.base import Outcome, RecoverableState
from asl_engine.runtime.states.fields import read_count
from asl_engine.runtime.variables import inner_scope

INLINE_CONCURRENCY = 40  # AWS runs at most 40 inline iterations at once
DISTRIBUTED_CONCURRENCY = 10_000


@dataclass(slots=True, kw_only=True)
class MapSettings:
    """The compiled Map fields besides the data flow (a misspelt field is a TypeError, not a silent None)."""

    items_path: Any = None
    item_selector: Any = None
    max_concurrency: Any = None
    max_concurrency_path: Any = None
    tolerated_count: Any = None
    tolerated_count_path: Any = None
    tolerated_percentage: Any = None
    tolerated_percentage_path: Any = None
    distributed: bool = False
    batcher: Any = None
    reader: Any = None
    writer: Any = None


class MapState(RecoverableState):
    __slots__ = ("processor", "settings")

    def __init__(self, name: str, next_name: str | None, io: Any, retriers: tuple, catchers: tuple,
                 processor: Any, settings: MapSettings) -> None:
        super().__init__(name, "Map", next_name, io, retriers, catchers)
        self.processor = processor
        self.settings = settings

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        return await self.recover(frame, raw, lambda: self._attempt(frame, raw))

    async def _attempt(self, frame: Frame, raw: Any) -> Outcome:
        io, settings = self.io, self.settings
        effective = io.effective_input(frame, raw)
        if settings.reader is not None:  # the Map Run reads the items (recorded: MapStateStarted has length 0)
            frame.emit("MapStateStarted", {"length": 0})
            results, resume = await self._map_run(frame, effective, None)
        else:
            inputs = self._inputs(frame, effective, self._items(frame, effective))
            frame.emit("MapStateStarted", {"length": len(inputs)})
            if settings.distributed:
                results, resume = await self._map_run(frame, effective, inputs)
            else:
                results = await self._inline(frame, effective, inputs)
                resume = len(frame.history)
        frame.prev = len(frame.history)
        frame.emit("MapStateSucceeded")
        frame.prev = resume  # recorded: the exit follows the last iteration's event, or MapRunStarted
        return self.next, io.output(frame, raw, results)

    def _items(self, frame: Frame, effective: Any) -> list:
        path = self.settings.items_path
        if path is None or path.text == "$":
            items = effective
        else:
            try:
                items = path.find(frame.scope(effective))
            except PathNotFound as e:
                raise reference_conflict(e.step if e.step is not None else path.text, effective) from None
        if not isinstance(items, list):
            raise StateFailure("States.Runtime", f"The ItemsPath field '{path.text if path else '$'}' does not "
                                                 "reference an array value")
        return items

    def _inputs(self, frame: Frame, effective: Any, items: list) -> list:
        """The iterations' inputs: the items, batched by the ItemBatcher, through the ItemSelector."""
        if self.settings.batcher is not None:
            items = self.settings.batcher(frame, effective, items)
        return self._item_inputs(frame, effective, items)

    def _item_inputs(self, frame: Frame, effective: Any, items: list) -> list:
        """Each iteration's input: the item, or ItemSelector evaluated with ``$$.Map.Item``.

        The context object is built once for the Map state and extended per
        item, and only if the selector reads it.
        """
        selector = self.settings.item_selector
        if selector is None:
            return items
        base: dict | None = None

        def item_context(index: int, item: Any) -> dict:
            nonlocal base
            if base is None:
                base = frame.context()
            return {**base, "Map": {"Item": {"Index": index, "Value": item}}}

        variables, services = frame.variables, frame.run.services
        return [selector.evaluate(Scope(effective, partial(item_context, i, item), variables), services)
                for i, item in enumerate(items)]

    def _limit(self, frame: Frame, effective: Any, default: int) -> int:
        settings = self.settings
        limit = settings.max_concurrency
        if settings.max_concurrency_path is not None:
            limit = read_count(settings.max_concurrency_path, "MaxConcurrencyPath", frame.scope(effective),
                               whole=False)
        return limit or default

    async def _inline(self, frame: Frame, effective: Any, inputs: list) -> list:
        cursor = [frame.prev]
        failed_at = [frame.prev]
        name = self.name

        async def one(i: int) -> Any:
            child = frame.child({"Index": i, "Value": inputs[i]}, variables=inner_scope(frame.variables), index=i)
            child.prev = cursor[0]  # an iteration starts after the previous iteration's last event (recorded)
            child.emit("MapIterationStarted", {"name": name, "index": i})
            try:
                result = await run_branch(child, self.processor, inputs[i])
            except StatesError:
                failed_at[0] = child.prev
                child.emit("MapIterationFailed", {"name": name, "index": i})
                raise
            inner_last = child.prev
            child.emit("MapIterationSucceeded", {"name": name, "index": i})
            cursor[0] = inner_last
            return result

        try:
            return await run_all(len(inputs), one, self._limit(frame, effective, INLINE_CONCURRENCY))
        except StatesError:
            frame.prev = failed_at[0]
            frame.emit("MapStateFailed")
            raise

    async def _map_run(self, frame: Frame, effective: Any, inputs: list | None) -> tuple[Any, int]:
        """DISTRIBUTED mode: each item is a child execution with its own history; failures are tolerated
        up to ToleratedFailureCount/Percentage. ``inputs`` is None when the ItemReader reads them.

        Each child's outcome is recorded as it ends (``run.map_items``); a Map Run started again by a
        resume or a redrive takes the recorded ones as done and runs only the rest (see ``_child``).
        """
        run = frame.run
        map_run = run.state_machine_arn.replace(":stateMachine:", ":mapRun:")
        # AWS names a Map Run <state machine>/<uuid>:<uuid> (recorded: the first part is a uuid, not the state)
        map_run_arn = f"{map_run}/{run.services.uuid4()}:{run.services.uuid4()}"
        started = frame.emit("MapRunStarted", {"mapRunArn": map_run_arn})
        if inputs is None:
            try:
                inputs = self._inputs(frame, effective, await self.settings.reader.read(frame, effective))
            except StatesError as e:
                _run_failed(frame, e)
        attempt = run.redrive()[0]  # the redrive this run of the children belongs to
        items = run.map_items
        items.started(map_run_arn, len(inputs))
        histories: list[History] = []  # of the children run now
        child = partial(self._child, frame, map_run_arn, inputs, attempt, items.done(map_run_arn), histories)
        limit = self._limit(frame, effective, DISTRIBUTED_CONCURRENCY)
        with run.resources.map_run_controls.running(map_run_arn, limit) as levers:  # UpdateMapRun's
            outcomes: list[ItemOutcome] = await run_adjustable(len(inputs), child, levers.concurrency)
            failures = sum(1 for o in outcomes if not o.succeeded)
            run.map_runs.append({"mapRunArn": map_run_arn, "executions": histories, "failures": failures,
                                 "total": len(inputs)})
            writer = self.settings.writer
            if writer is None:
                results: Any = [o.output if o.succeeded else {"Error": o.error, "Cause": o.cause} for o in outcomes]
            else:
                records = [ChildExecution(inputs[i], _time(o.start), _time(o.stop), output=o.output, error=o.error,
                                          cause=o.cause) for i, o in enumerate(outcomes)]
                try:
                    results = await writer.result(frame, effective, map_run_arn, records)
                except StatesError as e:
                    _run_failed(frame, e)
            if failures and self._exceeds_tolerance(frame, effective, failures, len(inputs), levers):
                _run_failed(frame, StatesError("States.ExceedToleratedFailureThreshold",
                                               "The specified tolerated failure threshold was exceeded"))
        frame.emit("MapRunSucceeded")
        return results, started

    async def _child(self, frame: Frame, map_run_arn: str, inputs: list, attempt: int,
                     done: dict[int, ItemOutcome], histories: list[History], i: int) -> ItemOutcome:
        """The outcome of item ``i``'s child execution: recorded before, or from running it now.

        A recorded success is final; so is a recorded failure of this attempt (it ended before a
        restart), while one of an earlier attempt is what a redrive runs again.  A child runs with
        randomness of its own, drawn from the Map Run, the item and the attempt, so its name is the same
        in every attempt while its task tokens are new in each.
        """
        prior = done.get(i)
        if prior is not None and (prior.succeeded or prior.redrive == attempt):
            return prior
        run = frame.run
        history = History(limit=run.history.limit)
        histories.append(history)
        child_run = run.child_execution(_ChildServices(_digest(map_run_arn, i, attempt)), history)
        child = Frame(child_run, 0, {}, {"Index": i, "Value": inputs[i]}, history)  # no outer variables
        name = child_name(map_run_arn, i)  # $$.Execution is the item's own
        clock = run.clock
        redrives = 0 if prior is None else prior.redrives + 1
        with run.replay.running_live() if run.replay is not None else nullcontext():  # no stored history to replay
            start = clock.time()
            run.map_items.begin(map_run_arn, i, inputs[i], start, redrives)  # listed from its start
            child.execution = {**run.context_execution, "Id": child_execution_arn(map_run_arn, name), "Name": name,
                               "Input": inputs[i], "StartTime": isotime.millis(_time(start))}
            if redrives:  # only a STANDARD parent is redriven, and it has a RedriveCount
                child.execution.update(RedriveCount=redrives, RedriveTime=isotime.millis(_time(start)))
            try:
                result = await run_branch(child, self.processor, inputs[i])
            except StatesError as e:
                outcome = ItemOutcome(False, start, clock.time(), attempt, error=e.error, cause=e.cause,
                                      redrives=redrives)
            else:
                outcome = ItemOutcome(True, start, clock.time(), attempt, output=result, redrives=redrives)
        run.map_items.record(map_run_arn, i, outcome)
        return outcome

    def _exceeds_tolerance(self, frame: Frame, effective: Any, failed: int, total: int,
                           levers: MapRunLevers | None = None) -> bool:
        """The declared thresholds, each replaced by an UpdateMapRun's where one was made (``levers``)."""
        s = self.settings
        count = s.tolerated_count
        if s.tolerated_count_path is not None:
            count = read_count(s.tolerated_count_path, "ToleratedFailureCountPath", frame.scope(effective),
                               whole=False)
        percentage = s.tolerated_percentage
        if s.tolerated_percentage_path is not None:
            percentage = read_count(s.tolerated_percentage_path, "ToleratedFailurePercentagePath",
                                    frame.scope(effective), whole=False)
        if levers is not None and levers.tolerated_count is not None:
            count = levers.tolerated_count
        if levers is not None and levers.tolerated_percentage is not None:
            percentage = levers.tolerated_percentage
        if count is None and percentage is None:
            return True
        if count is not None and failed <= count:
            return False
        return not (percentage is not None and total and failed * 100 / total <= percentage)


def _digest(*parts: Any) -> bytes:
    """Random bytes drawn from ``parts`` alone (the same in every process, unlike ``hash``)."""
    return hashlib.sha256(repr(parts).encode()).digest()


class _ChildServices(Services):
    """A child execution's randomness, seeded from a digest; its generator is made at its first draw.

    Most children of a large Map draw little or nothing, and seeding a generator costs more than
    running a Pass state.
    """

    def __init__(self, seed: bytes) -> None:  # no super().__init__: ``_random`` comes on demand
        self._seed = seed

    def __getattr__(self, name: str) -> Any:
        if name != "_random":
            raise AttributeError(name)
        self._random = random.Random(self._seed)
        return self._random


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _run_failed(frame: Frame, failure: StatesError) -> NoReturn:
    """The Map Run failed (items unreadable, results unwritable, too many failures): so does the Map."""
    details = {"error": failure.error}
    if failure.cause is not None:
        details["cause"] = failure.cause
    frame.emit("MapRunFailed", details)
    frame.emit("MapStateFailed")
    raise failure


def batch_items(max_items: int | None, max_items_path: Any, max_bytes: int | None, max_bytes_path: Any,
                batch_input: Any):
    """An ItemBatcher: groups items into ``{"Items": [...], "BatchInput": ...}`` objects; a limit given by a
    path is read when the Map runs."""
    def batcher(frame: Frame, effective: Any, items: list) -> list:
        scope = frame.scope(effective)
        max_items_ = read_count(max_items_path, "MaxItemsPerBatchPath", scope) if max_items_path else max_items
        max_bytes_ = read_count(max_bytes_path, "MaxInputBytesPerBatchPath", scope) if max_bytes_path else max_bytes
        batches, current, size = [], [], 0
        meter = frame.run.payload_meter
        for item in items:
            item_size = meter.size(item) if max_bytes_ else 0
            if current and ((max_items_ and len(current) >= max_items_)
                            or (max_bytes_ and size + item_size > max_bytes_)):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item_size
        if current:
            batches.append(current)
        extra = batch_input.evaluate(scope, frame.run.services) if batch_input else None
        return [{"Items": b, **({"BatchInput": extra} if batch_input else {})} for b in batches]
    return batcher
