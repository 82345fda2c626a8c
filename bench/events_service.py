#!/usr/bin/env python3
"""EventBridge service throughput: PutEvents end to end, and schedules in virtual time.

- put_events: events per second through ``EventBridge.put_events`` (request
  validation, envelope, matching against N rules, input rendering, one
  delivery per matching target to a no-op invoker), 10 entries per request,
  at 1, 100 and 300 rules on one bus (300 is AWS's rules-per-bus quota; the
  matcher alone at 10,000 rules is bench/events_match.py), each rule an exact
  ``source`` and a ``detail.kind`` prefix with one target;
- schedules: wall seconds for a VirtualClock year of an hourly cron
  Scheduler schedule and of a ``rate(5 minutes)`` rule (105,120 firings).

    .venv/bin/python bench/events_service.py [--sizes 1,100,300] [--requests 500]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asl_engine.eventbridge.invokers import Invokers
from asl_engine.eventbridge.scheduler import Scheduler
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.runtime.clock import VirtualClock

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:noop"


class Noop:
    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, invocation: object) -> None:
        self.calls += 1


def bridge() -> tuple[EventBridge, Noop]:
    noop = Noop()
    invokers = Invokers()
    invokers.register("lambda", noop)
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    return EventBridge(timers=Timers(clock), invokers=invokers, rng=random.Random(1)), noop


def put_events_rate(rules: int, requests: int) -> tuple[float, int]:
    eb, noop = bridge()
    for i in range(rules):
        pattern = {"source": [f"src-{i}"], "detail": {"kind": [{"prefix": f"k{i % 7}"}]}}
        eb.put_rule(Name=f"r{i}", EventPattern=json.dumps(pattern))
        eb.put_targets(Rule=f"r{i}", Targets=[{"Id": "t", "Arn": FUNCTION}])
    rng = random.Random(2)
    batches = [
        [
            {
                "Source": f"src-{rng.randrange(rules)}",
                "DetailType": "d",
                "Detail": json.dumps({"kind": f"k{rng.randrange(7)}x"}),
            }
            for _ in range(10)
        ]
        for _ in range(requests)
    ]
    began = time.perf_counter()
    for entries in batches:
        eb.put_events(Entries=entries)
    return requests * 10 / (time.perf_counter() - began), noop.calls


def schedules_year() -> tuple[float, float]:
    eb, _ = bridge()
    scheduler = Scheduler(eb.deliverer, timers=eb.timers, rng=random.Random(3))
    scheduler.create_schedule(
        Name="hourly",
        ScheduleExpression="cron(0 * * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": FUNCTION, "RoleArn": "arn:aws:iam::123456789012:role/s"},
    )
    began = time.perf_counter()
    eb.timers.advance(365 * 86400)
    hourly = time.perf_counter() - began
    eb, _ = bridge()
    eb.put_rule(Name="five", ScheduleExpression="rate(5 minutes)")
    eb.put_targets(Rule="five", Targets=[{"Id": "t", "Arn": FUNCTION}])
    began = time.perf_counter()
    eb.timers.advance(365 * 86400)
    return hourly, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,300")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    print("| rules | PutEvents events/s | deliveries |")
    print("|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        rate, calls = put_events_rate(size, args.requests)
        print(f"| {size:,} | {rate:,.0f} | {calls:,} |")
    hourly, five = schedules_year()
    print(
        f"\nvirtual year: hourly Scheduler cron {hourly:.2f} s (8,760 firings); "
        f"rate(5 minutes) rule {five:.2f} s (105,120 firings)"
    )


if __name__ == "__main__":
    main()
