"""EventBridge Scheduler: schedules that fire on the shared clock and call their target.

CreateSchedule / GetSchedule / ListSchedules / UpdateSchedule / DeleteSchedule
with the Scheduler API's JSON (PascalCase keys, as boto3's ``scheduler``
client sends and receives). A schedule fires at its ``at``, ``rate`` or
``cron`` times in its ScheduleExpressionTimezone (daylight-saving gaps and
repeats as ``schedule.next_fire_times`` resolves them), only inside
[StartDate, EndDate], shifted by a FlexibleTimeWindow offset drawn from the
injected randomness, and delivers through the same retry and dead-letter
path as rules. A schedule with no fire time left is completed, and deleted
when ActionAfterCompletion is DELETE.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from asl_engine import isotime

from .delivery import Deliverer, Invocation, RetryPolicy
from .envelope import as_datetime
from .errors import ConflictError, ResourceNotFoundError, ValidationError
from .firing import FireTimes
from .paging import page
from .schedule import AtSchedule, next_fire_times, parse_scheduler_schedule
from .service import DEFAULT_ACCOUNT, DEFAULT_REGION
from .shapes import operation
from .timers import Timer, Timers

DEFAULT_GROUP = "default"
_CONTEXT = ("schedule-arn", "scheduled-time", "execution-id", "attempt-number")


@dataclass(eq=False)
class _Schedule:
    spec: dict[str, Any]  # what GetSchedule returns (without the times)
    once: bool  # an at() schedule: StartDate does not move it
    fire_times: FireTimes
    created: datetime
    modified: datetime
    timer: Timer | None = field(default=None)

    @property
    def arn(self) -> str:
        return self.spec["Arn"]


class Scheduler:
    """The Scheduler API of one account and region; schedules fire on ``timers``."""

    def __init__(
        self,
        deliverer: Deliverer,
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        timers: Timers | None = None,
        rng: random.Random | None = None,
        ids: Callable[[], str] | None = None,
    ) -> None:
        self._deliverer = deliverer
        self.account = account
        self.region = region
        self.timers = timers or Timers()
        self._rng = rng or random.Random()
        self._ids = ids or (lambda: str(uuid.uuid4()))
        self._schedules: dict[tuple[str, str], _Schedule] = {}

    @staticmethod
    def _group(name: str | None) -> str:
        """Only the default schedule group exists here (CreateScheduleGroup is not implemented)."""
        group = name or DEFAULT_GROUP
        if group != DEFAULT_GROUP:
            raise ResourceNotFoundError(f"Schedule group {group} does not exist.")
        return group

    def _key(self, request: Mapping[str, Any]) -> tuple[str, str]:
        return self._group(request.get("GroupName")), request["Name"]

    def _get(self, request: Mapping[str, Any]) -> _Schedule:
        schedule = self._schedules.get(self._key(request))
        if schedule is None:
            raise ResourceNotFoundError(f"Schedule {request['Name']} does not exist.")
        return schedule

    def _build(self, request: Mapping[str, Any], created: datetime) -> _Schedule:
        group, name = self._key(request)
        expression = request["ScheduleExpression"]
        parsed = parse_scheduler_schedule(expression)
        timezone = request.get("ScheduleExpressionTimezone") or "UTC"
        next_fire_times(parsed, created, 0, timezone=timezone)  # refuses an unknown time zone
        window = request["FlexibleTimeWindow"]
        if window["Mode"] == "FLEXIBLE" and not window.get("MaximumWindowInMinutes"):
            raise ValidationError("MaximumWindowInMinutes must be provided when Mode is FLEXIBLE.")
        start, end = request.get("StartDate"), request.get("EndDate")
        if start is not None and end is not None and as_datetime(end) <= as_datetime(start):
            raise ValidationError("The EndDate must be later than the StartDate.")
        target = json.loads(json.dumps(request["Target"]))
        target.setdefault("RetryPolicy", {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185})
        spec = {
            "Arn": f"arn:aws:scheduler:{self.region}:{self.account}:schedule/{group}/{name}",
            "Name": name,
            "GroupName": group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone,
            "FlexibleTimeWindow": dict(window),
            "Target": target,
            "State": request.get("State") or "ENABLED",
            "ActionAfterCompletion": request.get("ActionAfterCompletion") or "NONE",
        }
        for key in ("Description", "KmsKeyArn"):
            if request.get(key) is not None:
                spec[key] = request[key]
        for key in ("StartDate", "EndDate"):
            if request.get(key) is not None:
                spec[key] = as_datetime(request[key])
        anchor = spec.get("StartDate", created)
        fire_times = FireTimes(parsed, timezone=timezone, anchor=anchor)
        return _Schedule(spec, isinstance(parsed, AtSchedule), fire_times, created, self.timers.now())

    # -- API -----------------------------------------------------------------------------
    @operation("CreateSchedule", "scheduler")
    def create_schedule(self, **request: Any) -> dict[str, Any]:
        key = self._key(request)
        if key in self._schedules:
            raise ConflictError(f"Schedule {request['Name']} already exists.")
        schedule = self._build(request, self.timers.now())
        self._schedules[key] = schedule
        self._arm(schedule, self.timers.now())
        return {"ScheduleArn": schedule.arn}

    @operation("GetSchedule", "scheduler")
    def get_schedule(self, **request: Any) -> dict[str, Any]:
        schedule = self._get(request)
        return {**schedule.spec, "CreationDate": schedule.created, "LastModificationDate": schedule.modified}

    @operation("ListSchedules", "scheduler")
    def list_schedules(self, **request: Any) -> dict[str, Any]:
        if request.get("GroupName") is not None:
            self._group(request["GroupName"])
        prefix, state = request.get("NamePrefix") or "", request.get("State")
        summaries = [
            {
                "Arn": s.arn,
                "Name": name,
                "GroupName": g,
                "State": s.spec["State"],
                "CreationDate": s.created,
                "LastModificationDate": s.modified,
                "Target": {"Arn": s.spec["Target"]["Arn"]},
            }
            for (g, name), s in sorted(self._schedules.items())
            if name.startswith(prefix) and state in (None, s.spec["State"])
        ]
        items, token = page(summaries, request.get("NextToken"), request.get("MaxResults"))
        return {"Schedules": items, **({"NextToken": token} if token else {})}

    @operation("UpdateSchedule", "scheduler")
    def update_schedule(self, **request: Any) -> dict[str, Any]:
        """Replaces the schedule whole (Scheduler keeps no omitted field), counting its times afresh."""
        old = self._get(request)
        schedule = self._build(request, old.created)
        if old.timer is not None:
            old.timer.cancel()
        self._schedules[self._key(request)] = schedule
        self._arm(schedule, self.timers.now())
        return {"ScheduleArn": schedule.arn}

    @operation("DeleteSchedule", "scheduler")
    def delete_schedule(self, **request: Any) -> dict[str, Any]:
        schedule = self._get(request)
        if schedule.timer is not None:
            schedule.timer.cancel()
        del self._schedules[self._key(request)]
        return {}

    # -- firing --------------------------------------------------------------------------
    def rearm(self) -> None:
        """Arms every schedule's next firing from now (after a restore: see ``EventBridge.rearm``)."""
        now = self.timers.now()
        for schedule in list(self._schedules.values()):
            if schedule.timer is not None:
                schedule.timer.cancel()
                schedule.timer = None
            self._arm(schedule, now)

    def _next(self, schedule: _Schedule, after: datetime) -> datetime | None:
        """The next nominal fire time after ``after`` inside [StartDate, EndDate], or None."""
        spec = schedule.spec
        start, end = spec.get("StartDate"), spec.get("EndDate")
        if start is not None and not schedule.once and after < start:
            after = start - timedelta(microseconds=1)
        due = schedule.fire_times.next_after(after)
        if due is None or (end is not None and due >= end):  # EndDate: "before which" it may fire
            return None
        return due

    def _arm(self, schedule: _Schedule, after: datetime) -> None:
        if schedule.spec["State"] != "ENABLED":
            return
        nominal = self._next(schedule, after)
        if nominal is None:
            self._complete(schedule)
            return
        window = schedule.spec["FlexibleTimeWindow"]
        offset = self._rng.uniform(0, window["MaximumWindowInMinutes"] * 60) if window["Mode"] == "FLEXIBLE" else 0
        due = nominal + timedelta(seconds=offset)
        schedule.timer = self.timers.call_at(due, lambda: self._fire(schedule, nominal))

    def _fire(self, schedule: _Schedule, nominal: datetime) -> None:
        schedule.timer = None
        target = schedule.spec["Target"]
        execution_id = self._ids()
        context = {
            "schedule-arn": schedule.arn,
            "scheduled-time": isotime.seconds(nominal),
            "execution-id": execution_id,
            "attempt-number": "1",
        }
        payload = target.get("Input") or "{}"
        for name in _CONTEXT:
            payload = payload.replace(f"<aws.scheduler.{name}>", context[name])
        self._deliverer.deliver(
            Invocation(target["Arn"], payload, target, {"id": execution_id, "time": context["scheduled-time"]}),
            RetryPolicy.from_api(target.get("RetryPolicy")),
            (target.get("DeadLetterConfig") or {}).get("Arn"),
            {"SCHEDULE_ARN": schedule.arn, "TARGET_ARN": target["Arn"], "EXECUTION_ID": execution_id},
            payload,
        )
        if self._schedules.get((schedule.spec["GroupName"], schedule.spec["Name"])) is schedule:
            self._arm(schedule, nominal)

    def _complete(self, schedule: _Schedule) -> None:
        """No fire time left: ActionAfterCompletion DELETE removes the schedule."""
        key = (schedule.spec["GroupName"], schedule.spec["Name"])
        if schedule.spec["ActionAfterCompletion"] == "DELETE" and self._schedules.get(key) is schedule:
            del self._schedules[key]
