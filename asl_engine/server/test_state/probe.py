"""The state under test, run by the engine's own state code with an observer around it.

``Probe`` takes the compiled state's place in the plan.  It hands the state a
``FrameView`` (the frame, with the context object TestState shows) and a
``Recording`` data flow that notes every intermediate value as the state's
own code computes it, so nothing of the data flow is redone here.  It takes
the state's Retry and Catch over: a retrier is judged, not waited for
(``stateConfiguration.retrierRetryCount`` retries are spent already), and a
Catch runs through the state's own data flow.  Map and Parallel run only their
own input and output processing around the mocked result, as AWS tests them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from asl_engine.errors import HeartbeatTimedOut, StatesError
from asl_engine.query.scope import Scope
from asl_engine.runtime.dataflow import merge, select
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.retry import matches
from asl_engine.runtime.states.base import CompiledState, Outcome, RecoverableState
from asl_engine.runtime.states.fields import read_count
from asl_engine.server.test_state.request import StateTestRequest

_THRESHOLD = ("States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded")


class FrameView:
    """A frame whose context object is the one the test asks for; everything else is the frame's own."""

    __slots__ = ("_context", "_frame")

    def __init__(self, frame: Frame, context: Callable[[Frame], dict]) -> None:
        object.__setattr__(self, "_frame", frame)
        object.__setattr__(self, "_context", context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._frame, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._frame, name, value)

    def context(self) -> dict:
        return self._context(self._frame)

    def scope(self, data: Any) -> Scope:
        return Scope(data, self.context, self._frame.variables)


class Recording:
    """The state's data flow (JSONPath or JSONata), noting each stage under the name inspectionData gives it."""

    __slots__ = ("arguments", "data", "inner", "jsonata", "keep_result")

    def __init__(self, inner: Any, data: dict[str, Any], jsonata: bool, arguments: bool, keep_result: bool) -> None:
        self.inner = inner
        self.data = data
        self.jsonata = jsonata
        self.arguments = arguments  # JSONata: whether afterArguments is shown
        self.keep_result = keep_result  # whether the value handed to the output stage is the state's ``result``

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def effective_input(self, frame: Any, raw: Any) -> Any:
        value = self.inner.effective_input(frame, raw)
        if not self.jsonata:
            self.data["afterInputPath"] = value
        return value

    def task_input(self, frame: Any, effective: Any) -> Any:
        value = self.inner.task_input(frame, effective)
        if not self.jsonata:
            self.data["afterParameters"] = value
        elif self.arguments:
            self.data["afterArguments"] = value
        return value

    def output(self, frame: Any, raw: Any, result: Any) -> Any:
        if self.keep_result:
            self.data["result"] = result
        if self.jsonata:
            return self.inner.output(frame, raw, result)
        selected = self.inner.selected(frame, result)
        self.data["afterResultSelector"] = selected
        merged = merge(self.inner.result_path, raw, selected)
        self.data["afterResultPath"] = merged
        return select(self.inner.output_path, frame, merged)


