"""Where AWS calls go: one factory of boto3 clients for a whole run.

``moto`` (the default) serves every service in-process with no account;
``aws`` uses the standard credential chain; an ``endpoint_url`` points every
client at any compatible endpoint (LocalStack, ``asl serve``, moto's server).
Tests swap the whole backend with one object instead of patching clients.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from asl_engine.integrations.services import moto_gaps

_MOTO_LOCK = threading.Lock()
_moto_mock: Any = None


def start_moto() -> None:
    """moto patches botocore process-wide: start it once and leave it on."""
    global _moto_mock
    with _MOTO_LOCK:
        if _moto_mock is None:
            from moto import mock_aws

            _moto_mock = mock_aws()
            _moto_mock.start()


class ClientFactory:
    """Makes (and caches) boto3 clients for one backend: ``moto``, ``aws`` or an endpoint URL."""

    def __init__(self, backend: str = "moto", *, endpoint_url: str | None = None, region: str = "us-east-1",
                 account: str = "123456789012") -> None:
        if backend not in ("moto", "aws", "endpoint"):
            raise ValueError(f"backend must be 'moto', 'aws' or 'endpoint', not {backend!r}")
        if backend == "endpoint" and not endpoint_url:
            raise ValueError("backend 'endpoint' needs endpoint_url")
        self.backend = backend
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._buses: dict[tuple[str, str], Any] = {}
        # a host with EventBridge of its own (asl serve) answers events:putEvents with the buses its API shows
        self.bus_provider: Callable[[str, str], Any] | None = None
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None, account: str | None = None) -> Any:
        """A client in ``region`` (default: the factory's); on moto, acting in ``account`` (default: the
        factory's): a workflow's calls belong to its state machine's account, as its credentials would on AWS."""
        region = region or self.region
        account = account or self.account
        key = (service, region, account)
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None:
                return cached
            import boto3
            from botocore.config import Config

            kwargs: dict[str, Any] = {"region_name": region}
            if self.backend == "moto":
                start_moto()
                kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
            elif self.backend == "endpoint":
                kwargs.update(endpoint_url=self.endpoint_url, aws_access_key_id="testing",
                              aws_secret_access_key="testing")
            # checksums as Step Functions' SDK uses them: computed for uploads, not requested on downloads
            kwargs["config"] = Config(response_checksum_validation="when_required")
            if self.backend == "moto":  # moto routes DynamoDB Streams only at the regional endpoint, not the account's
                kwargs["config"] = kwargs["config"].merge(Config(account_id_endpoint_mode="disabled"))
            client = boto3.session.Session().client(service, **kwargs)
            if self.backend == "moto":
                # moto serves every account in one process (the header is how it is told which)
                client.meta.events.register("before-sign", functools.partial(_moto_account, account))
                moto_gaps.register(client)
            self._clients[key] = client
            return client

    def event_bus(self, region: str | None = None, account: str | None = None) -> Any:
        """What answers ``events:putEvents``: on moto, this runtime's own EventBridge (one per region and
        account), because moto accepts a Detail that is not a JSON object where AWS fails the entry as
        MalformedDetail; the boto3 ``events`` client on every other backend. Rules meant to see those events
        are put on this same object (``event_bus(region).put_rule(...)``), not on moto's."""
        region = region or self.region
        account = account or self.account
        if self.backend != "moto":
            return self.client("events", region)
        if self.bus_provider is not None:
            return self.bus_provider(region, account)
        from asl_engine.eventbridge.service import EventBridge

        with self._lock:
            bus = self._buses.get((region, account))
            if bus is None:
                bus = self._buses[(region, account)] = EventBridge(account=account, region=region)
            return bus


def _moto_account(account: str, request: Any, **_: Any) -> None:
    request.headers["x-moto-account-id"] = account
