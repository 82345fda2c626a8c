"""Schedule expressions: AWS's rate/cron/at syntax, validation and fire times.

EventBridge rules accept ``rate(...)`` and six-field ``cron(...)`` (minutes,
hours, day-of-month, month, day-of-week, year; ``?``, ``L``, ``W`` and ``#``;
exactly one of the two day fields is ``?``), evaluated in UTC. EventBridge
Scheduler adds ``at(...)`` and a time zone, in which cron and at are read as
wall-clock times: a time skipped by a daylight-saving change does not fire, a
time that occurs twice fires once (at its first occurrence).

Croniter and friends implement five-field Unix cron (day fields OR-ed, no
``W``, no year, different validity rules), so this is a small dedicated
parser; fire times come from walking calendar days, which is cheap because
only the days that pass the day fields are expanded to hours and minutes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ValidationError

RULE_ERROR = "Parameter ScheduleExpression is not valid."
DEFAULT_BUS_ONLY = "ScheduleExpression is supported only on the default event bus."

_RATE = re.compile(r"rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^ ()]+(?: [^ ()]+){5})\)")
_AT = re.compile(r"at\(([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\)")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_FIRST_YEAR, _LAST_YEAR = 1970, 2199


class _Invalid(ValueError):
    """A syntax problem; callers turn it into the message of the API at hand."""


@dataclass(frozen=True)
class RateSchedule:
    """``rate(value unit)``: every ``interval`` from an anchor (rule creation or StartDate)."""

    expression: str
    interval: timedelta


@dataclass(frozen=True)
class AtSchedule:
    """``at(yyyy-mm-ddThh:mm:ss)``: once, at a wall-clock time (Scheduler only)."""

    expression: str
    when: datetime  # naive, in the schedule's time zone


@dataclass(frozen=True)
class _DayOfMonth:
    days: frozenset[int]
    last: bool = False  # L
    last_weekday: bool = False  # LW
    nearest_weekday: int = 0  # nW


@dataclass(frozen=True)
class _DayOfWeek:
    days: frozenset[int]  # 1 = Sunday ... 7 = Saturday
    last: int = 0  # nL: the last such weekday of the month
    nth: tuple[int, int] = (0, 0)  # n#k: the k-th such weekday of the month


@dataclass(frozen=True)
class CronSchedule:
    """``cron(minutes hours day-of-month month day-of-week year)``; one day field is None (``?``)."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: _DayOfMonth | None
    months: frozenset[int]
    day_of_week: _DayOfWeek | None
    years: frozenset[int]

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month is not None:
            return _dom_matches(self.day_of_month, day)
        return _dow_matches(self.day_of_week, day)  # type: ignore[arg-type]


Schedule = RateSchedule | CronSchedule | AtSchedule


