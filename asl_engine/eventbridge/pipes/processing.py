"""One batch's way through a pipe: filter, enrichment, target input, target, and which records failed.

As AWS documents it: records that match no filter are dropped (for SQS,
deleted); Lambda and Step Functions receive the whole batch as one JSON array,
even a batch of one; input templates apply to each record, not the array; an
enrichment may return a longer or shorter array; SQS, SNS and event-bus
targets get their batch APIs in chunks of 10; a Lambda or Step Functions
target may name the records to retry with ``{"batchItemFailures":
[{"itemIdentifier": messageId}]}``; any other failure retries the whole batch.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidEventPatternError, ValidationError
from ..patterns import EventMatcher
from .environment import PipeEnvironment, PipeFailure, Record
from .template import PipeTemplate

CHUNK = 10  # SendMessageBatch, PublishBatch and PutEvents take 10 entries
_STREAM_PARAMETERS = {"kinesis": "KinesisStreamParameters", "dynamodb": "DynamoDBStreamParameters"}


@dataclass(frozen=True)
class CompiledPipe:
    """The parts of a pipe's configuration that are checked once: filters and input templates."""

    filters: EventMatcher | None
    enrichment_template: PipeTemplate | None
    target_template: PipeTemplate | None
    batch_size: int
    batching_window: int


def compile_pipe(spec: Mapping[str, Any]) -> CompiledPipe:
    """Compiles what CreatePipe/UpdatePipe must refuse when bad (ValidationException)."""
    source = spec.get("SourceParameters") or {}
    patterns = [f.get("Pattern") for f in (source.get("FilterCriteria") or {}).get("Filters") or []]
    matcher = None
    if patterns:
        matcher = EventMatcher()
        for i, pattern in enumerate(patterns):
            try:
                matcher.add_rule(i, pattern or "{}")
            except InvalidEventPatternError as e:
                raise ValidationError(f"Parameter FilterCriteria.Filters[{i}].Pattern is not valid. "
                                      f"Reason: {e.reason}") from None
    stream_key = _STREAM_PARAMETERS.get(_service(spec["Source"]))
    stream = source.get(stream_key) if stream_key else None
    if stream_key and not stream:
        raise ValidationError(f"SourceParameters.{stream_key}.StartingPosition is required for a stream source.")
    batching = stream or source.get("SqsQueueParameters") or {}
    batch_size = batching.get("BatchSize", 100 if stream else 10)
    window = batching.get("MaximumBatchingWindowInSeconds", 0)
    if not stream and batch_size > 10 and window < 1:
        raise ValidationError("MaximumBatchingWindowInSeconds must be at least 1 when BatchSize is greater than 10.")
    return CompiledPipe(matcher, _template(spec, "EnrichmentParameters"), _template(spec, "TargetParameters"),
                        batch_size, window)


def _template(spec: Mapping[str, Any], key: str) -> PipeTemplate | None:
    text = (spec.get(key) or {}).get("InputTemplate")
    return PipeTemplate(text, f"{key}.InputTemplate") if text else None


def view(record: Any) -> Any:
    """The record as filters and templates see it: an SQS ``body`` or a Kinesis ``data`` that is JSON is parsed."""
    if not isinstance(record, dict):
        return record
    if isinstance(record.get("body"), str):
        key, text = "body", record["body"]
    elif record.get("eventSource") == "aws:kinesis" and isinstance(record.get("data"), str):
        key, text = "data", _base64_text(record["data"])
    else:
        return record
    try:
        parsed = json.loads(text)
    except ValueError:
        return record
    return {**record, key: parsed} if isinstance(parsed, dict | list) else record


def _base64_text(data: str) -> str:
    try:
        return base64.b64decode(data).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


