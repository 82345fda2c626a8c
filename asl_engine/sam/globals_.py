"""SAM's Globals section merged into each resource as the SAM transform merges it.

Maps merge key by key, recursively (a function's Environment.Variables add
to the global ones and win on conflict); lists are the global items followed
by the resource's; any other value set on the resource replaces the global.
"""

from __future__ import annotations

from typing import Any

GLOBAL_SECTIONS = {"AWS::Serverless::Function": "Function", "AWS::Serverless::StateMachine": "StateMachine",
                   "AWS::Serverless::Api": "Api", "AWS::Serverless::HttpApi": "HttpApi",
                   "AWS::Serverless::SimpleTable": "SimpleTable"}


def merge(defaults: Any, own: Any) -> Any:
    if isinstance(defaults, dict) and isinstance(own, dict):
        return {**defaults, **{k: merge(defaults[k], v) if k in defaults else v for k, v in own.items()}}
    if isinstance(defaults, list) and isinstance(own, list):
        return [*defaults, *own]
    return own


def with_globals(template: dict[str, Any], kind: str, props: dict[str, Any]) -> dict[str, Any]:
    section = GLOBAL_SECTIONS.get(kind)
    defaults = ((template.get("Globals") or {}).get(section) or {}) if section else {}
    return merge(defaults, props)
