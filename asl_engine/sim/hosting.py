"""The simulators of a host that serves moto: one per (account, region), on the host's clock and event sink.

The local stack, ``asl serve`` and ``asl run`` all put moto behind something
that lives for a while (a scenario, a server, a run) and has one clock.
Each needs the same thing: SageMaker and Batch answered by a ``Simulator``
on that clock, whatever account and region a request names, and the
services' state-change events handed to the host's EventBridge.  This is
that wiring, once: ``Simulators.attach`` makes moto's hooked requests for an
(account, region) nobody attached to create that pair's simulator on first
use (``moto_hooks.attach_factory``), all sharing one set of failure rules.

Requests reach moto on any thread (moto's server runs on a thread pool, the
engine's integrations call boto3 in ``asyncio.to_thread``), so once a loop
is known (``start``) events are delivered on it and each simulator follows
the clock there; before that (a template deployed before the server serves,
or ``asl run``, which has no loop to give) events go straight to the sink and
a simulator catches up with the clock on each request, which is when
``.sync`` polling looks.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Self

from asl_engine.sim import moto_hooks
from asl_engine.sim.context import Durations
from asl_engine.sim.events import EventSink
from asl_engine.sim.failures import FailureRules
from asl_engine.sim.simulator import ClockLike, Simulator


class Simulators:
    """Simulators made on demand for each (account, region) moto is asked about, on one clock and sink."""

    def __init__(self, clock: ClockLike, sink: EventSink | None = None, *, durations: Durations | None = None,
                 failures: FailureRules | None = None) -> None:
        self.clock = clock
        self.failures = failures or FailureRules()
        self._sink = sink
        self._loop: asyncio.AbstractEventLoop | None = None
        self._durations = durations
        self._lock = threading.Lock()
        self._simulators: dict[tuple[str, str], Simulator] = {}
        self._tasks: list[asyncio.Future[None]] = []

    def attach(self) -> Self:
        """From now on a hooked moto request of an unattached (account, region) gets a simulator."""
        moto_hooks.attach_factory(self._listener)
        return self

    def start(self) -> None:
        """On the running loop: events are delivered on it and every simulator (made or to be made) follows the
        clock there, so jobs progress and emit their events when nobody asks."""
        self._loop = asyncio.get_running_loop()
        with self._lock:
            for simulator in self._simulators.values():
                self._follow(simulator)

    def simulator(self, account: str, region: str) -> Simulator:
        """The simulator of ``account``/``region`` (made and attached on first use)."""
        with self._lock:
            found = self._simulators.get((account, region))
            if found is None:
                found = Simulator(self.clock, sink=self._deliver, account=account, region=region,
                                  durations=self._durations, failures=self.failures).attach()
                self._simulators[(account, region)] = found
                if self._loop is not None:
                    self._loop.call_soon_threadsafe(self._follow, found)
            return found

    def _listener(self, service: str, account: str, region: str) -> Any:
        """``moto_hooks``' factory: the new simulator attached itself, so its listener is found there."""
        self.simulator(account, region)
        return moto_hooks.listener_for(service, account, region)

    def _follow(self, simulator: Simulator) -> None:
        self._tasks.append(asyncio.ensure_future(simulator.follow()))

    def _deliver(self, event: dict[str, Any]) -> None:
        if self._sink is None:
            return
        if self._loop is None:
            self._sink(event)
        else:
            self._loop.call_soon_threadsafe(self._sink, event)

    def detach(self) -> None:
        """Leaves moto as it was: no factory, no simulator attached (the last made is detached first)."""
        moto_hooks.detach_factory(self._listener)
        with self._lock:
            for simulator in reversed(list(self._simulators.values())):
                simulator.detach()
            self._simulators.clear()

    async def close(self) -> None:
        """Stops following the clock and detaches."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.detach()


def attach_simulators(clock: ClockLike, sink: EventSink | None = None, *, durations: Durations | None = None,
                      failures: FailureRules | None = None) -> Simulators:
    """Attaches SageMaker and Batch simulators on ``clock`` to moto, emitting to ``sink``; see ``Simulators``."""
    return Simulators(clock, sink, durations=durations, failures=failures).attach()
