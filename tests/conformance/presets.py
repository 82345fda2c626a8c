"""Normalizer presets that recorded cases name but the shared runner does not expand.

A case's ``normalize`` list may hold ``{"role": "preset", "name": ...}``: a
bundle of rules the recording applied before the case's own. The runner in
``../shared/conformance/tools`` skips presets, so the recorded placeholders
(``<m-d5-of-message-body:1>``, ``role/<resource:1>``) can never match. This
expands each preset into rules the runner knows, at the preset's place.
"""

from __future__ import annotations

import re
from typing import Any

# sfn_sqs_integration: SQS's per-message values become numbered references, and the resource name of the
# role ARN becomes <resource:N> before the case's role_arn rule runs (as every recording that names it shows).
_SQS_KEYS = ("ReceiptHandle", "TaskHandle", "SenderId", "SequenceNumber", "MD5OfMessageBody",
             "MD5OfMessageAttributes")


def with_presets(case: dict, observation: dict) -> dict:
    """``case`` with its presets expanded for ``observation`` (whose ``names`` give the role ARN)."""
    rules: list[dict[str, Any]] = []
    for rule in case.get("normalize") or []:
        if rule.get("role") == "preset" and rule.get("name") == "sfn_sqs_integration":
            rules += [{"role": "key_value", "key": key, "placeholder": _hyphenated(key), "replace_reference": True}
                      for key in _SQS_KEYS]
            # ARN resource names become <resource:N> in order: the case's topics (in its input), then the role
            names = [r["name"] for r in case.get("other_resources") or [] if r.get("kind") == "sns_topic"]
            role_arn = (observation.get("names") or {}).get("role_arn")
            if role_arn:
                names.append(role_arn.rsplit("/", 1)[-1])
            rules += [{"role": "regex", "value": re.escape(name), "placeholder": f"<resource:{i}>"}
                      for i, name in enumerate(names, 1)]
        elif rule.get("role") == "preset" and rule.get("name") == "dynamodb_api":
            rules.append({"role": "key_value", "key": "TableName", "placeholder": "<test-table>",
                          "replace_reference": False})
        else:
            rules.append(rule)
    return {**case, "normalize": rules}


def _hyphenated(key: str) -> str:
    """LocalStack's key_value placeholder: ``MD5OfMessageBody`` -> ``m-d5-of-message-body``."""
    return "".join("-" + c.lower() if c.isupper() else c for c in key).strip("-")
