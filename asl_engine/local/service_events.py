"""Events AWS services emit that moto does not, emitted from moto's backends to the local stack.

moto sends an S3 bucket's EventBridge notifications to *its own* EventBridge
(the local stack runs the engine's), keeps CloudWatch alarms where they are
when metric data arrives (it never evaluates them) and emits nothing when an
alarm changes state.  So that a scenario triggers the template's rules by
doing what would trigger them on AWS (putting an object, measuring a metric)
instead of injecting the events by hand, this module wraps, once per process,
the moto model methods every path goes through (boto3 under ``mock_aws``,
moto's server, and code that calls the backends directly):

- ``notifications._send_event_bridge_message``: S3 "Object Created" / "Object Deleted" for buckets with
  EventBridge notifications enabled;
- ``Alarm.update_state``: "CloudWatch Alarm State Change" whenever the state value changes;
- ``CloudWatchBackend.put_metric_data``: the alarms on the metric are evaluated (see ``evaluate``);
- ``SQSBackend.send_message(_batch)``: a pipe polling the queue is woken (SQS long polling answers at once).

Each call is handed to the listener attached for its (account, region); with none attached moto behaves
as its own.  Event shapes follow the AWS documentation pages cited at each builder.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

_lock = threading.Lock()
_listeners: dict[tuple[str, str], Listener] = {}
_installed = False


class Listener(Protocol):
    def now(self) -> datetime:
        """The stack's clock: the time events and state changes are stamped with."""

    def service_event(self, event: ServiceEvent) -> None:
        """The event to the account's default bus, from whichever thread made the request."""

    def message_sent(self, queue_arn: str) -> None:
        """A message arrived on ``queue_arn``."""


def attach(account: str, region: str, listener: Listener) -> None:
    install()
    with _lock:
        if _listeners.get((account, region)) not in (None, listener):
            raise RuntimeError(f"a local stack already listens to {account}/{region}")
        _listeners[(account, region)] = listener


def detach(account: str, region: str, listener: Listener) -> None:
    with _lock:
        if _listeners.get((account, region)) is listener:
            del _listeners[(account, region)]


def _listener(account: str, region: str) -> Listener | None:
    return _listeners.get((account, region))


@dataclass(frozen=True)
class ServiceEvent:
    """What a service emits; the envelope (id, time, account, region) is the emitter's."""

    source: str
    detail_type: str
    resources: list[str]
    detail: dict[str, Any]


# -- S3 ----------------------------------------------------------------------------------------------------------

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html: the "reason" of each kind of request
_REASONS = {"s3:ObjectCreated:Put": "PutObject", "s3:ObjectCreated:Post": "POST Object",
            "s3:ObjectCreated:Copy": "CopyObject",
            "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
            "s3:ObjectRemoved:Delete": "DeleteObject"}
_sequencer = iter(range(1, 1 << 62))


def s3_event(account: str, bucket: Any, event_name: str, key: Any) -> ServiceEvent | None:
    """The "Object Created" / "Object Deleted" event of the S3 EventBridge documentation (ev-events.html),
    or None for the kinds of notification the local stack does not emit (restores, tags, ACLs)."""
    reason = _REASONS.get(event_name)
    if reason is None:
        return None
    obj: dict[str, Any] = {"key": key.name, "sequencer": f"{next(_sequencer):018X}"}
    if event_name.startswith("s3:ObjectCreated"):
        obj.update(size=key.size, etag=key.etag.strip('"'))
    if key.version_id not in (None, "null"):
        obj["version-id"] = key.version_id
    return ServiceEvent("aws.s3", "Object Created" if reason != "DeleteObject" else "Object Deleted", [bucket.arn], {
        "version": "0", "bucket": {"name": bucket.name}, "object": obj, "request-id": f"{next(_sequencer):016X}",
        "requester": account, "source-ip-address": "127.0.0.1", "reason": reason})


