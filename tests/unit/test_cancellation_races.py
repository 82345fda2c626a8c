"""A cancellation (StopExecution, a host closing) that arrives in the loop turn a timed wait ends is not lost.

On Python 3.11 ``asyncio.wait_for`` returned the result then and the cancelled task went on (CPython
gh-86296); every timed wait of the runtime goes through ``asl_engine.runtime.timeouts.wait_for`` instead.
Each test finishes what is awaited, lets 0-5 loop turns pass, cancels, and waits for the task on a timer,
so a lost cancellation fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from runtime_helpers import START, machine

from asl_engine import Services, VirtualClock
from asl_engine.integrations.callbacks.tokens import TaskTokens
from asl_engine.runtime.timeouts import wait_for
from tests.races import cancel_after

FIRST = "arn:aws:states:::sns:publish"
SECOND = "arn:aws:states:::sqs:sendMessage"
TURNS = range(6)


def _race(clock: VirtualClock, start: Callable[[asyncio.Future], Coroutine[Any, Any, Any]], turns: int,
          on_cancel: Callable[[], None] = lambda: None) -> tuple[bool, bool]:
    """Start ``start(gate)``, let it block on ``gate``, finish the gate, ``turns`` turns later cancel the task.

    Returns whether the cancellation found the task still running, and whether the task ended cancelled:
    the first must imply the second.  With no turns between, the task has not run since the gate finished.
    """
    async def scenario() -> tuple[bool, bool]:
        gate = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(start(gate))
        for _ in range(20):  # until it waits on the gate
            await asyncio.sleep(0)
        assert not task.done()
        gate.set_result("finished")
        for _ in range(turns):
            await asyncio.sleep(0)
        on_cancel()
        return await cancel_after(task, 0)

    return clock.run(scenario())


def _ended_as_cancelled(race: tuple[bool, bool], turns: int) -> bool:
    running, cancelled = race
    if turns == 0:
        assert running, "the gate's turn always finds the task running"
    return cancelled if running else True


def _two_tasks(**first: Any) -> dict:
    return {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": FIRST, "Next": "B", **first},
        "B": {"Type": "Task", "Resource": SECOND, "End": True}}}


@pytest.mark.parametrize("turns", TURNS)
def test_a_task_stopped_as_its_invocation_finishes_ends_stopped(turns):
    """TimeoutSeconds around the invocation: a stopped execution must not go on to its next state and call it.

    B never answers, so the execution only ends by being cancelled; whatever it had done when it was,
    it does nothing after.
    """
    clock = VirtualClock(START)
    called: list[Any] = []
    at_cancel: list[int] = []

    def start(gate: asyncio.Future) -> Coroutine[Any, Any, Any]:
        async def first(payload: Any) -> Any:
            return await gate

        async def second(payload: Any) -> Any:
            called.append(payload)
            await asyncio.get_running_loop().create_future()  # never answers

        return machine(_two_tasks(TimeoutSeconds=100)).run_async(
            {}, "exec", clock, {FIRST: first, SECOND: second}, services=Services(seed=1))

    race = _race(clock, start, turns, lambda: at_cancel.append(len(called)))
    assert race == (True, True)
    assert len(called) == at_cancel[0]
    if turns == 0:
        assert called == []


@pytest.mark.parametrize("turns", TURNS)
@pytest.mark.parametrize(("timeout_seconds", "run_for"), [(100, None), (None, 100)], ids=["TimeoutSeconds", "run_for"])
def test_an_execution_watched_by_a_timer_stopped_as_it_ends_ends_stopped(turns, timeout_seconds, run_for):
    """The execution's TimeoutSeconds, or the run_for a caller watches it with."""
    clock = VirtualClock(START)

    def start(gate: asyncio.Future) -> Coroutine[Any, Any, Any]:
        async def first(payload: Any) -> Any:
            return await gate

        definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": FIRST, "End": True}}}
        if timeout_seconds is not None:
            definition["TimeoutSeconds"] = timeout_seconds
        return machine(definition).run_async({}, "exec", clock, {FIRST: first}, services=Services(seed=1),
                                             run_for=run_for)

    assert _ended_as_cancelled(_race(clock, start, turns), turns)


@pytest.mark.parametrize("turns", TURNS)
def test_a_heartbeat_wait_stopped_as_the_answer_comes_ends_stopped(turns):
    clock = VirtualClock(START)
    tokens = TaskTokens()

    def start(gate: asyncio.Future) -> Coroutine[Any, Any, Any]:
        token = tokens.issue(Services(seed=1), "arn:aws:states:us-east-1:111111111111:execution:m:exec")
        gate.add_done_callback(lambda _: tokens.send_success(token, '"answered"'))
        return tokens.wait(token, heartbeat=100)

    assert _ended_as_cancelled(_race(clock, start, turns), turns)


@pytest.mark.parametrize("turns", TURNS)
def test_wait_for_passes_a_cancellation_on_whatever_finished_in_its_turn(turns):
    clock = VirtualClock(START)

    def start(gate: asyncio.Future) -> Coroutine[Any, Any, Any]:
        async def inner() -> Any:
            return await gate

        return wait_for(inner(), 100)

    assert _ended_as_cancelled(_race(clock, start, turns), turns)


def _on_loop(main: Coroutine[Any, Any, Any]) -> Any:
    return VirtualClock(START).run(main)


def test_wait_for_keeps_asyncio_wait_for_semantics():
    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        seen: list[Any] = []
        seen.append(await wait_for(asyncio.sleep(5, "in time"), 10))
        started = loop.time()
        with pytest.raises(TimeoutError):
            await wait_for(asyncio.sleep(50), 10)
        seen.append(loop.time() - started)  # a loop timer: the virtual clock jumps to it
        shielded = loop.create_future()
        with pytest.raises(TimeoutError):
            await wait_for(asyncio.shield(shielded), 1)
        seen.append(shielded.cancelled())  # the shield kept it
        plain = loop.create_future()
        with pytest.raises(TimeoutError):
            await wait_for(plain, 1)
        seen.append(plain.cancelled())

        async def stubborn() -> str:
            try:
                await asyncio.sleep(50)
            except asyncio.CancelledError:
                return "kept"
            return "slept"

        seen.append(await wait_for(stubborn(), 1))  # a result despite the timeout is returned
        ran = []

        async def never() -> None:
            ran.append(True)

        with pytest.raises(TimeoutError):
            await wait_for(never(), 0)  # a timeout of 0 does not start a coroutine
        seen.append(ran)
        done = loop.create_future()
        done.set_result("ready")
        seen.append(await wait_for(done, 0))
        seen.append(await wait_for(asyncio.sleep(1, "no limit"), None))
        return seen

    assert _on_loop(main()) == ["in time", 10, False, True, "kept", [], "ready", "no limit"]


def test_a_timeout_inside_a_timeout_is_the_inner_ones():
    async def main() -> str:
        try:
            await wait_for(wait_for(asyncio.sleep(50), 5), 10)
        except TimeoutError:
            return "inner timed out"
        return "no timeout"

    assert _on_loop(main()) == "inner timed out"
