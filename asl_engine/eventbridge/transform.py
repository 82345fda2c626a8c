"""What a rule's target receives: Input, InputPath or InputTransformer, rendered as AWS does.

A target gets the whole event by default, the constant ``Input`` text, the
value ``InputPath`` selects, or an ``InputTransformer`` template with
``<placeholder>`` values filled in. AWS fills a placeholder differently by
where it stands in the template:

- outside a JSON string (``"id": <userId>``) the value goes in as JSON: a
  string gets quotes, an object stays an object;
- inside a JSON string (``"user <userId>"``, or a whole template that is one
  string) the value goes in as text: strings without quotes, objects and
  arrays flattened to ``{key:value,...}`` and ``[a,b]``;
- a path that selects nothing gives an empty string (``""`` outside a string).

Targets are validated once (``TargetInput(target)``) and rendered per event,
so paths are parsed once, not for every delivery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonpath_ng import parse as parse_jsonpath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.jsonpath import Child, Fields, Index, Root

from .errors import ValidationError

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
PREDEFINED = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})

_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_MISSING = object()


@dataclass(frozen=True)
class DeliveryContext:
    """What the predefined placeholders read besides the event itself."""

    rule_arn: str
    rule_name: str
    ingestion_time: str | None = None  # defaults to the event's "time"


class _Path:
    """A compiled JSONPath; ``definite`` paths yield one value, others a list of matches."""

    def __init__(self, text: str) -> None:
        self.expression = parse_jsonpath(text)
        self.definite = _is_definite(self.expression)

    def select(self, document: object) -> object:
        matches = [m.value for m in self.expression.find(document)]
        if self.definite:
            return matches[0] if matches else _MISSING
        return matches


def _is_definite(node: object) -> bool:
    if isinstance(node, Root):
        return True
    if isinstance(node, Child):
        return _is_definite(node.left) and _is_definite(node.right)
    if isinstance(node, Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, Index):
        return len(getattr(node, "indices", (getattr(node, "index", 0),))) == 1
    return False


def _compile_path(text: str, target_id: str, field: str) -> _Path:
    try:
        return _Path(text)
    except (JsonPathParserError, JsonPathLexerError, ValueError, AttributeError) as exc:
        raise ValidationError(f"{field} for target {target_id} is not a valid JSON path: {text}.") from exc


def _raw_text(value: object) -> str:
    """A value as AWS writes it inside a string: no quotes anywhere, JSON escapes kept valid."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if isinstance(value, dict):
        return "{" + ",".join(f"{_raw_text(k)}:{_raw_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_raw_text(v) for v in value) + "]"
    return json.dumps(value)


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_TEXT, _AS_TEXT, _AS_JSON = "text", "as-text", "as-json"


def _template_parts(template: str) -> list[tuple[str, str]]:
    """Splits a template into (kind, text): literal text, or a placeholder rendered as text or JSON."""
    parts: list[tuple[str, str]] = []
    in_string = False
    literal_start = 0
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and in_string:
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        elif ch == "<":
            match = _PLACEHOLDER.match(template, i)
            if match:
                parts.append((_TEXT, template[literal_start:i]))
                parts.append((_AS_TEXT if in_string else _AS_JSON, match.group(1)))
                literal_start = i = match.end()
                continue
        i += 1
    parts.append((_TEXT, template[literal_start:]))
    return parts


class TargetInput:
    """A target's input settings, validated as PutTargets does, ready to render per event."""

    def __init__(self, target: Mapping[str, Any]) -> None:
        target_id = str(target.get("Id", ""))
        given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
        if len(given) > 1:
            raise ValidationError(
                f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
            )
        self._mode = given[0] if given else None
        self._input: str | None = None
        self._path: _Path | None = None
        self._paths: dict[str, _Path] = {}
        self._parts: list[tuple[str, str]] = []
        if self._mode == "Input":
            self._input = target["Input"]
            try:
                json.loads(self._input)
            except ValueError:
                raise ValidationError(f"Input for target {target_id} is not a valid JSON text.") from None
        elif self._mode == "InputPath":
            self._path = _compile_path(target["InputPath"], target_id, "InputPath")
        elif self._mode == "InputTransformer":
            self._compile_transformer(target["InputTransformer"], target_id)

    def _compile_transformer(self, transformer: Mapping[str, Any], target_id: str) -> None:
        paths = transformer.get("InputPathsMap") or {}
        self._paths = {
            name: _compile_path(path, target_id, f"InputPathsMap value {name}") for name, path in paths.items()
        }
        template = transformer.get("InputTemplate")
        if template is None:
            raise ValidationError(f"InputTemplate for target {target_id} is required.")
        self._parts = _template_parts(template)
        for kind, text in self._parts:
            if kind != _TEXT and text not in self._paths and text not in PREDEFINED:
                raise ValidationError(f"InputTemplate for target {target_id} contains invalid placeholder {text}.")

    def render(self, event: Mapping[str, Any], context: DeliveryContext) -> str:
        """The payload text the target receives for ``event``."""
        if self._mode is None:
            return json.dumps(event, ensure_ascii=False)
        if self._mode == "Input":
            return self._input  # type: ignore[return-value]
        if self._mode == "InputPath":
            value = self._path.select(event)  # type: ignore[union-attr]
            return _json_text(None if value is _MISSING else value)
        values = {name: path.select(event) for name, path in self._paths.items()}
        out: list[str] = []
        for kind, text in self._parts:
            if kind == _TEXT:
                out.append(text)
                continue
            value = values[text] if text in values else _predefined(text, event, context)
            if kind == _AS_TEXT:
                out.append("" if value is _MISSING else _raw_text(value))
            else:
                out.append('""' if value is _MISSING else _json_text(value))
        return "".join(out)


def _predefined(name: str, event: Mapping[str, Any], context: DeliveryContext) -> object:
    if name == RULE_ARN:
        return context.rule_arn
    if name == RULE_NAME:
        return context.rule_name
    if name == INGESTION_TIME:
        return context.ingestion_time or event.get("time", _MISSING)
    if name == EVENT:
        return {("detailType" if k == "detail-type" else k): v for k, v in event.items() if k != "detail"}
    return dict(event)
