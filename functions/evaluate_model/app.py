"""Scores a candidate model against its holdout metrics; the workflow compares it to production.

A stand-in for the SageMaker evaluation step until the MLOps application
(issue 7) replaces it with a processing job: it is deterministic, so a local
run of the workflow always takes the same path.
"""

from __future__ import annotations

from typing import Any


class MetricsUnavailable(Exception):
    """The candidate has no metrics yet (the training job may still be writing them)."""


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    metrics = event.get("metrics")
    if not metrics:
        raise MetricsUnavailable(f"no metrics for model {event.get('model_name')!r}")
    weights = {"auc": 0.6, "precision": 0.2, "recall": 0.2}
    score = round(sum(metrics.get(k, 0.0) * w for k, w in weights.items()), 4)
    return {"model_name": event["model_name"], "score": score}
