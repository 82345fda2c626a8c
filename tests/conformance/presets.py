"""Normalizer presets that recorded cases name but the shared runner does not expand.

A case's ``normalize`` list may hold ``{"role": "preset", "name": ...}``: a
bundle of rules the recording applied before the case's own. The runner in
``../shared/conformance/tools`` skips presets, so the recorded placeholders
(``<m-d5-of-message-body:1>``, ``role/<resource:1>``) can never match. This
expands each preset into rules the runner knows, at the preset's place.
"""

from __future__ import annotations

import json
import re
from typing import Any

# sfn_sqs_integration: SQS's per-message values become numbered references, and the resource name of every
# ARN becomes <resource:N> before the case's own rules run (so the role ARN keeps its prefix, as recorded).
_ARN = re.compile(r"arn:(?:aws[a-zA-Z-]*)?:(?:[a-zA-Z0-9-_.]+)?:(?:[^:]+)?:(?:\d{12}|aws)?:(.*)")
_SQS_KEYS = ("ReceiptHandle", "TaskHandle", "SenderId", "SequenceNumber", "MD5OfMessageBody",
             "MD5OfMessageAttributes")


def with_presets(case: dict, observation: dict) -> dict:
    """``case`` with its presets expanded for ``observation`` (whose ARNs name the ``<resource:N>``)."""
    rules: list[dict[str, Any]] = []
    for rule in case.get("normalize") or []:
        if rule.get("role") == "preset" and rule.get("name") == "sfn_sqs_integration":
            rules += [{"role": "key_value", "key": key, "placeholder": _hyphenated(key), "replace_reference": True}
                      for key in _SQS_KEYS]
            names = _arn_resource_names([observation.get("history") or [], observation.get("describe") or {}])
            rules += [{"role": "regex", "value": re.escape(name), "placeholder": f"<resource:{i}>"}
                      for i, name in enumerate(names, 1)]
        elif rule.get("role") == "preset" and rule.get("name") == "dynamodb_api":
            rules.append({"role": "key_value", "key": "TableName", "placeholder": "<test-table>",
                          "replace_reference": False})
        else:
            rules.append(rule)
    return {**case, "normalize": rules}


def _arn_resource_names(node: Any, names: list[str] | None = None) -> list[str]:
    """The resource name of every ARN in ``node``, in the order the recording's walk met them (events in
    order, each event's keys as AWS returns them, JSON text objects looked into), each name once.

    This is the preset's ``<resource:N>`` rule (LocalStack's ``_resource_name_transformer``): the name is
    the ARN's resource part after its last ``/``, else after its last ``:``, a function's without
    ``function:`` and its version."""
    names = [] if names is None else names
    if isinstance(node, str) and node.startswith("{"):
        try:
            node = json.loads(node)
        except ValueError:
            return names
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            _arn_resource_names(item, names)
        return names
    match = _ARN.match(node) if isinstance(node, str) else None
    if match:
        name = _resource_name(match.group(1))
        if name and name not in names:
            names.append(name)
    return names


def _resource_name(resource: str) -> str:
    if "/" in resource:
        return resource.rsplit("/", 1)[-1]
    if resource.startswith("function:"):
        return resource.removeprefix("function:").split("$", 1)[0].rstrip(":")
    return resource.rsplit(":", 1)[-1]


def _hyphenated(key: str) -> str:
    """LocalStack's key_value placeholder: ``MD5OfMessageBody`` -> ``m-d5-of-message-body``."""
    return "".join("-" + c.lower() if c.isupper() else c for c in key).strip("-")
