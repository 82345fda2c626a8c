"""``.sync``: run a job and wait for it, polling the service's own describe call on the execution's clock.

Every table a ``.sync`` integration needs is here, in one place: which call
describes the job, where its status is, AWS's terminal statuses, how often
to poll and how to stop the job when the task times out or the execution is
stopped.  The poll interval is clock time, so under a VirtualClock a job
that takes an hour costs nothing; a backend without status progressions
(moto leaves SageMaker jobs InProgress) simply keeps the task waiting until
its TimeoutSeconds, exactly as a stuck job would on AWS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asl_engine.errors import StatesError

Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SyncJob:
    """How to follow one kind of job (boto3 operation and member names)."""

    describe: str
    describe_params: Callable[[Params, Params], Params]  # (request, start response) -> describe kwargs
    status: Callable[[Params], str]  # describe response -> status
    succeeded: frozenset[str]
    failed: frozenset[str]
    stop: str | None
    stop_params: Callable[[Params, Params], Params]
    job: Callable[[Params], Params] = lambda response: response  # the part of the describe response to output
    interval: float = 30.0


def _sagemaker(kind: str, status: str) -> SyncJob:
    name = f"{kind}Name"
    return SyncJob(describe=f"describe_{_snake(kind)}", describe_params=lambda req, _: {name: req[name]},
                   status=lambda r: r.get(status, ""), succeeded=frozenset({"Completed"}),
                   failed=frozenset({"Failed", "Stopped"}), stop=f"stop_{_snake(kind)}",
                   stop_params=lambda req, _: {name: req[name]}, interval=60.0)


def _snake(pascal: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in pascal).lstrip("_")


def _ecs_status(response: Params) -> str:
    task = (response.get("tasks") or [{}])[0]
    if task.get("lastStatus") != "STOPPED":
        return task.get("lastStatus", "")
    exit_codes = [c.get("exitCode") for c in task.get("containers") or []]
    return "FAILED" if any(code not in (0, None) for code in exit_codes) else "STOPPED"


# (boto3 client, optimized action) -> how its .sync waits
SYNC_JOBS: dict[tuple[str, str], SyncJob] = {
    ("batch", "submitJob"): SyncJob(
        describe="describe_jobs", describe_params=lambda _, res: {"jobs": [res["jobId"]]},
        status=lambda r: (r.get("jobs") or [{}])[0].get("status", ""), succeeded=frozenset({"SUCCEEDED"}),
        failed=frozenset({"FAILED"}), stop="terminate_job",
        stop_params=lambda _, res: {"jobId": res["jobId"], "reason": "Terminated by AWS Step Functions"},
        job=lambda r: (r.get("jobs") or [{}])[0]),
    ("sagemaker", "createTrainingJob"): _sagemaker("TrainingJob", "TrainingJobStatus"),
    ("sagemaker", "createProcessingJob"): _sagemaker("ProcessingJob", "ProcessingJobStatus"),
    ("sagemaker", "createTransformJob"): _sagemaker("TransformJob", "TransformJobStatus"),
    ("sagemaker", "createHyperParameterTuningJob"): _sagemaker("HyperParameterTuningJob",
                                                               "HyperParameterTuningJobStatus"),
    ("sagemaker", "createLabelingJob"): _sagemaker("LabelingJob", "LabelingJobStatus"),
    ("ecs", "runTask"): SyncJob(
        describe="describe_tasks",
        describe_params=lambda req, res: {"cluster": req.get("cluster", "default"),
                                          "tasks": [t["taskArn"] for t in res.get("tasks") or []][:1]},
        status=_ecs_status, succeeded=frozenset({"STOPPED"}), failed=frozenset({"FAILED"}), stop="stop_task",
        stop_params=lambda req, res: {"cluster": req.get("cluster", "default"),
                                      "task": (res.get("tasks") or [{}])[0].get("taskArn", ""),
                                      "reason": "Task stopped by AWS Step Functions"},
        job=lambda r: (r.get("tasks") or [{}])[0], interval=6.0),
    ("glue", "startJobRun"): SyncJob(
        describe="get_job_run", describe_params=lambda req, res: {"JobName": req["JobName"], "RunId": res["JobRunId"]},
        status=lambda r: (r.get("JobRun") or {}).get("JobRunState", ""), succeeded=frozenset({"SUCCEEDED"}),
        failed=frozenset({"FAILED", "STOPPED", "TIMEOUT", "ERROR"}), stop="batch_stop_job_run",
        stop_params=lambda req, res: {"JobName": req["JobName"], "JobRunIds": [res["JobRunId"]]},
        job=lambda r: r.get("JobRun") or {}),
}


async def wait_for_job(job: SyncJob, client: Any, request: Params, started: Params, clock: Any,
                       render: Callable[[Params, Params], Any]) -> Any:
    """Poll until a terminal status; the job's description (``render(response, job)``) or States.TaskFailed
    with it as the cause.  Cancellation (TimeoutSeconds, a stopped execution) stops the job first, as AWS does."""
    describe = getattr(client, job.describe)
    try:
        while True:
            with clock.busy():
                response = await asyncio.to_thread(describe, **job.describe_params(request, started))
            status = job.status(response)
            if status in job.succeeded:
                return render(response, job.job(response))
            if status in job.failed:
                description = render(response, job.job(response))
                raise StatesError("States.TaskFailed", json.dumps(description, separators=(",", ":")))
            await asyncio.sleep(job.interval)
    except asyncio.CancelledError:
        if job.stop is not None:
            with contextlib.suppress(Exception):
                getattr(client, job.stop)(**job.stop_params(request, started))
        raise
