"""Who is asking: the region and account every ARN of a request is built in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from asl_engine.state_machine import DEFAULT_ACCOUNT, DEFAULT_REGION

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Caller:
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT  # moto's default account too, so ARNs line up across the one endpoint


def signing_scope(authorization: str) -> tuple[str, str] | None:
    """(region, service) from a SigV4 ``Authorization`` header; None when the request is not signed."""
    match = _SCOPE.search(authorization)
    return (match["region"], match["service"]) if match else None
