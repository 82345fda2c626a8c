"""Schedule expressions: AWS's rate/cron/at validation and the times they fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from asl_engine.eventbridge.errors import ValidationError
from asl_engine.eventbridge.schedule import (
    AtSchedule,
    CronSchedule,
    RateSchedule,
    next_fire_times,
    parse_rule_schedule,
    parse_scheduler_schedule,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(2 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 12 * * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 2 ? * SAT#3 *)",
        "cron(15 10 ? * 6L 2002-2005)",
        "cron(5,35 14 * * ? *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * L *)",
        "cron(0 0 1 JAN,jul ? *)",
        "cron(0 22-2 * * ? *)",
        "cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)",
        "cron(* * ? * * *)",
    ],
)
def test_valid_rule_expressions(expression: str) -> None:
    assert parse_rule_schedule(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "rate()",
        "rate(0 minutes)",
        "rate(-10 minutes)",
        "rate(10)",
        "rate(10 MINUTES)",
        "rate(1 minutes)",
        "rate(10 minute)",
        "rate(1 hours)",
        "rate(1 days)",
        "rate(10 seconds)",
        "rate( 10 minutes )",
        "rate(foo minutes)",
        "cron(0 1 * * * *)",
        "cron(0 1 ? * ? *)",
        "cron(71 8 1 * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 ? 13 * *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(0 0 * * ?)",
        "cron(0 0 * * ? * *)",
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 L,1 * ? *)",
        "cron(0/0 * * * ? *)",
        "cron(0  0 * * ? *)",
        "cron(? 0 * * ? *)",
        "at(2024-01-01T00:00:00)",
        "hourly",
        "",
    ],
)
def test_invalid_rule_expressions(expression: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_rule_schedule(expression)
    assert (caught.value.code, caught.value.message) == (
        "ValidationException",
        "Parameter ScheduleExpression is not valid.",
    )


def test_schedules_only_on_the_default_bus() -> None:
    with pytest.raises(ValidationError, match=r"^ScheduleExpression is supported only on the default event bus\.$"):
        parse_rule_schedule("rate(1 minute)", "custom")
    assert parse_rule_schedule("rate(1 minute)", "arn:aws:events:us-east-1:123456789012:event-bus/default")


def test_scheduler_accepts_at_and_refuses_garbage() -> None:
    assert isinstance(parse_scheduler_schedule("at(2024-02-29T10:00:00)"), AtSchedule)
    assert isinstance(parse_scheduler_schedule("rate(1 hour)"), RateSchedule)
    assert isinstance(parse_scheduler_schedule("cron(0 1 * * ? *)"), CronSchedule)
    with pytest.raises(ValidationError):
        parse_scheduler_schedule("at(2023-02-29T10:00:00)")


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 12 * * ? *)", T0, [utc(2024, 1, 1, 12), utc(2024, 1, 2, 12), utc(2024, 1, 3, 12)]),
        (
            "cron(0/15 * * * ? *)",
            T0,
            [utc(2024, 1, 1, 0, 15), utc(2024, 1, 1, 0, 30), utc(2024, 1, 1, 0, 45)],
        ),
        (
            "cron(5,35 14 * * ? *)",
            T0,
            [utc(2024, 1, 1, 14, 5), utc(2024, 1, 1, 14, 35), utc(2024, 1, 2, 14, 5)],
        ),
        (
            "cron(0 18 ? * MON-FRI *)",
            utc(2024, 1, 5, 19),
            [utc(2024, 1, 8, 18), utc(2024, 1, 9, 18), utc(2024, 1, 10, 18)],
        ),
        ("cron(0 2 ? * SAT#3 *)", T0, [utc(2024, 1, 20, 2), utc(2024, 2, 17, 2), utc(2024, 3, 16, 2)]),
        ("cron(15 10 ? * 6L 2002-2005)", T0, []),
        (
            "cron(15 10 ? * 6L 2002-2005)",
            utc(2005, 11, 1),
            [utc(2005, 11, 25, 10, 15), utc(2005, 12, 30, 10, 15)],
        ),
        ("cron(0 0 L * ? *)", T0, [utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 31)]),
        ("cron(0 0 LW * ? *)", utc(2024, 3, 1), [utc(2024, 3, 29), utc(2024, 4, 30), utc(2024, 5, 31)]),
        # 15W: Sat 15 Jun -> Fri 14; Sun 15 Sep -> Mon 16; 1W on Sat 1 Jun -> Mon 3
        ("cron(0 0 15W * ? *)", utc(2024, 6, 1), [utc(2024, 6, 14), utc(2024, 7, 15), utc(2024, 8, 15)]),
        ("cron(0 0 15W 9 ? *)", T0, [utc(2024, 9, 16)]),
        ("cron(0 0 1W 6 ? *)", T0, [utc(2024, 6, 3)]),
        ("cron(0 0 ? * L *)", T0, [utc(2024, 1, 6), utc(2024, 1, 13), utc(2024, 1, 20)]),
        ("cron(0 22-1 1 1 ? 2024)", T0, [utc(2024, 1, 1, 1), utc(2024, 1, 1, 22), utc(2024, 1, 1, 23)]),
        ("cron(0 0 29 2 ? *)", T0, [utc(2024, 2, 29), utc(2028, 2, 29)]),
    ],
)
def test_cron_fire_times(expression: str, after: datetime, expected: list[datetime]) -> None:
    assert next_fire_times(expression, after, len(expected) or 3) == expected


def test_rate_fires_every_interval_from_the_anchor() -> None:
    assert next_fire_times("rate(5 minutes)", T0, 2) == [
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=10),
    ]
    anchor = T0 - timedelta(minutes=7)
    assert next_fire_times("rate(5 minutes)", T0, 1, anchor=anchor) == [T0 + timedelta(minutes=3)]
    later = T0 + timedelta(days=1)
    assert next_fire_times("rate(1 day)", T0, 1, anchor=later) == [later]


def test_cron_across_spring_forward_skips_the_missing_time() -> None:
    # America/New_York jumps from 02:00 to 03:00 on 2024-03-10: 02:30 does not exist that day.
    times = next_fire_times("cron(30 2 * * ? *)", utc(2024, 3, 9), 2, timezone="America/New_York")
    assert times == [utc(2024, 3, 9, 7, 30), utc(2024, 3, 11, 6, 30)]


def test_cron_across_fall_back_fires_once() -> None:
    # 01:30 happens twice on 2024-11-03 in New York; the schedule runs at the first one only.
    times = next_fire_times("cron(30 1 * * ? *)", utc(2024, 11, 2, 12), 3, timezone="America/New_York")
    assert times == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30), utc(2024, 11, 5, 6, 30)]
    hourly = next_fire_times("cron(0 * * * ? *)", utc(2024, 11, 3, 4, 30), 3, timezone="America/New_York")
    assert hourly == [utc(2024, 11, 3, 5), utc(2024, 11, 3, 7), utc(2024, 11, 3, 8)]


def test_at_runs_once_in_its_time_zone() -> None:
    assert next_fire_times("at(2024-07-01T09:00:00)", T0, 5, timezone="Europe/Paris") == [utc(2024, 7, 1, 7)]
    assert next_fire_times("at(2024-07-01T09:00:00)", utc(2024, 7, 2), 1) == []
    assert next_fire_times("at(2024-03-31T02:30:00)", T0, 1, timezone="Europe/Paris") == []  # skipped hour


def test_naive_after_is_utc_and_bad_time_zone_is_refused() -> None:
    assert next_fire_times("cron(0 12 * * ? *)", datetime(2024, 1, 1), 1) == [utc(2024, 1, 1, 12)]
    with pytest.raises(ValidationError):
        next_fire_times("cron(0 12 * * ? *)", T0, 1, timezone="Mars/Olympus")
