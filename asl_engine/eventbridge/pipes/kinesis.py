"""A Kinesis stream as a pipe source: every shard read from StartingPosition, records retried in order.

Records have the shape AWS documents for Kinesis sources (``data`` base64,
``sequenceNumber``, ``eventID`` ``shardId:sequence``...). A failed batch is
offered again before anything newer (a stream keeps its order), until
MaximumRetryAttempts or MaximumRecordAgeInSeconds (-1: no limit, the
default) runs out; then a message describing the batch goes to the
DeadLetterConfig queue and the pipe moves on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .environment import Record


class KinesisSource:
    def __init__(self, client: Any, stream_arn: str, parameters: Mapping[str, Any], spec: Mapping[str, Any],
                 sqs: Any, time: Callable[[], float]) -> None:
        self._client = client
        self.arn = stream_arn
        self._region = stream_arn.split(":")[3]
        self._stream = stream_arn.split(":", 5)[5].removeprefix("stream/")
        self._parameters = parameters
        self._spec = spec
        self._sqs = sqs
        self._time = time
        self._iterators: dict[str, str] | None = None
        self._again: list[Record] = []
        self._attempts: dict[str, int] = {}
        self._first_try: dict[str, float] = {}

    def _shards(self) -> dict[str, str]:
        if self._iterators is None:
            position = self._parameters.get("StartingPosition", "LATEST")
            extra = {"Timestamp": self._parameters["StartingPositionTimestamp"]} if position == "AT_TIMESTAMP" else {}
            shards = self._client.list_shards(StreamName=self._stream)["Shards"]
            self._iterators = {s["ShardId"]: self._client.get_shard_iterator(
                StreamName=self._stream, ShardId=s["ShardId"], ShardIteratorType=position, **extra)["ShardIterator"]
                for s in shards}
        return self._iterators

    def receive(self, limit: int) -> list[Record]:
        if self._again:
            records, self._again = self._again[:limit], self._again[limit:]
            return records
        records: list[Record] = []
        shards = self._shards()
        for shard, iterator in shards.items():
            if len(records) >= limit:
                break
            answer = self._client.get_records(ShardIterator=iterator, Limit=limit - len(records))
            shards[shard] = answer["NextShardIterator"]
            records += [self._record(shard, r) for r in answer["Records"]]
        return records

    def record_id(self, record: Record) -> str:
        return record["sequenceNumber"]

    def done(self, records: Sequence[Record]) -> None:
        for record in records:
            self._attempts.pop(self.record_id(record), None)
            self._first_try.pop(self.record_id(record), None)

    def retry(self, records: Sequence[Record]) -> None:
        """Offers the records again, unless the retry limits are spent: then they are dead-lettered."""
        if not records:
            return
        first = self.record_id(records[0])
        attempts = self._attempts[first] = self._attempts.get(first, 0) + 1
        started = self._first_try.setdefault(first, self._time())
        retries, max_age = self._parameters.get("MaximumRetryAttempts", -1), \
            self._parameters.get("MaximumRecordAgeInSeconds", -1)
        if retries != -1 and attempts > retries:
            self._dead_letter(records, "RetryAttemptsExhausted")
        elif max_age != -1 and self._time() - started > max_age:
            self._dead_letter(records, "RecordAgeExceeded")
        else:
            self._again = list(records) + self._again
            return
        self.done(records)

    def _dead_letter(self, records: Sequence[Record], condition: str) -> None:
        """The batch's description (not its data) to the dead-letter queue, as stream sources do."""
        queue = (self._parameters.get("DeadLetterConfig") or {}).get("Arn")
        if not queue:
            return
        name, account = queue.split(":")[5], queue.split(":")[4]
        url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        body = {"context": {"pipeArn": self._spec["Arn"], "condition": condition},
                "KinesisBatchInfo": {"shardId": records[0]["eventID"].split(":")[0],
                                     "startSequenceNumber": self.record_id(records[0]),
                                     "endSequenceNumber": self.record_id(records[-1]),
                                     "approximateArrivalOfFirstRecord": records[0]["approximateArrivalTimestamp"],
                                     "approximateArrivalOfLastRecord": records[-1]["approximateArrivalTimestamp"],
                                     "batchSize": len(records), "streamArn": self.arn}}
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

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
            "approximateArrivalTimestamp": arrival.timestamp() if isinstance(arrival, datetime) else arrival,
        }
