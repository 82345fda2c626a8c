"""Python handlers the test server binds with ``--resource`` (a workflow's Lambda and Lambda's Invoke)."""

from __future__ import annotations

from typing import Any


def double(event: dict[str, Any]) -> dict[str, Any]:
    return {"doubled": event["n"] * 2}


def explode(event: Any) -> None:
    raise ValueError("boom")
