"""A pipe's InputTemplate, rendered by the rule targets' InputTransformer code.

Pipes write JSONPath straight into the placeholder (``<$.body.orderId>``) and
have their own reserved names (``<aws.pipes.pipe-arn>``...), but place values
exactly as rule input transformers do (JSON outside a string, text inside one).
So the template is rewritten once into an InputTransformer over a document
``{"event": ..., "pipe": {...}}`` and rendered by ``transform.TargetInput``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ValidationError
from ..transform import DeliveryContext, TargetInput

_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_RESERVED = {
    "aws.pipes.pipe-arn": "$.pipe.pipe-arn",
    "aws.pipes.pipe-name": "$.pipe.pipe-name",
    "aws.pipes.source-arn": "$.pipe.source-arn",
    "aws.pipes.enrichment-arn": "$.pipe.enrichment-arn",
    "aws.pipes.target-arn": "$.pipe.target-arn",
    "aws.pipes.event.ingestion-time": "$.pipe.ingestion-time",
    "aws.pipes.event": "$.event",
    "aws.pipes.event.json": "$.event",
}


class PipeTemplate:
    """One InputTemplate (of the enrichment or the target), checked at CreatePipe and rendered per event."""

    def __init__(self, template: str, field: str) -> None:
        paths: dict[str, str] = {}

        def swap(match: re.Match[str]) -> str:
            name = match[1].strip()
            if name.startswith("$"):
                path = "$.event" + name[1:]
            elif name in _RESERVED:
                path = _RESERVED[name]
            else:
                raise ValidationError(f"{field} contains invalid placeholder {name}.")
            key = f"p{len(paths)}"
            paths[key] = path
            return f"<{key}>"

        rewritten = _PLACEHOLDER.sub(swap, template)
        self._input = TargetInput({"Id": field, "InputTransformer": {"InputTemplate": rewritten,
                                                                      "InputPathsMap": paths}})

    def render(self, event: Any, pipe: Mapping[str, str]) -> str:
        """The text the template makes of ``event``; ``pipe`` holds the reserved values (pipe-arn, ...)."""
        return self._input.render({"event": event, "pipe": dict(pipe)}, DeliveryContext("", ""))
