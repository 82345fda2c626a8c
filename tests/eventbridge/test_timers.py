"""Timers on the injected clock: order, cancelling, advancing a VirtualClock, serving on its loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from asl_engine.eventbridge.timers import Timers
from asl_engine.runtime.clock import RealClock, VirtualClock
from tests.races import cancelled_when_woken

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_advance_runs_callbacks_in_due_order_at_their_own_instant():
    clock = VirtualClock(START)
    timers = Timers(clock)
    seen = []
    timers.call_later(30, lambda: seen.append(("b", clock.now())))
    timers.call_later(10, lambda: seen.append(("a", clock.now())))
    timers.call_later(10, lambda: seen.append(("a2", clock.now())))  # same instant: creation order
    cancelled = timers.call_later(20, lambda: seen.append(("never", clock.now())))
    cancelled.cancel()
    assert timers.advance(60) == 3
    assert seen == [
        ("a", START + timedelta(seconds=10)),
        ("a2", START + timedelta(seconds=10)),
        ("b", START + timedelta(seconds=30)),
    ]
    assert clock.now() == START + timedelta(seconds=60)


def test_callbacks_scheduled_by_callbacks_run_within_the_same_advance():
    clock = VirtualClock(START)
    timers = Timers(clock)
    count = []

    def tick():
        count.append(clock.now())
        timers.call_later(3600, tick)

    timers.call_later(3600, tick)
    timers.advance(86400)
    assert len(count) == 24


def test_only_a_virtual_clock_can_be_advanced():
    with pytest.raises(TypeError):
        Timers(RealClock()).advance(1)


def test_serve_runs_due_callbacks_on_the_virtual_loop_and_wakes_for_new_ones():
    clock = VirtualClock(START)
    timers = Timers(clock)
    loop = clock.new_loop()
    seen = []
    timers.call_later(3600, lambda: seen.append(clock.now()))

    async def main():
        server = asyncio.create_task(timers.serve())
        await asyncio.sleep(7200)
        timers.call_later(10, lambda: seen.append(clock.now()))
        await asyncio.sleep(60)
        server.cancel()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    assert [round((t - START).total_seconds()) for t in seen] == [3600, 7210]


@pytest.mark.parametrize("turns", range(6))
def test_cancelling_serve_as_a_new_timer_wakes_it_ends_it(turns):
    """``serve`` is cancelled (the server closing) in the loop turns a ``call_at`` wakes it: the cancellation
    must not be lost (Python 3.11's ``asyncio.wait_for`` lost it, CPython gh-86296), or ``serve`` goes on
    serving and waits for a wake-up nobody sends."""
    clock = VirtualClock(START)
    timers = Timers(clock)
    timers.call_later(1000, lambda: None)  # serve sleeps towards a due callback
    # an earlier one wakes serve
    assert cancelled_when_woken(clock, timers.serve, lambda: timers.call_later(500, lambda: None), turns)
    assert clock.now() == START  # ended at once: no virtual time passed
