"""A Distributed Map's ResultWriter: shapes the child executions' results and exports them to S3.

With ``Resource`` (``arn:aws:states:::s3:putObject``) the Map Run writes, under
``<Prefix>/<map run id>/``, ``SUCCEEDED_0.json`` and ``FAILED_0.json`` (each
only if some child ended so) and a ``manifest.json`` listing them, and the
Map's result becomes ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``
(AWS's shape). ``WriterConfig.Transformation`` shapes the succeeded results:
NONE (each child execution's description; the default when exporting),
COMPACT (their outputs) or FLATTEN (outputs, arrays spliced in); a failed child
is always described in full, as AWS's docs say. ``OutputType`` JSONL writes
one result per line. Without ``Resource`` the shaped list is the Map's result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from asl_engine import isotime
from asl_engine.definition import model as m
from asl_engine.errors import StatesError
from asl_engine.integrations.errors import ServiceFailure, sdk_error
from asl_engine.query.payload import compile_payload
from asl_engine.runtime.dataflow_jsonata import ScopeTemplate
from asl_engine.runtime.frame import Frame
from asl_engine.runtime.history import dumps

RESULT_WRITER_FAILED = "States.ResultWriterFailed"


@dataclass(slots=True)
class ChildExecution:
    """What the Map Run remembers of one child execution for the ResultWriter."""

    input: Any
    start: datetime
    stop: datetime
    output: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class ResultWriter:
    """A compiled ResultWriter."""

    __slots__ = ("output_type", "parameters", "resource", "transformation")

    def __init__(self, resource: str | None, parameters: Any, transformation: str, output_type: str) -> None:
        self.resource = resource
        self.parameters = parameters
        self.transformation = transformation
        self.output_type = output_type

    @classmethod
    def compile(cls, writer: m.ResultWriter, jsonata: bool) -> ResultWriter:
        template = writer.arguments if jsonata else writer.parameters
        parameters = None
        if template is not None:
            parameters = ScopeTemplate(template, "Arguments") if jsonata else compile_payload(template, "Parameters")
        config = writer.writer_config
        transformation = (config.transformation if config and config.transformation
                          else "NONE" if writer.resource else "COMPACT")
        return cls(writer.resource, parameters, transformation,
                   config.output_type if config and config.output_type else "JSON")

    async def result(self, frame: Frame, effective: Any, map_run_arn: str, children: list[ChildExecution]) -> Any:
        """The Map's result: the shaped results, or where they were exported to."""
        descriptions = _Descriptions(frame, map_run_arn)
        if self.resource is None:
            return self._shape(children, descriptions)
        run = frame.run
        params = self.parameters.evaluate(frame.scope(effective), run.services) if self.parameters else {}
        bucket = params.get("Bucket") if isinstance(params, dict) else None
        if not isinstance(bucket, str):
            raise StatesError(RESULT_WRITER_FAILED, "The ResultWriter parameters need a Bucket")
        prefix = params.get("Prefix") or ""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        folder = f"{prefix}{map_run_arn.rsplit(':', 1)[-1]}/"
        files: dict[str, list] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        succeeded = [c for c in children if c.succeeded]
        failed = [c for c in children if not c.succeeded]
        s3 = run.resources.clients.client("s3", run.region)
        for status, group, body in (("SUCCEEDED", succeeded, self._shape(succeeded, descriptions)),
                                    ("FAILED", failed, [descriptions(c) for c in failed])):
            if group:
                key = f"{folder}{status}_0.json"
                data = self._encode(body)
                await _put(run.clock, s3, bucket, key, data)
                files[status].append({"Key": key, "Size": len(data)})
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
        key = f"{folder}manifest.json"
        await _put(run.clock, s3, bucket, key, dumps(manifest).encode())
        return {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}

    def _shape(self, children: list[ChildExecution], describe: _Descriptions) -> list:
        if self.transformation == "NONE":
            return [describe(c) for c in children]
        shaped: list = []
        for child in children:
            if not child.succeeded:
                shaped.append(describe(child))
            elif self.transformation == "FLATTEN" and isinstance(child.output, list):
                shaped += child.output
            else:
                shaped.append(child.output)
        return shaped

    def _encode(self, results: list) -> bytes:
        if self.output_type == "JSONL":
            return "".join(dumps(r) + "\n" for r in results).encode()
        return dumps(results).encode()


class _Descriptions:
    """A child execution described as DescribeExecution would (the NONE transformation's entries)."""

    def __init__(self, frame: Frame, map_run_arn: str) -> None:
        head, _, tail = map_run_arn.partition(":mapRun:")
        parent = tail.rsplit(":", 1)[0]  # <state machine>/<label>
        self._execution_prefix = f"{head}:execution:{parent}:"
        self._state_machine_arn = f"{head}:stateMachine:{parent}"
        self._services = frame.run.services

    def __call__(self, child: ChildExecution) -> dict[str, Any]:
        name = self._services.uuid4()
        description: dict[str, Any] = {"ExecutionArn": self._execution_prefix + name, "Input": dumps(child.input),
                                       "InputDetails": {"Included": True}, "Name": name}
        if child.succeeded:
            description.update(Output=dumps(child.output), OutputDetails={"Included": True}, RedriveCount=0,
                               RedriveStatus="NOT_REDRIVABLE",
                               RedriveStatusReason="Execution is SUCCEEDED and cannot be redriven")
        else:
            description.update(Error=child.error, Cause=child.cause, RedriveCount=0,
                               RedriveStatus="REDRIVABLE_BY_MAP_RUN")
        description.update(StartDate=isotime.millis(child.start), StateMachineArn=self._state_machine_arn,
                           Status="SUCCEEDED" if child.succeeded else "FAILED", StopDate=isotime.millis(child.stop))
        return description


async def _put(clock: Any, s3: Any, bucket: str, key: str, body: bytes) -> None:
    try:
        with clock.busy():
            await asyncio.to_thread(s3.put_object, Bucket=bucket, Key=key, Body=body)
    except ClientError as exc:
        raise StatesError(RESULT_WRITER_FAILED,
                          sdk_error("S3", ServiceFailure.from_client_error(exc), True).cause) from None
    except BotoCoreError as exc:
        raise StatesError(RESULT_WRITER_FAILED, str(exc)) from None
