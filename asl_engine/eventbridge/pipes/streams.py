"""Stream sources (Kinesis, DynamoDB Streams): every shard read from StartingPosition, failed batches retried in order.

A failed batch is offered again before anything newer (a stream keeps its
order), until MaximumRetryAttempts or MaximumRecordAgeInSeconds (-1: no
limit, the default) runs out; then a message describing the batch (not its
data) goes to the DeadLetterConfig queue and the pipe moves on. The two
streams differ only in how shards are listed and read and in the record
shape, which the subclasses supply.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .environment import Record


class StreamSource:
    """``parameters`` are the pipe's KinesisStreamParameters or DynamoDBStreamParameters."""

    batch_info = ""  # the dead-letter message's key for the batch description

    def __init__(self, client: Any, arn: str, parameters: Mapping[str, Any], spec: Mapping[str, Any], sqs: Any,
                 time: Callable[[], float]) -> None:
        self._client = client
        self.arn = arn
        self._region = arn.split(":")[3]
        self._parameters = parameters
        self._spec = spec
        self._sqs = sqs
        self._time = time
        self._iterators: dict[str, str] | None = None
        self._again: list[Record] = []
        self._shard_of: dict[str, str] = {}  # record id -> the shard it was read from
        self._attempts: dict[str, int] = {}
        self._first_try: dict[str, float] = {}

    # -- what a stream supplies -------------------------------------------------------------
    def _shard_ids(self) -> list[str]:
        raise NotImplementedError

    def _iterator(self, shard: str, position: str, extra: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def _record(self, shard: str, record: Mapping[str, Any]) -> Record:
        raise NotImplementedError

    def record_id(self, record: Record) -> str:
        raise NotImplementedError

    def _arrival(self, record: Record) -> float:
        raise NotImplementedError

    # -- the source protocol ----------------------------------------------------------------
    def _shards(self) -> dict[str, str]:
        if self._iterators is None:
            position = self._parameters.get("StartingPosition", "LATEST")
            extra = {"Timestamp": self._parameters["StartingPositionTimestamp"]} if position == "AT_TIMESTAMP" else {}
            self._iterators = {shard: self._iterator(shard, position, extra) for shard in self._shard_ids()}
        return self._iterators

    def receive(self, limit: int) -> list[Record]:
        if self._again:
            records, self._again = self._again[:limit], self._again[limit:]
            return records
        records: list[Record] = []
        shards = self._shards()
        for shard, iterator in shards.items():
            if len(records) >= limit or not iterator:
                continue
            answer = self._client.get_records(ShardIterator=iterator, Limit=limit - len(records))
            shards[shard] = answer.get("NextShardIterator") or ""
            for raw in answer["Records"]:
                record = self._record(shard, raw)
                self._shard_of[self.record_id(record)] = shard
                records.append(record)
        return records

    def done(self, records: Sequence[Record]) -> None:
        for record in records:
            for seen in (self._attempts, self._first_try, self._shard_of):
                seen.pop(self.record_id(record), None)

    def retry(self, records: Sequence[Record]) -> None:
        """Offers the records again, unless the retry limits are spent: then they are dead-lettered."""
        if not records:
            return
        first = self.record_id(records[0])
        attempts = self._attempts[first] = self._attempts.get(first, 0) + 1
        started = self._first_try.setdefault(first, self._time())
        retries = self._parameters.get("MaximumRetryAttempts", -1)
        max_age = self._parameters.get("MaximumRecordAgeInSeconds", -1)
        if retries != -1 and attempts > retries:
            self._dead_letter(records, "RetryAttemptsExhausted")
        elif max_age != -1 and self._time() - started > max_age:
            self._dead_letter(records, "RecordAgeExceeded")
        else:
            self._again = list(records) + self._again
            return
        self.done(records)

    def _dead_letter(self, records: Sequence[Record], condition: str) -> None:
        queue = (self._parameters.get("DeadLetterConfig") or {}).get("Arn")
        if not queue:
            return
        name, account = queue.split(":")[5], queue.split(":")[4]
        url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        body = {"context": {"pipeArn": self._spec["Arn"], "condition": condition},
                self.batch_info: {"shardId": self._shard_of.get(self.record_id(records[0])),
                                  "startSequenceNumber": self.record_id(records[0]),
                                  "endSequenceNumber": self.record_id(records[-1]),
                                  "approximateArrivalOfFirstRecord": self._arrival(records[0]),
                                  "approximateArrivalOfLastRecord": self._arrival(records[-1]),
                                  "batchSize": len(records), "streamArn": self.arn}}
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


class KinesisSource(StreamSource):
    """Records as AWS documents them for Kinesis sources: ``data`` base64, ``eventID`` ``shardId:sequence``."""

    batch_info = "KinesisBatchInfo"

    @property
    def _stream(self) -> str:
        return self.arn.split(":", 5)[5].removeprefix("stream/")

    def _shard_ids(self) -> list[str]:
        return [s["ShardId"] for s in self._client.list_shards(StreamName=self._stream)["Shards"]]

    def _iterator(self, shard: str, position: str, extra: Mapping[str, Any]) -> str:
        return self._client.get_shard_iterator(StreamName=self._stream, ShardId=shard, ShardIteratorType=position,
                                               **extra)["ShardIterator"]

    def record_id(self, record: Record) -> str:
        return record["sequenceNumber"]

    def _arrival(self, record: Record) -> float:
        return record["approximateArrivalTimestamp"]

    def _record(self, shard: str, record: Mapping[str, Any]) -> Record:
        arrival = record.get("ApproximateArrivalTimestamp")
        return {
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self._spec["RoleArn"],
            "awsRegion": self._region,
            "eventSourceARN": self.arn,
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": _epoch(arrival),
        }


class DynamoDBStreamSource(StreamSource):
    """Records as DynamoDB Streams gives them (``eventName`` INSERT/MODIFY/REMOVE, ``dynamodb`` images)."""

    batch_info = "DDBStreamBatchInfo"

    def _shard_ids(self) -> list[str]:
        return [s["ShardId"] for s in self._client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]]

    def _iterator(self, shard: str, position: str, extra: Mapping[str, Any]) -> str:
        return self._client.get_shard_iterator(StreamArn=self.arn, ShardId=shard,
                                               ShardIteratorType=position)["ShardIterator"]

    def record_id(self, record: Record) -> str:
        return record["dynamodb"]["SequenceNumber"]

    def _arrival(self, record: Record) -> float:
        return record["dynamodb"].get("ApproximateCreationDateTime", 0.0)

    def _record(self, shard: str, record: Mapping[str, Any]) -> Record:
        change = dict(record["dynamodb"])
        if "ApproximateCreationDateTime" in change:
            change["ApproximateCreationDateTime"] = _epoch(change["ApproximateCreationDateTime"])
        return {"eventID": record["eventID"], "eventName": record["eventName"], "eventVersion": record["eventVersion"],
                "eventSource": "aws:dynamodb", "awsRegion": record.get("awsRegion", self._region),
                "dynamodb": change, "eventSourceARN": self.arn}


def _epoch(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value