class PipeProcessor:
    """Runs batches through one pipe (``spec`` as DescribePipe has it) against ``env``."""

    def __init__(self, spec: Mapping[str, Any], compiled: CompiledPipe, env: PipeEnvironment) -> None:
        self.spec = spec
        self.compiled = compiled
        self.env = env
        self._reserved = {"pipe-arn": spec["Arn"], "pipe-name": spec["Name"], "source-arn": spec["Source"],
                          "enrichment-arn": spec.get("Enrichment") or "", "target-arn": spec["Target"]}

    def matches(self, record: Record) -> bool:
        matcher = self.compiled.filters
        return matcher is None or bool(matcher.matching_rules(view(record)))

    async def process(self, records: Sequence[Record], record_ids: Sequence[str]) -> set[str]:
        """Delivers a batch; returns the ids (of ``record_ids``) to retry, empty when the batch went through."""
        ids = set(record_ids)
        try:
            events = await self._enrich(list(records))
            if not events:
                return set()
            failed = await self._deliver(events)
        except PipeFailure:
            return ids
        return failed if failed <= ids else ids  # an identifier that names no record fails the batch

    async def _enrich(self, records: list[Record]) -> list[Any]:
        arn = self.spec.get("Enrichment")
        if not arn:
            return list(records)
        template = self.compiled.enrichment_template
        inputs = [_value(template.render(view(r), self._reserved)) if template else r for r in records]
        payload = json.dumps(inputs)
        service = _service(arn)
        if service == "lambda":
            answer = await self.env.invoke_function(arn, payload, wait=True)
        elif service == "states":
            answer = await self.env.run_state_machine(arn, payload, wait=True)
        else:
            raise PipeFailure(f"asl serve cannot call enrichment {arn}")
        result = json.loads(answer) if answer else None
        if result is None:
            return []
        return result if isinstance(result, list) else [result]

    def _inputs(self, events: list[Any]) -> list[str]:
        template = self.compiled.target_template
        return [template.render(view(e), self._reserved) if template else json.dumps(e) for e in events]

    async def _deliver(self, events: list[Any]) -> set[str]:
        arn, texts = self.spec["Target"], self._inputs(events)
        service, parameters = _service(arn), self.spec.get("TargetParameters") or {}
        if service in ("lambda", "states"):
            key = "LambdaFunctionParameters" if service == "lambda" else "StepFunctionStateMachineParameters"
            wait = (parameters.get(key) or {}).get("InvocationType", "REQUEST_RESPONSE" if service == "lambda"
                                                    else "FIRE_AND_FORGET") == "REQUEST_RESPONSE"
            payload = json.dumps([_value(t) for t in texts])
            call = self.env.invoke_function if service == "lambda" else self.env.run_state_machine
            return _batch_item_failures(await call(arn, payload, wait))
        for start in range(0, len(texts), CHUNK):
            self._send(service, arn, texts[start:start + CHUNK], parameters)
        return set()

    def _send(self, service: str, arn: str, texts: list[str], parameters: Mapping[str, Any]) -> None:
        """One batch API call; an entry that fails fails the batch (the records are not told apart)."""
        try:
            if service == "sqs":
                sqs = self.env.client("sqs")
                url = sqs.get_queue_url(QueueName=arn.split(":")[5], QueueOwnerAWSAccountId=arn.split(":")[4])
                extra = {k: v for k, v in (parameters.get("SqsQueueParameters") or {}).items() if v}
                entries = [{"Id": str(i), "MessageBody": t, **extra} for i, t in enumerate(texts)]
                failed = sqs.send_message_batch(QueueUrl=url["QueueUrl"], Entries=entries).get("Failed")
            elif service == "sns":
                entries = [{"Id": str(i), "Message": t} for i, t in enumerate(texts)]
                failed = self.env.client("sns").publish_batch(TopicArn=arn, PublishBatchRequestEntries=entries) \
                    .get("Failed")
            elif service == "events":
                bus = parameters.get("EventBridgeEventBusParameters") or {}
                entries = [{"EventBusName": arn, "Source": bus.get("Source") or f"Pipe {self.spec['Name']}",
                            "DetailType": bus.get("DetailType") or f"Event from {_event_source(self.spec)}",
                            "Detail": t,  # PutEvents refuses a Detail that is not a JSON object
                            **({"Resources": bus["Resources"]} if bus.get("Resources") else {})} for t in texts]
                failed = self.env.put_events(entries).get("FailedEntryCount")
            else:
                raise PipeFailure(f"asl serve cannot deliver to target {arn}")
        except PipeFailure:
            raise
        except Exception as e:  # a client error: the whole batch is retried
            raise PipeFailure(f"{type(e).__name__}: {e}") from e
        if failed:
            raise PipeFailure(f"{service} refused part of the batch: {failed}")


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) >= 6 else ""


def _event_source(spec: Mapping[str, Any]) -> str:
    return f"aws:{_service(spec['Source'])}"


def _value(text: str) -> Any:
    """A rendered template as JSON when it is JSON, else as the string it is."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _batch_item_failures(answer: str | None) -> set[str]:
    """The records a Lambda or Step Functions target asked to retry (none when it answered otherwise)."""
    try:
        result = json.loads(answer) if answer else None
    except ValueError:
        return set()
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not isinstance(failures, list):
        return set()
    return {str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)}
