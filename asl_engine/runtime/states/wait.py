"""Wait: sleeps on the execution's clock, which a virtual clock makes instant."""

from __future__ import annotations

from typing import Any

from asl_engine.errors import StateFailure
from asl_engine.query.jsonpath import PathNotFound
from asl_engine.query.jsontext import to_json_text
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.states.base import CompiledState, Outcome
from asl_engine.runtime.states.choice import parse_timestamp


class WaitState(CompiledState):
    __slots__ = ("seconds", "seconds_path", "timestamp", "timestamp_path")

    def __init__(self, name: str, next_name: str | None, io: Any, seconds: int | None = None,
                 seconds_path: Any = None, timestamp: str | None = None, timestamp_path: Any = None) -> None:
        """``seconds_path``/``timestamp_path``: a compiled Path, or a JSONata ``Seconds``/``Timestamp``
        expression with the same ``find(scope)`` interface."""
        super().__init__(name, "Wait", next_name, io)
        self.seconds = seconds
        self.seconds_path = seconds_path
        self.timestamp = parse_timestamp(timestamp) if timestamp else None
        self.timestamp_path = timestamp_path

    async def execute(self, frame: Frame, raw: Any) -> Outcome:
        io = self.io
        effective = io.effective_input(frame, raw)
        delay = self._delay(frame, effective)
        if delay > 0:
            await frame.run.clock.sleep(delay)
        return self.next, io.passthrough(frame, effective)

    def _delay(self, frame: Frame, effective: Any) -> float:
        if self.seconds is not None:
            return self.seconds
        if self.seconds_path is not None:
            value = self._read(self.seconds_path, "SecondsPath", frame, effective)
            text = f"{self.seconds_path.text} == {_java_text(value)}"
            if not isinstance(value, int) or isinstance(value, bool):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise StateFailure("States.Runtime",
                                       f"The SecondsPath parameter cannot be parsed as a long value: {text}")
            if value < 0:
                raise StateFailure("States.Runtime", f"The SecondsPath parameter references a negative value: {text}")
            return value
        if self.timestamp is not None:
            target = self.timestamp
        else:
            value = self._read(self.timestamp_path, "TimestampPath", frame, effective)
            target = parse_timestamp(value)
            if target is None:
                raise StateFailure("States.Runtime",
                                   "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                                   f"offset date-time format string: {self.timestamp_path.text} == "
                                   f"{_java_text(value)}")
        return (target - frame.run.clock.now()).total_seconds()

    @staticmethod
    def _read(path: Any, field: str, frame: Frame, effective: Any) -> Any:
        try:
            return path.find(frame.scope(effective))
        except PathNotFound:
            raise StateFailure("States.Runtime", f"The {field} parameter does not reference an input value: "
                                                 f"{path.text}") from None


def _java_text(value: Any) -> str:
    return value if isinstance(value, str) else to_json_text(value)
