"""The service's concurrency claim, held in-process on one VirtualClock: a 10,000-item Map and 1,000 executions
each in a year-long Wait run as coroutines, not threads (no timing assertion: speed is measured in bench/)."""

from __future__ import annotations

import asyncio
import threading

from runtime_helpers import START, machine

from asl_engine import Services, VirtualClock

YEAR = 365 * 24 * 3600


def test_a_large_map_and_a_thousand_year_long_waits_share_a_few_threads() -> None:
    clock = VirtualClock(START)
    waiting = machine({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": YEAR, "End": True}}}, name="w")
    mapping = machine({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}, name="map")
    peak = [threading.active_count()]

    async def main() -> tuple[list, object]:
        waits = [asyncio.ensure_future(waiting.run_async({}, f"w{i}", clock, None, services=Services(seed=i)))
                 for i in range(1000)]
        await asyncio.sleep(1)
        peak.append(threading.active_count())
        big = await mapping.run_async({"items": list(range(10_000))}, "map", clock, None, services=Services(seed=1))
        peak.append(threading.active_count())
        return await asyncio.gather(*waits), big

    waits, big = clock.run(main())
    assert (big.status, big.error, big.cause) == ("SUCCEEDED", None, None)
    assert len(big.output) == 10_000
    assert [w.status for w in waits] == ["SUCCEEDED"] * 1000
    assert all((w.stop_date - w.start_date).total_seconds() >= YEAR for w in waits)
    assert max(peak) < 20, peak
