"""Tags on state machines, aliases and activities."""

from __future__ import annotations

from typing import Any

from asl_engine.integrations.callbacks.activities import Activities
from asl_engine.server.arns import is_activity, parse_machine
from asl_engine.server.context import Caller
from asl_engine.server.errors import ApiError, resource_not_found
from asl_engine.store import Store

MAX_TAGS = 50


class Tags:
    """TagResource, UntagResource, ListTagsForResource; the resource must exist."""

    def __init__(self, store: Store, activities: Activities) -> None:
        self.store = store
        self.activities = activities

    def tag_resource(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = self._taggable(params["resourceArn"])
        self.store.set_tags(arn, _within_quota(self.store.get_tags(arn) | tag_dict(params["tags"])))
        return {}

    def untag_resource(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = self._taggable(params["resourceArn"])
        tags = self.store.get_tags(arn)
        self.store.set_tags(arn, {k: v for k, v in tags.items() if k not in set(params["tagKeys"])})
        return {}

    def list_tags_for_resource(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = self._taggable(params["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in self.store.get_tags(arn).items()]}

    def _taggable(self, arn: str) -> str:
        if is_activity(arn):
            try:
                self.activities.describe_activity(arn)
            except ApiError:
                raise resource_not_found(arn) from None
            return arn
        ref = parse_machine(arn, versions=False)
        exists = self.store.get_alias(arn) if ref.alias else self.store.get_state_machine(ref.arn)
        if exists is None:
            raise resource_not_found(arn)
        return arn


def tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    """CreateStateMachine's or TagResource's tag list as a dict (TooManyTags past AWS's quota)."""
    return _within_quota({t["key"]: t.get("value", "") for t in tags})


def _within_quota(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise ApiError("TooManyTags", f"Too many tags: the resource can have at most {MAX_TAGS}")
    return tags
