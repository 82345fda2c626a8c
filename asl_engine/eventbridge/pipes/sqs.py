"""An SQS queue as a pipe source: messages as the records Pipes passes on, deleted once delivered.

A record has the shape AWS documents for SQS sources (the Lambda SQS event
record: messageId, receiptHandle, body, attributes, messageAttributes,
md5OfBody, eventSource, eventSourceARN, awsRegion). A record that is not
deleted comes back after the queue's visibility timeout, which is how a
failed batch is retried and, through the queue's redrive policy, dead-lettered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RECEIVE_MAX = 10  # ReceiveMessage's MaxNumberOfMessages


class SqsSource:
    def __init__(self, client: Any, queue_arn: str) -> None:
        self._client = client
        self.arn = queue_arn
        _, _, _, self.region, self.account, self.name = queue_arn.split(":", 5)
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._client.get_queue_url(QueueName=self.name,
                                                   QueueOwnerAWSAccountId=self.account)["QueueUrl"]
        return self._url

    def receive(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` visible messages, without waiting (the poller decides when to ask again)."""
        records: list[dict[str, Any]] = []
        while len(records) < limit:
            messages = self._client.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=min(RECEIVE_MAX, limit - len(records)), WaitTimeSeconds=0,
                AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                break
            records += [self._record(m) for m in messages]
        return records

    def record_id(self, record: dict[str, Any]) -> str:
        return record["messageId"]

    def done(self, records: Sequence[dict[str, Any]]) -> None:
        """Delivered or filtered out: deleted from the queue."""
        for start in range(0, len(records), RECEIVE_MAX):
            chunk = records[start:start + RECEIVE_MAX]
            self._client.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)])

    def retry(self, records: Sequence[dict[str, Any]]) -> None:
        """Nothing to do: a message not deleted is visible again after the queue's visibility timeout."""

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {name: _attribute(value) for name, value in
                                  (message.get("MessageAttributes") or {}).items()},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.region,
        }


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute in the record's camelCase form."""
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = value["BinaryValue"]
    return out
