"""pytest fixtures for unit tests of workflows (registered through the ``pytest11`` entry point).

``asl_run`` runs a state machine with mocks, local handlers, a virtual clock
and an empty moto backend, so a test of a workflow is a few lines::

    def test_happy_path(asl_run):
        execution = asl_run("statemachine.asl.json", {"orderId": "1"},
                            mock_config="MockConfigFile.json", test_case="HappyPath")
        assert execution.status == "SUCCEEDED"
        assert execution.state_output("ChargeCard")["Payload"]["charged"] is True
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from asl_engine.integrations.clients import ClientFactory
from asl_engine.runtime.clock import VirtualClock
from asl_engine.testing import WorkflowRunner

# A fixed start makes $$.Execution.StartTime, timestamps and Wait deadlines the same on every run.
CLOCK_START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def asl_clock() -> VirtualClock:
    """Virtual time from 2024-01-01T00:00:00Z: Waits, retries and timeouts cost no real time."""
    return VirtualClock(CLOCK_START)


@pytest.fixture
def asl_aws() -> Iterator[ClientFactory]:
    """A ClientFactory on moto, whose AWS state starts empty for each test.

    The test's own boto3 calls go to the same moto (inside ``mock_aws``), so
    it can create the buckets, queues and tables a workflow expects.
    """
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    mock.reset()  # when moto already runs process-wide, starting again nests and keeps the old state
    try:
        yield ClientFactory("moto")
    finally:
        mock.stop()


@pytest.fixture
def asl_run(asl_clock: VirtualClock, asl_aws: ClientFactory) -> WorkflowRunner:
    """``asl_run(definition, input, mock_config=..., test_case=..., overrides=..., handlers=...)``."""
    return WorkflowRunner(asl_clock, asl_aws)