class Probe(CompiledState):
    """Runs the state under test once and remembers how it ended: where it went, which handler took its error."""

    __slots__ = ("assigned", "catchers", "data", "errors", "execution", "failure", "inner", "request", "retriable",
                 "retriers", "taken")

    def __init__(self, inner: CompiledState, request: StateTestRequest, execution: dict[str, Any]) -> None:
        super().__init__(inner.name, request.type, inner.next, inner.io)
        self.entered_type, self.exited_type = inner.entered_type, inner.exited_type
        self.inner = inner
        self.request = request
        self.execution = execution  # $$.Execution when the request gives no context
        self.data: dict[str, Any] = {}  # inspectionData's values, as Python values
        self.errors: dict[str, int] = {}  # inspectionData.errorDetails
        self.retriers: tuple = ()
        self.catchers: tuple = ()
        if isinstance(inner, RecoverableState):
            self.retriers, self.catchers = inner.retriers, inner.catchers
            inner.retriers, inner.catchers = (), ()
        if inner.io is not None:
            kind = request.type
            inner.io = Recording(inner.io, self.data, request.jsonata,
                                 arguments=kind == "Task" or "Arguments" in request.state,
                                 keep_result=kind == "Task" or (kind == "Pass" and "Result" in request.state))
        self.taken: str | None = None
        self.failure: StatesError | None = None
        self.retriable = False
        self.assigned: dict[str, Any] | None = None

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        request = self.request
        self.data["input"] = raw
        if request.type == "Fail" and not request.jsonata:
            self.data["afterInputPath"] = raw  # a Fail state has no InputPath: AWS shows the input again
        frame.variables.update(request.variables)  # type: ignore[attr-defined]  # the top level's own dict
        view: Any = FrameView(frame, self._context)
        try:
            flow = {"Map": self._map, "Parallel": self._parallel}.get(request.type)
            if flow is not None:
                view.retry_count = 0  # as the state's own attempt sets it ($$.State.RetryCount)
                next_name, output = await flow(view, raw)
            else:
                next_name, output = await self.inner.execute(view, raw)
        except StatesError as failure:
            next_name, output = self._handle(view, raw, frame.located(failure))
        self.taken = next_name
        self.assigned = frame.assigned
        return None, output  # the run ends here: the next state is reported, not entered

    def _handle(self, view: Any, raw: Any, error: StatesError) -> Outcome:
        """AWS's judgement of an error: the first matching retrier retries it unless its attempts are spent;
        then the first matching catcher takes it; else the state fails."""
        self.failure = error
        heartbeat = isinstance(error, HeartbeatTimedOut)
        for index, retrier in enumerate(self.retriers):
            if matches(retrier.error_equals, error.error, heartbeat):
                self.errors["retryIndex"] = index
                if self.request.retried < retrier.max_attempts:
                    self.errors["retryBackoffIntervalSeconds"] = int(retrier.delay(self.request.retried, 1.0))
                    self.retriable = True
                    raise error
                break
        for index, catcher in enumerate(self.catchers):
            if matches(catcher.error_equals, error.error, heartbeat):
                self.errors["catchIndex"] = index
                error_doc = {"Error": error.error, "Cause": error.cause}
                return catcher.next, self.inner.io.error_output(view, raw, error_doc, catcher)
        raise error

    def _context(self, frame: Frame) -> dict:
        request = self.request
        if request.context is not None:
            return request.context
        context = frame.context()
        context["Execution"] = self.execution
        if request.in_map:  # AWS's default for a state of a Map's ItemProcessor: the first item is the input
            context["Map"] = {"Item": {"Index": 0, "Value": request.input}}
        return context

    async def _map(self, view: Any, raw: Any) -> Outcome:
        """The Map's own input and output processing around its mocked result (the iterations do not run)."""
        inner: Any = self.inner
        settings, io, request, data = inner.settings, inner.io, self.request, self.data
        effective = io.effective_input(view, raw)
        scope = view.scope(effective)
        items = None
        if settings.reader is None:
            items = inner._items(view, effective)
            if not request.jsonata:
                data["afterItemsPath"] = items
        elif request.reader_data is not None:
            items = _json_array(request.reader_data)
        if items is not None:
            if settings.batcher is not None:
                items = settings.batcher(view, effective, items)
                data["afterItemBatcher"] = items
            if settings.item_selector is not None:
                data["afterItemSelector"] = inner._item_inputs(view, effective, items)
        data["maxConcurrency"] = _setting(settings.max_concurrency, settings.max_concurrency_path,
                                          "MaxConcurrencyPath", scope) or 0
        count = _setting(settings.tolerated_count, settings.tolerated_count_path, "ToleratedFailureCountPath", scope)
        percentage = _setting(settings.tolerated_percentage, settings.tolerated_percentage_path,
                              "ToleratedFailurePercentagePath", scope)
        if count is not None:
            data["toleratedFailureCount"] = count
        if percentage is not None:
            data["toleratedFailurePercentage"] = float(percentage)
        mock = request.mock
        if mock is not None and mock.error is not None:
            raise StatesError(*mock.error)
        failures = request.map_failures
        if failures and (count is not None or percentage is not None) and \
                inner._exceeds_tolerance(view, effective, failures, len(items) if items else failures):
            raise StatesError(*_THRESHOLD)
        return inner.next, io.output(view, raw, copy.deepcopy(mock.result if mock is not None else None))

    async def _parallel(self, view: Any, raw: Any) -> Outcome:
        """The Parallel's input and output processing around its mocked result (the branches do not run)."""
        io, mock = self.inner.io, self.request.mock
        io.task_input(view, io.effective_input(view, raw))
        if mock is not None and mock.error is not None:
            raise StatesError(*mock.error)
        return self.inner.next, io.output(view, raw, copy.deepcopy(mock.result if mock is not None else None))


def _setting(value: Any, path: Any, field: str, scope: Scope) -> Any:
    """A Map setting given as a value, or read by its path / JSONata expression."""
    return read_count(path, field, scope, whole=False) if path is not None else value


def _json_array(text: str) -> list | None:
    """``mapItemReaderData`` as the items, when it is a JSON array (CSV and other sources give none)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) else None
