"""A handler the Distributed Map crash test binds with ``--resource``: slow enough to be killed mid-run.

It waits in a thread (the virtual clock cannot skip that, and the service's loop goes on meanwhile), then
counts its call per item in files as ``redrive_handlers.flaky`` does, so a test can tell which items ran
again after a restart.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.server.redrive_handlers import flaky

SECONDS = 0.05  # per item: with 10 at once, 200 items take a second of real time


async def slow(event: dict[str, Any]) -> dict[str, Any]:
    await asyncio.to_thread(time.sleep, SECONDS)
    return flaky(event)
