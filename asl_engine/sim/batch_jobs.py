"""AWS Batch jobs that move SUBMITTED → PENDING → RUNNABLE → STARTING → RUNNING → SUCCEEDED | FAILED.

moto either runs a job in Docker or (``batch.use_docker = False``, which the
simulator sets while attached) marks it SUCCEEDED inside SubmitJob.  The
controller adopts each job as it is submitted and walks it through AWS's
statuses on the clock: ``startedAt`` when it starts RUNNING, one attempt with
the container's exit code, ``stoppedAt`` and ``statusReason`` when it stops.
A failure rule matching the job name ends it FAILED (exit code 1, the rule's
reason); TerminateJob and CancelJob end it FAILED with the caller's reason.
Each status change emits a "Batch Job State Change" event whose detail is
the job as DescribeJobs shows it.
"""

from __future__ import annotations

import json
from typing import Any

from asl_engine.sim.context import SimContext
from asl_engine.sim.events import epoch_millis

_SUCCESS_REASON = "Essential container in task exited"


class BatchJobs:
    def __init__(self, ctx: SimContext) -> None:
        self._ctx = ctx
        self._pending: dict[str, Any] = {}  # job id -> next agenda item

    def _job(self, job_id: str) -> Any:
        return self._ctx.backend("batch").get_job_by_id(job_id)

    def adopt(self, submit_result: str) -> None:
        """Called right after moto's SubmitJob: restart the job at SUBMITTED on the clock."""
        job_id = json.loads(submit_result)["jobId"]
        job = self._job(job_id)
        # moto's ManagedState advances ``status`` on every read; an adopted job moves only when we say so.
        job._transitions = []
        job.job_created_at = self._ctx.moto_now()
        job.job_stopped = False
        job.job_stopped_reason = None
        job.exit_code = None
        job.attempts = []
        job.latest_attempt = None
        self._set_status(job, "SUBMITTED")
        self._schedule(job_id, 0)

    def _schedule(self, job_id: str, index: int) -> None:
        phases = list(self._ctx.durations.batch_phases.items())
        _, seconds = phases[index]

        def next_status() -> None:
            job = self._job(job_id)
            if index + 1 < len(phases):
                status = phases[index + 1][0]
                if status == "RUNNING":
                    self._start_attempt(job)
                self._set_status(job, status)
                self._schedule(job_id, index + 1)
            else:
                reason = self._ctx.failures.reason_for("BatchJob", job.job_name)
                self._stop(job, exit_code=1 if reason else 0, reason=reason or _SUCCESS_REASON)

        self._pending[job_id] = self._ctx.agenda.after(seconds, next_status)

    def stopped_by_caller(self, job_id: str) -> None:
        """After TerminateJob / CancelJob: moto flagged the job; it fails now with the caller's reason."""
        job = self._job(job_id)
        if job is None or job.job_stopped or not job.stop:
            return
        pending = self._pending.pop(job_id, None)
        if pending is not None:
            pending.cancel()
        self._stop(job, exit_code=None, reason=job.job_stopped_reason)

    def _start_attempt(self, job: Any) -> None:
        job.job_started_at = self._ctx.moto_now()
        job.log_stream_name = job._stream_name
        job.latest_attempt = {"container": {"logStreamName": job.log_stream_name, "networkInterfaces": []},
                              "startedAt": epoch_millis(job.job_started_at)}
        job.attempts = [job.latest_attempt]

    def _stop(self, job: Any, exit_code: int | None, reason: str | None) -> None:
        self._pending.pop(job.job_id, None)
        job.job_stopped = True
        job.job_stopped_at = self._ctx.moto_now()
        job.job_stopped_reason = reason
        job.exit_code = exit_code
        if job.latest_attempt is not None:
            job.latest_attempt["stoppedAt"] = epoch_millis(job.job_stopped_at)
            job.latest_attempt["statusReason"] = reason
            if exit_code is not None:
                job.latest_attempt["container"]["exitCode"] = exit_code
        self._set_status(job, "SUCCEEDED" if exit_code == 0 else "FAILED")

    def _set_status(self, job: Any, status: str) -> None:
        job.status = status
        self._ctx.timeline.status(self._ctx.now, f"batch-job/{job.job_name}", status,
                                  reason=job.job_stopped_reason if status == "FAILED" else None)
        self._ctx.events.emit("aws.batch", "Batch Job State Change", [job.arn], job.describe(), self._ctx.now)
