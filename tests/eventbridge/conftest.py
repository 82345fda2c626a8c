"""Fixtures of the EventBridge tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws


@pytest.fixture
def aws() -> Iterator[None]:
    """moto for every AWS call of the test (targets, dead-letter queues)."""
    with mock_aws():
        yield
