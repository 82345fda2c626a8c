"""The simulator keeps up with the clock on the event loop executions run on, without wall time."""

from __future__ import annotations

import asyncio
import time

import pytest

from asl_engine.sim.timeline import format_entry
from tests.races import cancelled_when_woken
from tests.sim.test_sagemaker_jobs import create_training_job, describe


def test_follow_applies_each_change_when_the_clock_reaches_it(world):
    loop = world.clock.new_loop()

    async def scenario() -> None:
        follower = asyncio.ensure_future(world.sim.follow())
        await asyncio.sleep(0)
        create_training_job(world)
        await asyncio.sleep(10_000)  # nobody asks moto anything meanwhile
        follower.cancel()

    started = time.monotonic()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert time.monotonic() - started < 5
    seen_at = [(event["detail"]["SecondaryStatus"], int((at - world.at(0)).total_seconds()))
               for event, at in zip(world.events, world.emitted_at, strict=True)]
    assert seen_at == [("Starting", 0), ("Downloading", 120), ("Training", 180), ("Uploading", 780),
                       ("Completed", 810)]
    assert describe(world)["TrainingEndTime"] == world.at(810)


def test_an_idle_follower_does_not_make_virtual_time_pass(world):
    loop = world.clock.new_loop()

    async def idle() -> None:
        follower = asyncio.ensure_future(world.sim.follow())
        await asyncio.sleep(30)
        follower.cancel()

    try:
        loop.run_until_complete(idle())
    finally:
        loop.close()
    assert world.clock.now() == world.at(30)


def test_timeline_renders_and_streams_progress(world):
    lines = []
    world.sim.timeline.subscribe(lambda entry: lines.append(format_entry(entry, world.at(0))))
    create_training_job(world)
    world.advance(1000)
    assert lines[-1].startswith("+   810s  training-job/churn-train") and lines[-1].endswith("Completed")
    assert world.sim.timeline.render().splitlines()[-1] == "+   810s  training-job/churn-train  status   Completed"


@pytest.mark.parametrize("turns", range(6))
def test_cancelling_the_follower_as_a_request_wakes_it_ends_it(world, turns):
    """The follower is cancelled in the same loop turns as a request's schedule wakes it (StopTrainingJob from a
    stopped ``.sync`` task, then the host closing): the cancellation must not be lost, or the follower waits for
    a wake-up nobody sends and a virtual loop idles forever."""
    world.sim.at(world.at(1000), lambda: None)  # the follower sleeps towards a due change
    # a request schedules an earlier one: the follower is woken
    assert cancelled_when_woken(world.clock, world.sim.follow, lambda: world.sim.at(world.at(500), lambda: None),
                                turns)
