"""Where the AWS-recorded corpora live, and how a test skips cleanly without them."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONFORMANCE = SHARED / "conformance"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the AWS-recorded conformance corpora live in ../shared beside the "
                    "repository (clone it there to run these tests)")
    return path


@cache
def load_tool(name: str) -> ModuleType:
    """Import a runner from ../shared/conformance/tools, so scores mean the same thing everywhere."""
    path = require(CONFORMANCE / "tools" / f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_shared_{name}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module
