"""How a state's input becomes its effective input and its result becomes its output (JSONPath).

InputPath -> Parameters -> (the state's work) -> ResultSelector -> ResultPath
-> OutputPath, each compiled once. The JSONata mode has the same interface
(``asl_engine.runtime.dataflow_jsonata``) so the states do not care which one
they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asl_engine.errors import StateFailure
from asl_engine.query.jsonpath import Path, PathNotFound, ReferencePath, compile_path, compile_reference_path
from asl_engine.query.payload import NULL_INPUT_CAUSE, Payload, compile_payload

if TYPE_CHECKING:
    from asl_engine.runtime.frame import Frame


def select(path: Path | None, frame: Frame, data: Any) -> Any:
    """Apply an InputPath/OutputPath: ``None`` (JSON null) gives ``{}``."""
    if path is None:
        return {}
    if path.text == "$":
        return data
    if data is None and path.reads_input:
        raise StateFailure("States.Runtime", NULL_INPUT_CAUSE)
    try:
        return path.find(frame.scope(data))
    except PathNotFound as e:
        raise StateFailure("States.Runtime", e.aws_cause) from None


def merge(path: ReferencePath | None, raw_input: Any, result: Any) -> Any:
    """Apply a ResultPath: ``None`` discards the result, ``$`` replaces the input."""
    if path is None:
        return raw_input
    if path.text == "$":
        return result
    return path.set(raw_input, result)


def _path(text: str | None) -> Path | None:
    return None if text is None else compile_path(text)


def _ref(text: str | None) -> ReferencePath | None:
    return None if text is None else compile_reference_path(text)


def _payload(template: Any, field: str) -> Payload | None:
    return None if template is None else compile_payload(template, field)


class JsonPathIO:
    """The JSONPath data flow of one state; absent fields cost nothing."""

    __slots__ = ("input_path", "output_path", "parameters", "result_path", "result_selector")

    def __init__(self, state: Any) -> None:
        self.input_path = _path(getattr(state, "input_path", "$"))
        self.output_path = _path(getattr(state, "output_path", "$"))
        self.parameters = _payload(getattr(state, "parameters", None), "Parameters")
        self.result_selector = _payload(getattr(state, "result_selector", None), "ResultSelector")
        self.result_path = _ref(getattr(state, "result_path", "$"))

    def effective_input(self, frame: Frame, raw: Any) -> Any:
        return select(self.input_path, frame, raw)

    def task_input(self, frame: Frame, effective: Any) -> Any:
        if self.parameters is None:
            return effective
        return self.parameters.evaluate(frame.scope(effective), frame.run.services)

    def output(self, frame: Frame, raw: Any, result: Any) -> Any:
        if self.result_selector is not None:
            result = self.result_selector.evaluate(frame.scope(result), frame.run.services)
        return select(self.output_path, frame, merge(self.result_path, raw, result))

    def passthrough(self, frame: Frame, effective: Any) -> Any:
        """Output of states without a result (Choice, Wait, Succeed): OutputPath over the effective input."""
        return select(self.output_path, frame, effective)

    def error_output(self, frame: Frame, raw: Any, error_doc: dict, catcher: Any) -> Any:
        return merge(catcher.result_path, raw, error_doc)
