"""Wait: sleeps on the execution's clock, which a virtual clock makes instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asl_engine.errors import StateFailure
from asl_engine.query.jsontext import to_json_text
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.states.base import CompiledState, Outcome
from asl_engine.runtime.states.choice import parse_timestamp
from asl_engine.runtime.states.fields import read_field


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
        clock = frame.run.clock
        if self.timestamp is not None or self.timestamp_path is not None:
            until = self._until(frame, effective)
            if until > clock.now():
                await clock.sleep_until(until)
        else:
            delay = self._delay(frame, effective)
            if delay > 0:
                await clock.sleep(delay)
        return self.next, io.passthrough(frame, effective)

    def _delay(self, frame: Frame, effective: Any) -> float:
        if self.seconds is not None:
            return self.seconds
        path = self.seconds_path
        read = value = read_field(path, frame.scope(effective), "SecondsPath")
        if not isinstance(value, int) or isinstance(value, bool):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise StateFailure("States.Runtime", "The SecondsPath parameter cannot be parsed as a long "
                                                     f"value: {path.text} == {_java_text(read)}")
        if value < 0:
            raise StateFailure("States.Runtime", "The SecondsPath parameter references a negative value: "
                                                 f"{path.text} == {_java_text(read)}")
        return value

    def _until(self, frame: Frame, effective: Any) -> datetime:
        if self.timestamp is not None:
            return self.timestamp
        value = read_field(self.timestamp_path, frame.scope(effective), "TimestampPath")
        target = parse_timestamp(value)
        if target is None:
            raise StateFailure("States.Runtime",
                               "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                               f"offset date-time format string: {self.timestamp_path.text} == "
                               f"{_java_text(value)}")
        return target


def _java_text(value: Any) -> str:
    return value if isinstance(value, str) else to_json_text(value)
