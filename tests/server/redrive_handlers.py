"""Handlers the redrive tests bind with ``--resource``: they count their calls and fail on demand.

State lives in files under the directory the task's input names (``dir``), so a test can break and fix a
task of a running ``asl serve`` and count how often each task ran, across restarts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def flaky(event: dict[str, Any]) -> dict[str, Any]:
    """Count a call of ``key``; fail while ``<dir>/<key>.broken`` exists."""
    folder, key = Path(event["dir"]), str(event["key"])
    counter = folder / f"{key}.calls"
    counter.write_text(str(calls(folder, key) + 1))
    if (folder / f"{key}.broken").exists():
        raise RuntimeError(f"{key} is broken")
    return {"key": key, "ok": True}


def deliver(event: Any) -> dict[str, Any]:
    """A callback's message, delivered: the task then waits for its token."""
    return {}


def calls(folder: Path, key: str) -> int:
    counter = folder / f"{key}.calls"
    return int(counter.read_text()) if counter.exists() else 0
