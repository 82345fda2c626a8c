"""Recorded cases that no backend can pass as given, each with the evidence the test checks.

The rule is to fix the engine and never the case; a case believed wrong is
reported with why, and the bars are asserted without it.  Each entry's
``premise`` is checked against the case file (so the list cannot hide an
engine bug behind a claim that is not true of the recording), and each listed
case must still fail: if one starts to pass, it leaves the list.

Three kinds, eleven cases:

- **Accounts written two ways.** The cross-account cases spell the recording's
  two accounts 111111111111 and 222222222222 in the definition and the input,
  while their own normalize rules expect them as 000000000000 and
  000000000002 (``<test_aws_account_id>``, ``<secondary_test_aws_account_id>``),
  and keep the trusted role ``arn:aws:iam::111111111111:role/cross-...`` as
  written.  The history echoes the definition's Lambda ARN and the input's
  state machine ARN, so it cannot hold both spellings.
- **Before Step Functions' redrive** (November 2023): ``states:startExecution.sync``
  recorded in 2023 returns the child's DescribeExecution without
  ``RedriveCount``; the same integration recorded in December 2024
  (credentials/) and October 2025 (local_mocking/) carries it, as AWS does now.
  ``delegate_timeout`` also needs the originating test's wait-60-seconds
  function, which its ``lambda_functions`` leaves out.
- **Before the SDK's attempt count** (aws-sdk-java-v2 #5834, 2025-01-28): the
  aws-sdk causes recorded in 2023 and on 2025-01-22 end at the request ids;
  the ones recorded in November 2025 end with ``(SDK Attempt Count: 1)``, as
  AWS does now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Problem:
    why: str
    premise: Callable[[dict], bool]  # true of the case file when the problem is as described


def _recorded_before(case: dict, day: str) -> bool:
    recorded = datetime.strptime(case["source"]["recorded_date"], "%d-%m-%Y, %H:%M:%S")
    return recorded < datetime.fromisoformat(day)


def _accounts_two_ways(case: dict) -> bool:
    rules = {r.get("value") for r in case.get("normalize") or [] if r.get("role") == "regex"}
    written = case["definition"] + case.get("input", "")
    return {"000000000000", "000000000002"} <= rules and ("111111111111" in written or "222222222222" in written)


def _before_redrive(case: dict) -> bool:
    return _recorded_before(case, "2023-11-15") and "RedriveCount" not in json.dumps(case["expected"])


def _before_attempt_count(case: dict) -> bool:
    expected = json.dumps(case["expected"])
    return _recorded_before(case, "2025-01-28") and "(Service: " in expected and "SDK Attempt Count" not in expected


ACCOUNTS = Problem("accounts written 111111111111/222222222222 in the definition and input, "
                   "000000000000/000000000002 in the normalize rules", _accounts_two_ways)
REDRIVE = Problem("recorded before Step Functions' redrive: no RedriveCount in the child's description",
                  _before_redrive)
ATTEMPTS = Problem("recorded before the SDK v2 appended '(SDK Attempt Count: N)' to service errors",
                   _before_attempt_count)

_CREDENTIALS = "tests/aws/services/stepfunctions/v2/credentials/test_credentials_base.py::TestCredentialsBase::"
_CALLBACK = "tests/aws/services/stepfunctions/v2/callback/test_callback.py::TestCallback::"
_AWS_SDK = "tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.py::TestAwsSdk::"
KNOWN: dict[str, Problem] = {
    _CREDENTIALS + "test_cross_account_lambda_task": ACCOUNTS,
    **{_CREDENTIALS + f"test_cross_account_states_start_sync_execution[SFN_START_EXECUTION_SYNC_ROLE_ARN_{how}]":
       ACCOUNTS for how in ("INTRINSIC", "JSONATA", "PATH")},
    **{_CALLBACK + name: REDRIVE for name in ("test_start_execution_sync", "test_start_execution_sync2",
                                              "test_start_execution_sync_delegate_failure",
                                              "test_start_execution_sync_delegate_timeout")},
    **{_AWS_SDK + name: ATTEMPTS for name in ("test_invalid_secret_name", "test_no_such_bucket",
                                              "test_s3_no_such_key")},
}


def without_known(results: list[dict]) -> list[dict]:
    """The results of the cases not listed here."""
    return [r for r in results if r["id"] not in KNOWN]
