"""SageMaker training, processing, transform and tuning jobs that take time, on the simulator's clock.

moto creates every job already ``Completed``.  The controller adopts each job
as moto creates it: back to ``InProgress`` with the creation time of the
clock, then through its phases (a training job's SecondaryStatus goes
Starting, Downloading, Training, Uploading, Completed with the status
messages AWS writes) to ``Completed`` or, when a failure rule matches its
name, ``Failed`` with the rule's FailureReason.  StopXxxJob moves it through
``Stopping`` to ``Stopped``.  Every status change emits the job's
"SageMaker ... Job State Change" event with the job's description as detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asl_engine.sim.context import SimContext


@dataclass(frozen=True, slots=True)
class Phase:
    secondary: str | None  # SecondaryStatus (training jobs only)
    message: str
    seconds: float
    can_fail: bool  # an injected failure ends the job at the end of the first such phase


@dataclass(frozen=True, slots=True)
class JobKind:
    kind: str  # failure-rule kind and API noun, e.g. "TrainingJob"
    store: str  # the moto backend dict holding these jobs
    prefix: str  # moto attribute prefix: "training_job" -> training_job_status, training_job_name
    detail_type: str
    start_attr: str | None  # attribute set when work starts
    end_attr: str  # attribute set when the job ends
    start_phase: int = 0  # the phase at whose start ``start_attr`` is set (training: after launching instances)

    @property
    def status_attr(self) -> str:
        return f"{self.prefix}_status"


KINDS = {
    "TrainingJob": JobKind("TrainingJob", "training_jobs", "training_job", "SageMaker Training Job State Change",
                           "training_start_time", "training_end_time", start_phase=1),
    "ProcessingJob": JobKind("ProcessingJob", "processing_jobs", "processing_job",
                             "SageMaker Processing Job State Change", "processing_start_time",
                             "processing_end_time"),
    "TransformJob": JobKind("TransformJob", "transform_jobs", "transform_job", "SageMaker Transform Job State Change",
                            "transform_start_time", "transform_end_time"),
    "HyperParameterTuningJob": JobKind("HyperParameterTuningJob", "hyper_parameter_tuning_jobs",
                                       "hyper_parameter_tuning_job",
                                       "SageMaker HyperParameter Tuning Job State Change", None,
                                       "hyper_parameter_tuning_end_time"),
}
CREATE_ACTIONS = {f"create_{k.prefix}": k for k in KINDS.values()}
STOP_ACTIONS = {f"stop_{k.prefix}": k for k in KINDS.values()}

_TRAINING_MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
}


class SageMakerJobs:
    def __init__(self, ctx: SimContext) -> None:
        self._ctx = ctx
        self._active: dict[tuple[str, str], Any] = {}  # (kind, name) -> pending agenda item

    def _phases(self, kind: JobKind) -> list[Phase]:
        d = self._ctx.durations
        if kind.kind == "TrainingJob":
            return [Phase(s, _TRAINING_MESSAGES[s], sec, s == "Training") for s, sec in d.training_phases.items()]
        seconds = {"ProcessingJob": d.processing_job, "TransformJob": d.transform_job,
                   "HyperParameterTuningJob": d.tuning_job}[kind.kind]
        return [Phase(None, "", seconds, True)]

    def _job(self, kind: JobKind, name: str) -> Any:
        return getattr(self._ctx.backend("sagemaker"), kind.store)[name]

    def adopt(self, kind: JobKind, name: str) -> None:
        """Called right after moto created the job: restart it as InProgress at the clock's time."""
        job = self._job(kind, name)
        now = self._ctx.moto_now()
        job.creation_time = job.last_modified_time = now
        for attr in (kind.start_attr, kind.end_attr, "failure_reason"):
            if attr:
                setattr(job, attr, None)
        if kind.kind == "TrainingJob":
            job.secondary_status_transitions = []
            job.model_artifacts = None  # written when the job completes
        if kind.kind == "HyperParameterTuningJob":
            job.training_job_status_counters = {"Completed": 0, "InProgress": 1, "RetryableError": 0,
                                                "NonRetryableError": 0, "Stopped": 0}
        self._enter(kind, name, self._phases(kind), 0)

    def _enter(self, kind: JobKind, name: str, phases: list[Phase], index: int) -> None:
        job = self._job(kind, name)
        if index == len(phases):
            self._finish(kind, job, "Completed", None)
            return
        phase = phases[index]
        if index == kind.start_phase and kind.start_attr:
            setattr(job, kind.start_attr, self._ctx.moto_now())
        if phase.secondary:
            self._transition(job, phase.secondary, phase.message)
        self._set_status(kind, job, "InProgress", phase.secondary)
        reason = self._ctx.failures.reason_for(kind.kind, name) if phase.can_fail else None

        def end_of_phase() -> None:
            if reason is not None:
                self._finish(kind, self._job(kind, name), "Failed", reason)
            else:
                self._enter(kind, name, phases, index + 1)

        self._active[(kind.kind, name)] = self._ctx.agenda.after(phase.seconds, end_of_phase)

    def stop(self, kind: JobKind, name: str) -> None:
        """StopXxxJob: Stopping now, Stopped after the configured stopping time, and Stopped it stays (the phase
        that was running is cancelled).  The status is the simulator's own: moto's StopProcessingJob, which
        would set it Stopped at once, is not run while the simulator is attached (``moto_hooks.REPLACED``).
        A job that is not InProgress is left as it is; one that does not exist is moto's not-found error."""
        if name not in getattr(self._ctx.backend("sagemaker"), kind.store):
            getattr(self._ctx.backend("sagemaker"), f"describe_{kind.prefix}")(name)  # raises moto's error
        job = self._job(kind, name)
        if getattr(job, kind.status_attr) != "InProgress":
            return
        pending = self._active.pop((kind.kind, name), None)
        if pending is not None:
            pending.cancel()
        if kind.kind == "TrainingJob":
            self._transition(job, "Stopping", "Stopping the training job")
        self._set_status(kind, job, "Stopping", "Stopping" if kind.kind == "TrainingJob" else None)
        self._ctx.agenda.after(self._ctx.durations.stopping,
                               lambda: self._finish(kind, self._job(kind, name), "Stopped", None))

    def _finish(self, kind: JobKind, job: Any, status: str, reason: str | None) -> None:
        self._active.pop((kind.kind, getattr(job, f"{kind.prefix}_name")), None)
        now = self._ctx.moto_now()
        setattr(job, kind.end_attr, now)
        if reason is not None:
            job.failure_reason = reason
        secondary = None
        if kind.kind == "TrainingJob":
            secondary = status
            message = {"Completed": "Training job completed", "Failed": reason or "",
                       "Stopped": "The training job was stopped"}[status]
            self._transition(job, status, message)
            if status == "Completed":
                job.model_artifacts = {"S3ModelArtifacts": "/".join(
                    (job.output_data_config["S3OutputPath"].rstrip("/"), job.training_job_name, "output",
                     "model.tar.gz"))}
            start = job.training_start_time or job.creation_time
            job.training_time_in_seconds = job.billable_time_in_seconds = int((now - start).total_seconds())
        if kind.kind == "HyperParameterTuningJob":
            counters = dict(job.training_job_status_counters, InProgress=0)
            counters["Completed" if status == "Completed" else "Stopped" if status == "Stopped"
                     else "NonRetryableError"] = 1
            job.training_job_status_counters = counters
        self._set_status(kind, job, status, secondary)

    def _transition(self, job: Any, status: str, message: str) -> None:
        now = self._ctx.moto_now()
        transitions = list(job.secondary_status_transitions or [])
        if transitions:
            transitions[-1] = {**transitions[-1], "EndTime": now}
        if status in ("Completed", "Failed", "Stopped"):
            transitions.append({"Status": status, "StartTime": now, "EndTime": now, "StatusMessage": message})
        else:
            transitions.append({"Status": status, "StartTime": now, "StatusMessage": message})
        job.secondary_status_transitions = transitions

    def _set_status(self, kind: JobKind, job: Any, status: str, secondary: str | None) -> None:
        setattr(job, kind.status_attr, status)
        if secondary is not None:
            job.secondary_status = secondary
        job.last_modified_time = self._ctx.moto_now()
        name = getattr(job, f"{kind.prefix}_name")
        self._ctx.timeline.status(self._ctx.now, f"{kind.prefix.replace('_', '-')}/{name}", secondary or status,
                                  reason=getattr(job, "failure_reason", None))
        detail = {k: v for k, v in job.response_object.items() if v is not None}
        self._ctx.events.emit("aws.sagemaker", kind.detail_type, [job.arn], detail, self._ctx.now)