# -- parsing -----------------------------------------------------------------------------
def _number(text: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise _Invalid(text)
    value = int(text)
    if not low <= value <= high:
        raise _Invalid(text)
    return value


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """Expands ``*``, lists, ranges (wrapping past the top) and steps of one field."""
    out: set[int] = set()
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = _number(step_text, 1, high) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _number(first, low, high, names), _number(last, low, high, names)
        else:
            start = _number(body, low, high, names)
            end = high if step_text else start
        span = (end - start) % (high - low + 1) if end < start else end - start
        out.update(low + (start - low + k) % (high - low + 1) for k in range(0, span + 1, step))
    return frozenset(out)


def _day_of_month(field: str) -> _DayOfMonth | None:
    if field == "?":
        return None
    if field == "L":
        return _DayOfMonth(frozenset(), last=True)
    if field == "LW":
        return _DayOfMonth(frozenset(), last_weekday=True)
    if field.endswith("W"):
        return _DayOfMonth(frozenset(), nearest_weekday=_number(field[:-1], 1, 31))
    return _DayOfMonth(_values(field, 1, 31))


def _day_of_week(field: str) -> _DayOfWeek | None:
    if field == "?":
        return None
    if field == "L":
        return _DayOfWeek(frozenset({7}))
    if field.endswith("L"):
        return _DayOfWeek(frozenset(), last=_number(field[:-1], 1, 7, _DAYS))
    if "#" in field:
        day, _, nth = field.partition("#")
        return _DayOfWeek(frozenset(), nth=(_number(day, 1, 7, _DAYS), _number(nth, 1, 5)))
    return _DayOfWeek(_values(field, 1, 7, _DAYS))


def _parse_cron(expression: str, fields: list[str]) -> CronSchedule:
    minutes, hours, dom, month, dow, year = fields
    if "?" in (minutes + hours + month + year) or (dom == "?") == (dow == "?"):
        raise _Invalid(expression)
    return CronSchedule(
        expression=expression,
        minutes=tuple(sorted(_values(minutes, 0, 59))),
        hours=tuple(sorted(_values(hours, 0, 23))),
        day_of_month=_day_of_month(dom),
        months=_values(month, 1, 12, _MONTHS),
        day_of_week=_day_of_week(dow),
        years=_values(year, _FIRST_YEAR, _LAST_YEAR),
    )


def _parse(expression: str, allow_at: bool) -> Schedule:
    if match := _RATE.fullmatch(expression):
        value, unit = int(match.group(1)), match.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise _Invalid(expression)
        return RateSchedule(expression, value * _UNITS[unit.rstrip("s")])
    if match := _CRON.fullmatch(expression):
        return _parse_cron(expression, match.group(1).split(" "))
    if allow_at and (match := _AT.fullmatch(expression)):
        try:
            return AtSchedule(expression, datetime(*(int(g) for g in match.groups())))  # type: ignore[misc]
        except ValueError:
            raise _Invalid(expression) from None
    raise _Invalid(expression)


def parse_rule_schedule(expression: str, event_bus_name: str = "default") -> Schedule:
    """A PutRule ScheduleExpression; ValidationError with AWS's message when refused."""
    try:
        schedule = _parse(expression, allow_at=False)
    except _Invalid:
        raise ValidationError(RULE_ERROR) from None
    if event_bus_name not in ("default", None) and not event_bus_name.endswith(":event-bus/default"):
        raise ValidationError(DEFAULT_BUS_ONLY)
    return schedule


def parse_scheduler_schedule(expression: str) -> Schedule:
    """An EventBridge Scheduler ScheduleExpression (``at``, ``rate`` or ``cron``)."""
    try:
        return _parse(expression, allow_at=True)
    except _Invalid:
        raise ValidationError(f"Invalid Schedule Expression {expression}.") from None


# -- day rules ---------------------------------------------------------------------------
def _weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday, as AWS cron numbers days."""
    return (day.weekday() + 1) % 7 + 1


def _dom_matches(spec: _DayOfMonth, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if spec.last:
        return day.day == last
    if spec.last_weekday:
        target = last
        while date(day.year, day.month, target).weekday() >= 5:
            target -= 1
        return day.day == target
    if spec.nearest_weekday:
        wanted = min(spec.nearest_weekday, last)
        base = date(day.year, day.month, wanted)
        if base.weekday() == 5:  # Saturday: Friday before, or Monday after when the 1st
            target = wanted - 1 if wanted > 1 else wanted + 2
        elif base.weekday() == 6:  # Sunday: Monday after, or Friday before at the month's end
            target = wanted + 1 if wanted < last else wanted - 2
        else:
            target = wanted
        return day.day == target
    return day.day in spec.days


def _dow_matches(spec: _DayOfWeek, day: date) -> bool:
    weekday = _weekday(day)
    if spec.last:
        return weekday == spec.last and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if spec.nth[0]:
        return weekday == spec.nth[0] and (day.day - 1) // 7 + 1 == spec.nth[1]
    return weekday in spec.days


# -- fire times --------------------------------------------------------------------------
def _zone(name: str | None) -> ZoneInfo | None:
    if name in (None, "UTC", "Etc/UTC"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Invalid ScheduleExpressionTimezone {name}.") from None


def _to_utc(local: datetime, zone: ZoneInfo | None) -> datetime | None:
    """The instant of a wall-clock time; None when a DST change skips it (first one if repeated)."""
    if zone is None:
        return local.replace(tzinfo=UTC)
    aware = local.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return instant


def _cron_times(schedule: CronSchedule, after: datetime, zone: ZoneInfo | None) -> Iterator[datetime]:
    local_after = after.astimezone(zone or UTC).replace(tzinfo=None)
    day = local_after.date() - timedelta(days=1)  # a repeated hour may sit before ``after`` locally
    while day.year <= _LAST_YEAR:
        if day.year not in schedule.years:
            day = date(day.year + 1, 1, 1)
            continue
        if schedule.matches_day(day):
            for hour in schedule.hours:
                for minute in schedule.minutes:
                    instant = _to_utc(datetime(day.year, day.month, day.day, hour, minute), zone)
                    if instant is not None and instant > after:
                        yield instant
        day += timedelta(days=1)


def next_fire_times(
    schedule: str | Schedule,
    after: datetime,
    n: int = 1,
    *,
    timezone: str | None = None,
    anchor: datetime | None = None,
) -> list[datetime]:
    """The next ``n`` fire times strictly after ``after``, as aware UTC datetimes.

    ``timezone`` (an IANA name) is Scheduler's ScheduleExpressionTimezone: cron
    and at are read in it. A rate fires at ``anchor`` + k * interval (``anchor``
    defaults to ``after``, i.e. the first run is one interval later). A string
    is parsed as a Scheduler expression (a superset of the rule syntax).
    """
    parsed = parse_scheduler_schedule(schedule) if isinstance(schedule, str) else schedule
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    zone = _zone(timezone)
    if isinstance(parsed, RateSchedule):
        start = anchor or after
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        skipped = max(0, (after - start) // parsed.interval + 1) if after >= start else 0
        first = start + skipped * parsed.interval
        return [first + k * parsed.interval for k in range(n)]
    if isinstance(parsed, AtSchedule):
        instant = _to_utc(parsed.when, zone)
        return [instant] if instant is not None and instant > after and n > 0 else []
    out: list[datetime] = []
    for instant in _cron_times(parsed, after, zone):
        if len(out) >= n:
            break
        out.append(instant)
    return out
