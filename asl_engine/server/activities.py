"""The activity actions, answered by the runtime's ``Activities`` (the queue activity Tasks wait on)."""

from __future__ import annotations

from typing import Any

from asl_engine.integrations.callbacks.activities import Activities
from asl_engine.server.context import Caller


class ActivityActions:
    """CreateActivity, DescribeActivity, ListActivities, DeleteActivity and the GetActivityTask long poll."""

    def __init__(self, activities: Activities) -> None:
        self.activities = activities

    def create_activity(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return self.activities.create_activity(params["name"], caller.region, caller.account)

    def describe_activity(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return self.activities.describe_activity(params["activityArn"])

    def delete_activity(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        self.activities.delete_activity(params["activityArn"])
        return {}

    def list_activities(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return self.activities.list_activities(params.get("maxResults") or 100, params.get("nextToken"),
                                               caller.region, caller.account)

    async def get_activity_task(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return await self.activities.get_activity_task_async(params["activityArn"], params.get("workerName"))
