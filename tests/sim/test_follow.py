"""The simulator keeps up with the clock on the event loop executions run on, without wall time."""

from __future__ import annotations

import asyncio
import time

from tests.sim.test_sagemaker_jobs import create_training_job, describe


def test_follow_task_advances_with_a_virtual_clock(world):
    loop = world.clock.new_loop()

    async def wait_for_training() -> str:
        follower = asyncio.ensure_future(world.sim.follow())
        create_training_job(world)
        while describe(world)["TrainingJobStatus"] == "InProgress":
            await asyncio.sleep(60)
        follower.cancel()
        return describe(world)["TrainingJobStatus"]

    started = time.monotonic()
    try:
        assert loop.run_until_complete(wait_for_training()) == "Completed"
    finally:
        loop.close()
    assert time.monotonic() - started < 5
    assert describe(world)["TrainingEndTime"] == world.at(810)


def test_timeline_renders_traffic_and_statuses(world):
    create_training_job(world)
    world.advance(1000)
    text = world.sim.timeline.render()
    assert "training-job/churn-train" in text and "Completed" in text
