"""Compares a trained candidate with the production baseline, from the evaluation report training wrote.

The retraining workflow branches on ``better``: only a candidate whose
metric beats the baseline by ``min_improvement`` is registered for approval.
A missing report raises ``EvaluationReportMissing``, an error the workflow
retries (the report may still be uploading) before it gives up.
"""

import json
from typing import Any
from urllib.parse import urlparse

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")


class EvaluationRequest(BaseModel):
    training_job_name: str = Field(min_length=1)
    report_uri: str = Field(pattern=r"^s3://[^/]+/.+")
    metric: str = "auc"
    baseline: float = Field(ge=0)
    min_improvement: float = Field(default=0.0, ge=0)


class EvaluationReportMissing(Exception):
    """The evaluation report is not (yet) in S3."""


@tracer.capture_method
def read_report(uri: str) -> dict[str, Any]:
    location = urlparse(uri)
    try:
        body = s3.get_object(Bucket=location.netloc, Key=location.path.lstrip("/"))["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise EvaluationReportMissing(f"no evaluation report at {uri}") from None
    return json.loads(body)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=EvaluationRequest)
def lambda_handler(event: EvaluationRequest, context: LambdaContext) -> dict[str, Any]:
    report = read_report(event.report_uri)
    score = float(report["metrics"][event.metric]["value"])
    better = score > event.baseline + event.min_improvement
    metrics.add_metric(name="CandidateScore", unit=MetricUnit.Count, value=score)
    logger.info("candidate evaluated", extra={"score": score, "baseline": event.baseline, "better": better})
    return {"training_job_name": event.training_job_name, "metric": event.metric, "score": score,
            "baseline": event.baseline, "better": better}
