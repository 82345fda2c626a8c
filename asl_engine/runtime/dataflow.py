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
from asl_engine.runtime.variables import merged

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
    """The JSONPath data flow of one state; absent fields cost nothing.

    Assign reads ``$`` as the state's result (after ResultSelector; a Pass's
    Result or Parameters), a Choice's or Wait's effective input, or a catcher's
    error output; what it evaluates waits in ``frame.assigned`` for the exit.
    """

    __slots__ = ("assign", "credentials", "input_path", "output_path", "parameters", "result_path",
                 "result_selector")

    def __init__(self, state: Any) -> None:
        self.input_path = _path(getattr(state, "input_path", "$"))
        self.output_path = _path(getattr(state, "output_path", "$"))
        self.parameters = _payload(getattr(state, "parameters", None), "Parameters")
        self.result_selector = _payload(getattr(state, "result_selector", None), "ResultSelector")
        self.result_path = _ref(getattr(state, "result_path", "$"))
        self.assign = _payload(getattr(state, "assign", None), "Assign")
        self.credentials = _payload(getattr(state, "credentials", None), "Credentials")

    def effective_input(self, frame: Frame, raw: Any) -> Any:
        return select(self.input_path, frame, raw)

    def task_input(self, frame: Frame, effective: Any) -> Any:
        if self.parameters is None:
            return effective
        return self.parameters.evaluate(frame.scope(effective), frame.run.services)

    def task_credentials(self, frame: Frame, effective: Any) -> Any:
        """A Task's ``Credentials`` (``{"RoleArn": ...}``) over its effective input; None without the field."""
        if self.credentials is None:
            return None
        return self.credentials.evaluate(frame.scope(effective), frame.run.services)

    def output(self, frame: Frame, raw: Any, result: Any) -> Any:
        return select(self.output_path, frame, merge(self.result_path, raw, self.selected(frame, result)))

    def selected(self, frame: Frame, result: Any) -> Any:
        """The result after ResultSelector, with Assign evaluated over it: a step of its own so that TestState
        can show each stage (``afterResultSelector``, then ``afterResultPath``) without a copy of this flow."""
        if self.result_selector is not None:
            result = self.result_selector.evaluate(frame.scope(result), frame.run.services)
        if self.assign is not None:
            frame.assigned = self.assign.evaluate(frame.scope(result), frame.run.services)
        return result

    def passthrough(self, frame: Frame, effective: Any, rule: Any = None) -> Any:
        """Output of states without a result (Choice, Wait, Succeed): OutputPath over the effective input.

        ``rule`` is the Choice rule that matched (its Assign joins the state's, winning a name).
        """
        assign = self.assign
        if assign is not None or (rule is not None and rule.assign is not None):
            scope = frame.scope(effective)
            services = frame.run.services
            frame.assigned = merged(assign.evaluate(scope, services) if assign is not None else None,
                                    rule.assign.evaluate(scope, services) if rule is not None
                                    and rule.assign is not None else None)
        return select(self.output_path, frame, effective)

    def error_output(self, frame: Frame, raw: Any, error_doc: dict, catcher: Any) -> Any:
        """A caught error: the catcher's Assign (over the error output) replaces the state's."""
        assign = catcher.assign
        frame.assigned = None if assign is None else assign.evaluate(frame.scope(error_doc), frame.run.services)
        return merge(catcher.result_path, raw, error_doc)
