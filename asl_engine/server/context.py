"""Who is asking: the region and account every ARN of a request is built in.

One endpoint serves several accounts: a request's account is the one its
``x-moto-account-id`` header names (moto's own switch, so Step Functions and
the services moto answers on the same port agree), else its SigV4 access key
id when that is a 12-digit number (``AWS_ACCESS_KEY_ID=222222222222``, the
convention LocalStack documents), else the default account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asl_engine.state_machine import DEFAULT_ACCOUNT, DEFAULT_REGION

_SCOPE = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)"
                    r"/aws4_request")
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Caller:
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT  # moto's default account too, so ARNs line up across the one endpoint


def signing_scope(authorization: str) -> tuple[str, str] | None:
    """(region, service) from a SigV4 ``Authorization`` header; None when the request is not signed."""
    match = _SCOPE.search(authorization)
    return (match["region"], match["service"]) if match else None


def account_of(authorization: str, account_header: str = "") -> str:
    """The account a request acts in: its ``x-moto-account-id``, else a 12-digit access key id, else the default.

    Anything else (``testing``, an ``AKIA...`` key, no signature) is the default account, as before.
    """
    if _ACCOUNT.fullmatch(account_header):
        return account_header
    match = _SCOPE.search(authorization)
    if match is not None and _ACCOUNT.fullmatch(match["key"]):
        return match["key"]
    return DEFAULT_ACCOUNT

