"""Compile a validated definition into an immutable plan of ready-to-run states.

Every path, template, intrinsic call and Choice rule is parsed here, once;
the interpreter's hot loop only calls what this module built.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from asl_engine.definition import model as m
from asl_engine.integrations.arns import parse_resource
from asl_engine.integrations.map_io.item_reader import ItemReader
from asl_engine.integrations.map_io.result_writer import ResultWriter
from asl_engine.query.jsonpath import compile_path, compile_reference_path
from asl_engine.query.payload import compile_payload
from asl_engine.runtime.dataflow import JsonPathIO
from asl_engine.runtime.dataflow_jsonata import (
    Field,
    JsonataIO,
    RuleFields,
    ScopeTemplate,
    condition,
    field_or_value,
    template,
)
from asl_engine.runtime.retry import Catcher, Retrier
from asl_engine.runtime.states.base import CompiledState
from asl_engine.runtime.states.choice import ChoiceState, compile_rule
from asl_engine.runtime.states.map import MapSettings, MapState, batch_items
from asl_engine.runtime.states.parallel import ParallelState
from asl_engine.runtime.states.simple import _UNSET, FailState, PassState, SucceedState
from asl_engine.runtime.states.task import TaskState
from asl_engine.runtime.states.wait import WaitState


@dataclass(frozen=True)
class Plan:
    """A compiled (sub-)state machine: the top level, a Parallel branch or a Map's ItemProcessor."""

    start_at: str
    states: MappingProxyType
    timeout_seconds: int | None = None


def compile_definition(model: m.StateMachineModel) -> Plan:
    return Plan(model.start_at, _compile_states(model.states, model), model.timeout_seconds)


def _compile_states(states: dict[str, Any], root: m.StateMachineModel) -> MappingProxyType:
    return MappingProxyType({name: _compile_state(name, state, root) for name, state in states.items()})


def _branch(branch: m.Branch, root: m.StateMachineModel) -> Plan:
    return Plan(branch.start_at, _compile_states(branch.states, root))


def _next(state: Any) -> str | None:
    return None if state.end else state.next


def _retriers(state: Any) -> tuple[Retrier, ...]:
    return tuple(Retrier(tuple(r.error_equals), r.interval_seconds, r.max_attempts, r.backoff_rate,
                         r.max_delay_seconds, r.jitter_strategy == "FULL") for r in state.retry)


def _catchers(state: Any, jsonata: bool) -> tuple[Catcher, ...]:
    if jsonata:
        return tuple(Catcher(tuple(c.error_equals), c.next, None, template(c.output, "Output"),
                             template(c.assign, "Assign")) for c in state.catch)
    return tuple(Catcher(tuple(c.error_equals), c.next,
                         None if c.result_path is None else compile_reference_path(c.result_path),
                         None, None if c.assign is None else compile_payload(c.assign, "Assign"))
                 for c in state.catch)


def _rule_fields(rule: Any, jsonata: bool) -> RuleFields | None:
    """A Choice rule's own Assign and Output; None when it has neither."""
    if rule.assign is None and not rule.has("output"):
        return None
    if jsonata:
        output = template(rule.output, "Output") if rule.has("output") else None
        return RuleFields(template(rule.assign, "Assign"), output)
    return RuleFields(None if rule.assign is None else compile_payload(rule.assign, "Assign"), None)


def _optional_path(text: str | None) -> Any:
    return compile_path(text) if text else None


