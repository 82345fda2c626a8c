"""moto's failures on asl serve's passthrough, answered in each protocol's error shape (botocore's parsers)."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser

from asl_engine.server.moto_bridge import _AwsErrors


def _answer(service: str, exception: Exception) -> tuple[int, dict[str, Any]]:
    """What ``_AwsErrors`` answers for a request signed for ``service`` when moto raises ``exception``."""
    def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise exception

    started: list[Any] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "",
               "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=test/20261127/us-east-1/{service}/aws4_request"}
    body = b"".join(_AwsErrors(failing)(environ, lambda status, headers: started.append((status, headers))))
    status, headers = started[0]
    model = botocore.session.get_session().get_service_model(service)
    parsed = create_parser(model.protocol).parse(
        {"status_code": int(status.split()[0]), "headers": dict(headers), "body": body}, None)
    return int(status.split()[0]), parsed


@pytest.mark.parametrize("service", ["s3", "batch", "sagemaker", "sqs", "ec2"])
def test_an_error_inside_moto_is_an_internal_failure_every_protocol_parses(service: str) -> None:
    status, parsed = _answer(service, KeyError("endpoints"))
    assert status == 500
    assert parsed["Error"]["Code"] == "InternalFailure"
    assert "KeyError" in parsed["Error"]["Message"]


def test_an_unimplemented_action_is_named_from_moto_s_message() -> None:
    status, parsed = _answer("s3", NotImplementedError("The put_bucket_magic action has not been implemented"))
    assert (status, parsed["Error"]["Code"]) == (501, "NotImplemented")
    assert "s3:PutBucketMagic" in parsed["Error"]["Message"]