def _s3_notification(original: Callable[..., None]) -> Callable[..., None]:
    def wrapper(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        listener = _listener(account_id, bucket.region_name)
        if listener is None:
            original(account_id, bucket, event_name, key)
            return
        event = s3_event(account_id, bucket, getattr(event_name, "value", event_name), key)  # moto's enum
        if event is not None:
            listener.service_event(event)

    return wrapper


# -- CloudWatch --------------------------------------------------------------------------------------------------

_OPERATORS = {"GreaterThanThreshold": ("greater than", lambda v, t: v > t),
              "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
              "LessThanThreshold": ("less than", lambda v, t: v < t),
              "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t)}
_STATISTICS: dict[str, Callable[[list[float], list[float], list[float], float], float]] = {
    "Sum": lambda sums, mins, maxs, count: sum(sums),
    "Average": lambda sums, mins, maxs, count: sum(sums) / count,
    "Minimum": lambda sums, mins, maxs, count: min(mins),
    "Maximum": lambda sums, mins, maxs, count: max(maxs),
    "SampleCount": lambda sums, mins, maxs, count: count,
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _cw_time(moment: datetime) -> str:
    """CloudWatch's timestamp spelling in alarm events: 2026-11-27T01:00:00.000+0000."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def alarm_event(alarm: Any, previous: dict[str, Any]) -> ServiceEvent:
    """The "CloudWatch Alarm State Change" event (CloudWatch user guide, cloudwatch-and-eventbridge.html)."""
    current = {"value": alarm.state_value, "reason": alarm.state_reason, "reasonData": alarm.state_reason_data,
               "timestamp": _cw_time(alarm.state_updated_timestamp)}
    configuration: dict[str, Any] = {"metrics": [{"id": "m1", "returnData": True, "metricStat": {
        "metric": {"namespace": alarm.namespace, "name": alarm.metric_name,
                   "dimensions": {d.name: d.value for d in alarm.dimensions}},
        "period": int(alarm.period), "stat": alarm.statistic}}]}
    if alarm.description:
        configuration["description"] = alarm.description
    return ServiceEvent("aws.cloudwatch", "CloudWatch Alarm State Change", [alarm.alarm_arn], {
        "alarmName": alarm.name, "state": current, "previousState": previous, "configuration": configuration})


def _alarm_update(original: Callable[..., None]) -> Callable[..., None]:
    def wrapper(alarm: Any, reason: str, reason_data: str, state_value: str) -> None:
        _, _, _, region, account, _ = alarm.alarm_arn.split(":", 5)
        listener = _listener(account, region)
        previous = {"value": alarm.state_value, "reason": alarm.state_reason, "reasonData": alarm.state_reason_data,
                    "timestamp": _cw_time(alarm.state_updated_timestamp)}
        original(alarm, reason, reason_data, state_value)
        if listener is None:
            return
        alarm.state_updated_timestamp = _utc(listener.now()).replace(tzinfo=None)  # moto keeps naive UTC
        if previous["value"] != state_value:
            listener.service_event(alarm_event(alarm, previous))

    return wrapper


@dataclass(frozen=True)
class _Period:
    start: datetime
    value: float | None  # None: no data in the period
    count: float


def _stats(datum: Any) -> tuple[float, float, float, float]:
    """(sum, minimum, maximum, sample count) of one datum: a value, or StatisticValues put at once."""
    if hasattr(datum, "sum_stat"):
        return datum.sum_stat, datum.min_stat, datum.max_stat, datum.sample_count
    return datum.value, datum.value, datum.value, 1.0


def _periods(backend: Any, alarm: Any, now: datetime) -> list[_Period]:
    """The alarm's statistic over each of its last EvaluationPeriods periods, newest first; a period is
    (end - Period, end], so a datum measured just now counts."""
    length = timedelta(seconds=int(alarm.period))
    wanted = {(d.name, d.value) for d in alarm.dimensions}
    data = [d for d in backend.metric_data if d.namespace == alarm.namespace and d.name == alarm.metric_name
            and {(x.name, x.value) for x in d.dimensions} == wanted]
    out = []
    for index in range(int(alarm.evaluation_periods)):
        end = now - index * length
        inside = [d for d in data if end - length < _utc(d.timestamp) <= end]
        stats = [_stats(d) for d in inside]
        count = sum(c for *_, c in stats)
        value = _STATISTICS[alarm.statistic]([s[0] for s in stats], [s[1] for s in stats], [s[2] for s in stats],
                                             count) if inside else None
        out.append(_Period(end - length, value, count))
    return out


def evaluate(backend: Any, alarm: Any, now: datetime) -> tuple[str, str, str] | None:
    """(state, reason, reasonData) the alarm's metric data put it in now, or None to leave it as it is.

    CloudWatch evaluates alarms every minute; locally they are evaluated when their metric gets data, which
    is when a local scenario's state can change.  ``DatapointsToAlarm`` of the last ``EvaluationPeriods``
    breaching means ALARM, otherwise OK once any period has data; missing periods breach only with
    ``TreatMissingData: breaching`` (``ignore`` and ``missing`` are treated as ``notBreaching``).  The reason
    is worded as CloudWatch words threshold alarms' reasons."""
    if alarm.metric_data_queries or alarm.statistic not in _STATISTICS or alarm.comparison_operator not in _OPERATORS:
        return None  # metric math, percentiles and anomaly bands are not evaluated locally
    periods = _periods(backend, alarm, _utc(now))
    present = [p for p in periods if p.value is not None]
    if not present:
        return None
    words, breaches = _OPERATORS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    breaching = sum(1 for p in periods if (breaches(p.value, threshold) if p.value is not None
                                           else alarm.treat_missing_data == "breaching"))
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    state = "ALARM" if breaching >= needed else "OK"
    counted = breaching if state == "ALARM" else len(present)
    points = ", ".join(f"{p.value} ({p.start:%d/%m/%y %H:%M:%S})" for p in present)
    verb = ("was" if counted == 1 else "were") + ("" if state == "ALARM" else " not")
    transition = f"{alarm.state_value} -> {state}"
    reason = (f"Threshold Crossed: {counted} out of the last {len(periods)} datapoints [{points}] {verb} {words} "
              f"the threshold ({threshold}) (minimum {needed} datapoint{'s' if needed > 1 else ''} for "
              f"{transition} transition).")
    reason_data = json.dumps({
        "version": "1.0", "queryDate": _cw_time(now), "startDate": _cw_time(periods[-1].start),
        "statistic": alarm.statistic, "period": int(alarm.period), "recentDatapoints": [p.value for p in present],
        "threshold": threshold, "evaluatedDatapoints": [
            {"timestamp": _cw_time(p.start), "sampleCount": p.count, "value": p.value} for p in present]})
    return state, reason, reason_data


def _put_metric_data(original: Callable[..., None]) -> Callable[..., None]:
    def wrapper(backend: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        listener = _listener(backend.account_id, backend.region_name)
        if listener is None:
            original(backend, namespace, metric_data)
            return
        now = _utc(listener.now())
        # a datum without a Timestamp is measured now: on the stack's clock, not moto's wall clock
        original(backend, namespace, [m if m.get("Timestamp") else {**m, "Timestamp": now.replace(tzinfo=None)}
                                      for m in metric_data])
        names = {m["MetricName"] for m in metric_data}
        for alarm in list(backend.alarms.values()):
            if alarm.namespace == namespace and alarm.metric_name in names:
                found = evaluate(backend, alarm, now)
                if found is not None and found[0] != alarm.state_value:
                    backend.set_alarm_state(alarm.name, found[1], found[2], found[0])

    return wrapper


# -- SQS ---------------------------------------------------------------------------------------------------------

def _sent(original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        result = original(backend, queue_name, *args, **kwargs)
        listener = _listener(backend.account_id, backend.region_name)
        if listener is not None:
            listener.message_sent(backend.get_queue(queue_name).queue_arn)
        return result

    return wrapper


def install() -> None:
    """Wraps the moto methods once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.cloudwatch.models import Alarm, CloudWatchBackend
        from moto.s3 import notifications
        from moto.sqs.models import SQSBackend

        notifications._send_event_bridge_message = _s3_notification(notifications._send_event_bridge_message)
        Alarm.update_state = _alarm_update(Alarm.update_state)
        CloudWatchBackend.put_metric_data = _put_metric_data(CloudWatchBackend.put_metric_data)
        SQSBackend.send_message = _sent(SQSBackend.send_message)
        SQSBackend.send_message_batch = _sent(SQSBackend.send_message_batch)
        _installed = True