def _compile_state(name: str, state: Any, root: m.StateMachineModel) -> CompiledState:
    jsonata = root.language_of(state) == "JSONata"
    io = JsonataIO(state) if jsonata else JsonPathIO(state)
    if isinstance(state, m.PassState):
        return PassState(name, _next(state), io, state.result if state.has("result") else _UNSET)
    if isinstance(state, m.TaskState):
        timeout, timeout_path = _dynamic(state.timeout_seconds, state.timeout_seconds_path, "TimeoutSeconds",
                                         jsonata)
        heartbeat, heartbeat_path = _dynamic(state.heartbeat_seconds, state.heartbeat_seconds_path,
                                             "HeartbeatSeconds", jsonata)
        return TaskState(name, _next(state), io, _retriers(state), _catchers(state, jsonata),
                         parse_resource(state.resource), timeout, timeout_path, heartbeat, heartbeat_path)
    if isinstance(state, m.ChoiceState):
        choices = [(condition(rule.condition) if jsonata else compile_rule(rule), rule.next,
                    _rule_fields(rule, jsonata)) for rule in state.choices]
        return ChoiceState(name, io, choices, state.default)
    if isinstance(state, m.WaitState):
        seconds, seconds_path = _dynamic(state.seconds, state.seconds_path, "Seconds", jsonata)
        timestamp, timestamp_path = _dynamic(state.timestamp, state.timestamp_path, "Timestamp", jsonata)
        return WaitState(name, _next(state), io, seconds, seconds_path, timestamp, timestamp_path)
    if isinstance(state, m.SucceedState):
        return SucceedState(name, io)
    if isinstance(state, m.FailState):
        if jsonata:
            error, error_field = field_or_value(state.error, "Error")
            cause, cause_field = field_or_value(state.cause, "Cause")
            return FailState(name, error, cause, error_field, cause_field)
        return FailState(name, state.error, state.cause, state.error_path, state.cause_path)
    if isinstance(state, m.ParallelState):
        return ParallelState(name, _next(state), io, _retriers(state), _catchers(state, jsonata),
                             [_branch(b, root) for b in state.branches])
    if isinstance(state, m.MapState):
        return _compile_map(name, state, io, root, jsonata)
    raise TypeError(f"unknown state type {type(state).__name__}")


def _dynamic(value: Any, path: str | None, field: str, jsonata: bool) -> tuple[Any, Any]:
    """A field that may be read at run time (``Seconds``/``SecondsPath``, ``{% %}`` in a JSONata state):
    ``(literal, None)`` or ``(None, a compiled Path or JSONata expression)``."""
    if path is not None:
        return value, compile_path(path)
    return field_or_value(value, field) if jsonata else (value, None)


def _compile_map(name: str, state: m.MapState, io: Any, root: m.StateMachineModel, jsonata: bool) -> MapState:
    processor = state.processor
    selector = state.item_selector if state.item_selector is not None else state.parameters
    batcher = None
    if state.item_batcher is not None:
        b = state.item_batcher
        batch_input = compile_payload(b.batch_input, "BatchInput") if b.batch_input is not None else None
        batcher = batch_items(*_dynamic(b.max_items_per_batch, b.max_items_per_batch_path, "MaxItemsPerBatch", jsonata),
                              *_dynamic(b.max_input_bytes_per_batch, b.max_input_bytes_per_batch_path,
                                        "MaxInputBytesPerBatch", jsonata), batch_input)
    max_concurrency, max_concurrency_path = _dynamic(state.max_concurrency, state.max_concurrency_path,
                                                     "MaxConcurrency", jsonata)
    count, count_path = _dynamic(state.tolerated_failure_count, state.tolerated_failure_count_path,
                                 "ToleratedFailureCount", jsonata)
    percentage, percentage_path = _dynamic(state.tolerated_failure_percentage,
                                           state.tolerated_failure_percentage_path,
                                           "ToleratedFailurePercentage", jsonata)
    if jsonata:
        items_path = None if state.items is None else Field(state.items, "Items", "array")
        item_selector = None if selector is None else ScopeTemplate(selector, "ItemSelector")
    else:
        items_path = _optional_path(state.items_path)
        item_selector = compile_payload(selector, "ItemSelector") if selector is not None else None
        # ItemSelector/Parameters are applied per item by the Map itself, not as the state's Parameters.
        io.parameters = None
    settings = MapSettings(
        items_path=items_path,
        item_selector=item_selector,
        max_concurrency=max_concurrency,
        max_concurrency_path=max_concurrency_path,
        tolerated_count=count,
        tolerated_count_path=count_path,
        tolerated_percentage=percentage,
        tolerated_percentage_path=percentage_path,
        distributed=processor.processor_config.mode == "DISTRIBUTED",
        batcher=batcher,
        reader=None if state.item_reader is None else ItemReader.compile(state.item_reader, jsonata),
        writer=None if state.result_writer is None else ResultWriter.compile(state.result_writer, jsonata),
    )
    return MapState(name, _next(state), io, _retriers(state), _catchers(state, jsonata), _branch(processor, root),
                    settings)
