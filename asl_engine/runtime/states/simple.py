"""Pass, Succeed and Fail: states that only move data or end a branch."""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StateFailure, StatesError
from asl_engine.query.intrinsics import compile_intrinsic, is_intrinsic
from asl_engine.query.jsonpath import compile_path
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.states.base import CompiledState, Outcome
from asl_engine.runtime.states.fields import read_field

_UNSET = object()


class PassState(CompiledState):
    __slots__ = ("result",)

    def __init__(self, name: str, next_name: str | None, io: Any, result: Any = _UNSET) -> None:
        super().__init__(name, "Pass", next_name, io)
        self.result = result

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        io = self.io
        if self.result is not _UNSET:
            result = self.result
        else:
            result = io.task_input(frame, io.effective_input(frame, raw))
        return self.next, io.output(frame, raw, result)


class SucceedState(CompiledState):
    __slots__ = ()

    def __init__(self, name: str, io: Any) -> None:
        super().__init__(name, "Succeed", None, io)

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        io = self.io
        return None, io.passthrough(frame, io.effective_input(frame, raw))


class _Dynamic:
    """ErrorPath / CausePath: a reference path or an intrinsic call, read from the raw input."""

    __slots__ = ("field", "fn", "path", "text")

    def __init__(self, text: str, field: str) -> None:
        self.text = text
        self.field = field
        self.fn = compile_intrinsic(text) if is_intrinsic(text) else None
        self.path = None if self.fn else compile_path(text)

    def value(self, frame: Frame, raw: Any) -> Any:
        scope = frame.scope(raw)
        if self.fn is not None:
            return self.fn(scope, frame.run.services)
        return read_field(self.path, scope, self.field, missing="a valid JSONPath")


class FailState(CompiledState):
    __slots__ = ("cause", "cause_path", "error", "error_path")
    has_exit_event = False

    def __init__(self, name: str, error: str | None, cause: str | None, error_path: Any,
                 cause_path: Any) -> None:
        """``error_path``/``cause_path``: ErrorPath/CausePath text, or a compiled JSONata ``Error``/``Cause``
        expression with ``_Dynamic``'s interface."""
        super().__init__(name, "Fail", None, None)
        self.error, self.cause = error, cause
        self.error_path = _Dynamic(error_path, "ErrorPath") if isinstance(error_path, str) else error_path
        self.cause_path = _Dynamic(cause_path, "CausePath") if isinstance(cause_path, str) else cause_path

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        error, cause = self.error, self.cause
        if self.error_path is not None:
            error = self._text(self.error_path, frame, raw)
        if self.cause_path is not None:
            cause = self._text(self.cause_path, frame, raw)
        raise StatesError(error, cause)

    @staticmethod
    def _text(dynamic: _Dynamic, frame: Frame, raw: Any) -> str:
        value = dynamic.value(frame, raw)
        if not isinstance(value, str):
            raise StateFailure("States.Runtime", f"The {dynamic.field} parameter does not reference a "
                                                 f"valid string: {dynamic.text}")
        return value
