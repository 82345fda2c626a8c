"""The Pipes API of one account and region: CreatePipe, DescribePipe, ListPipes, UpdatePipe, DeletePipe,
StartPipe, StopPipe and tags, with the AWS JSON shapes boto3's ``pipes`` client sends and receives.

A pipe's filters and input templates are compiled when it is created or
updated, so a bad one is refused then, not discovered at the first event.
The states a pipe passes through (CREATING, STARTING, ...) are what the
calls answer; locally the transition completes at once and ``on_change``
tells the supervisor to start or stop polling.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import EventBridgeError
from ..paging import page
from ..shapes import operation
from .processing import CompiledPipe, compile_pipe
from .sources import SOURCES

_SUMMARY = ("Name", "Arn", "DesiredState", "CurrentState", "StateReason", "CreationTime", "LastModifiedTime",
            "Source", "Target", "Enrichment")


class NotFoundError(EventBridgeError):
    code = "NotFoundException"


class ConflictError(EventBridgeError):
    code = "ConflictException"


@dataclass(eq=False)
class Pipe:
    spec: dict[str, Any]  # the pipe's configuration as DescribePipe returns it (without the states and times)
    compiled: CompiledPipe
    created: datetime
    modified: datetime
    current_state: str = "STOPPED"
    state_reason: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return self.spec["Arn"]

    @property
    def name(self) -> str:
        return self.spec["Name"]

    @property
    def running(self) -> bool:
        return self.current_state == "RUNNING"

    def describe(self) -> dict[str, Any]:
        out = {**copy.deepcopy(self.spec), "CurrentState": self.current_state, "CreationTime": self.created,
               "LastModifiedTime": self.modified}
        if self.state_reason:
            out["StateReason"] = self.state_reason
        if self.tags:
            out["Tags"] = dict(self.tags)
        return out

    def answer(self, transition: str) -> dict[str, Any]:
        """What Create/Update/Start/Stop/Delete answer: the state the pipe is passing through."""
        return {"Arn": self.arn, "Name": self.name, "DesiredState": self.spec["DesiredState"],
                "CurrentState": transition, "CreationTime": self.created, "LastModifiedTime": self.modified}


class Pipes:
    """Pipes of one account and region; ``on_change(pipe)`` follows every state change (None: deleted)."""

    def __init__(self, *, account: str, region: str, now: Callable[[], datetime],
                 on_change: Callable[[Pipe], None] | None = None) -> None:
        self.account = account
        self.region = region
        self._now = now
        self._on_change = on_change or (lambda pipe: None)
        self.pipes: dict[str, Pipe] = {}

    def _get(self, name: str) -> Pipe:
        pipe = self.pipes.get(name)
        if pipe is None:
            raise NotFoundError(f"Pipe {name} does not exist.")
        return pipe

    def _settle(self, pipe: Pipe) -> None:
        """The transition completes: a pipe whose source cannot be polled here fails visibly instead."""
        source_service = pipe.spec["Source"].split(":")[2] if pipe.spec["Source"].count(":") >= 5 else ""
        if pipe.spec["DesiredState"] == "STOPPED":
            pipe.current_state, pipe.state_reason = "STOPPED", None
        elif source_service not in SOURCES:
            pipe.current_state = "CREATE_FAILED"
            pipe.state_reason = f"asl serve polls {', '.join(SOURCES)} sources only, not {source_service!r}"
        else:
            pipe.current_state, pipe.state_reason = "RUNNING", None
        self._on_change(pipe)

    @operation("CreatePipe", "pipes")
    def create_pipe(self, **request: Any) -> dict[str, Any]:
        name = request["Name"]
        if name in self.pipes:
            raise ConflictError(f"Pipe {name} already exists.")
        spec = {k: copy.deepcopy(v) for k, v in request.items() if k != "Tags"}
        spec["Arn"] = f"arn:aws:pipes:{self.region}:{self.account}:pipe/{name}"
        spec.setdefault("DesiredState", "RUNNING")
        now = self._now()
        pipe = Pipe(spec, compile_pipe(spec), now, now, tags=dict(request.get("Tags") or {}))
        self.pipes[name] = pipe
        answer = pipe.answer("CREATING")
        self._settle(pipe)
        return answer

    @operation("DescribePipe", "pipes")
    def describe_pipe(self, **request: Any) -> dict[str, Any]:
        return self._get(request["Name"]).describe()

    @operation("ListPipes", "pipes")
    def list_pipes(self, **request: Any) -> dict[str, Any]:
        def wanted(pipe: Pipe) -> bool:
            spec = pipe.spec
            return (spec["Name"].startswith(request.get("NamePrefix") or "")
                    and spec["Source"].startswith(request.get("SourcePrefix") or "")
                    and spec["Target"].startswith(request.get("TargetPrefix") or "")
                    and request.get("DesiredState") in (None, spec["DesiredState"])
                    and request.get("CurrentState") in (None, pipe.current_state))

        summaries = [{k: v for k, v in p.describe().items() if k in _SUMMARY}
                     for _, p in sorted(self.pipes.items()) if wanted(p)]
        items, token = page(summaries, request.get("NextToken"), request.get("Limit"))
        return {"Pipes": items, **({"NextToken": token} if token else {})}

    @operation("UpdatePipe", "pipes")
    def update_pipe(self, **request: Any) -> dict[str, Any]:
        """Fields not given are kept; inside *Parameters, each service's object given replaces the old one whole."""
        pipe = self._get(request["Name"])
        spec = copy.deepcopy(pipe.spec)
        for key, value in request.items():
            if key.endswith("Parameters") and isinstance(value, Mapping):
                spec[key] = {**spec.get(key, {}), **copy.deepcopy(dict(value))}
            else:
                spec[key] = copy.deepcopy(value)
        compiled = compile_pipe(spec)  # refuse before anything changes
        pipe.spec, pipe.compiled, pipe.modified = spec, compiled, self._now()
        answer = pipe.answer("UPDATING")
        self._settle(pipe)
        return answer

    @operation("DeletePipe", "pipes")
    def delete_pipe(self, **request: Any) -> dict[str, Any]:
        pipe = self._get(request["Name"])
        del self.pipes[pipe.name]
        answer = pipe.answer("DELETING")
        pipe.current_state = "DELETING"
        self._on_change(pipe)
        return answer

    @operation("StartPipe", "pipes")
    def start_pipe(self, **request: Any) -> dict[str, Any]:
        return self._set_desired(request["Name"], "RUNNING", "STARTING")

    @operation("StopPipe", "pipes")
    def stop_pipe(self, **request: Any) -> dict[str, Any]:
        return self._set_desired(request["Name"], "STOPPED", "STOPPING")

    def _set_desired(self, name: str, desired: str, transition: str) -> dict[str, Any]:
        pipe = self._get(name)
        pipe.spec["DesiredState"], pipe.modified = desired, self._now()
        answer = pipe.answer(transition)
        self._settle(pipe)
        return answer

    # -- tags ------------------------------------------------------------------------------
    def _by_arn(self, arn: str) -> Pipe:
        pipe = self.pipes.get(arn.rsplit("/", 1)[-1])
        if pipe is None or pipe.arn != arn:
            raise NotFoundError(f"Resource {arn} does not exist.")
        return pipe

    @operation("TagResource", "pipes")
    def tag_resource(self, **request: Any) -> dict[str, Any]:
        self._by_arn(request["resourceArn"]).tags.update(request["tags"])
        return {}

    @operation("UntagResource", "pipes")
    def untag_resource(self, **request: Any) -> dict[str, Any]:
        tags = self._by_arn(request["resourceArn"]).tags
        for key in request["tagKeys"]:
            tags.pop(key, None)
        return {}

    @operation("ListTagsForResource", "pipes")
    def list_tags_for_resource(self, **request: Any) -> dict[str, Any]:
        return {"tags": dict(self._by_arn(request["resourceArn"]).tags)}
