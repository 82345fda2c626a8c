"""Where the simulator meets moto: request hooks on moto's SageMaker and Batch responses.

moto answers CreateTrainingJob with a job that is already Completed, has no
UpdateEndpoint at all, ignores CreateEndpoint's DeploymentConfig and drops
CreateEndpointConfig's ShadowProductionVariants.  Patching its backends per
call site would scatter that knowledge; instead this module wraps a handful
of moto *response* actions once, process-wide, and hands each request to the
listener attached for that (service, account, region):

- ``before(action, param)`` brings the listener up to date and may refuse a request (raise moto's
  exception);
- ``after(action, param, result)`` adopts what moto just created;
- ``handle(action, param)`` answers actions moto lacks (UpdateEndpoint...) or gets wrong under the simulator
  (StopProcessingJob).

With no listener attached every wrapped or replaced action behaves exactly as
moto's own, and an added action fails as an unimplemented moto action does.  Both boto3
under ``mock_aws`` and moto's server dispatch through these classes, so the
hooks see requests from the engine's integrations and from the HTTP service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

Param = Callable[[str], Any]

# moto actions wrapped so the listener sees them (moto response method names).  Describe calls are
# observed only so that the simulator catches up with the clock before moto answers them.
OBSERVED = {
    "sagemaker": ("create_training_job", "create_processing_job", "create_transform_job",
                  "create_hyper_parameter_tuning_job", "create_endpoint", "create_endpoint_config",
                  "create_model_package", "update_model_package",
                  "describe_training_job", "describe_processing_job", "describe_transform_job",
                  "describe_hyper_parameter_tuning_job", "describe_endpoint", "list_endpoints"),
    "batch": ("submitjob", "terminatejob", "canceljob", "describejobs", "listjobs"),
}
# Actions moto does not implement, answered by the listener.
ADDED = {
    "sagemaker": ("update_endpoint", "stop_training_job", "stop_transform_job", "stop_hyper_parameter_tuning_job"),
}
# Actions moto implements in a way the simulator cannot build on, answered by the listener when one is attached
# and by moto otherwise: StopProcessingJob sets the job Stopped at once, where AWS goes through Stopping (and an
# observer would only see the job after moto had already overwritten the status it must stop from).
REPLACED = {
    "sagemaker": ("stop_processing_job",),
}


class Listener(Protocol):
    def before(self, action: str, param: Param) -> None: ...

    def after(self, action: str, param: Param, result: Any) -> None: ...

    def handle(self, action: str, param: Param) -> dict[str, Any]: ...


ListenerFactory = Callable[[str, str, str], Listener | None]  # (service, account, region) -> listener

_lock = threading.Lock()
_listeners: dict[tuple[str, str, str], Listener] = {}
_factory: ListenerFactory | None = None  # a host's: makes the listener of a pair nobody attached to
_installed = False


def attach(service: str, account: str, region: str, listener: Listener) -> None:
    install()
    with _lock:
        key = (service, account, region)
        if key in _listeners and _listeners[key] is not listener:
            raise RuntimeError(f"a simulator is already attached to {service} in {account}/{region}")
        _listeners[key] = listener


def detach(service: str, account: str, region: str, listener: Listener) -> None:
    with _lock:
        if _listeners.get((service, account, region)) is listener:
            del _listeners[(service, account, region)]


def attach_factory(factory: ListenerFactory) -> None:
    """Asks ``factory`` for the listener of a request whose (service, account, region) has none: a host serving
    any account and region (``sim.hosting``) attaches on first use instead of guessing the pairs up front."""
    global _factory
    install()
    with _lock:
        if _factory is not None and _factory != factory:
            raise RuntimeError("simulators are already attached to moto by another host")
        _factory = factory


def detach_factory(factory: ListenerFactory) -> None:
    global _factory
    with _lock:
        if _factory == factory:
            _factory = None


def listener_for(service: str, account: str, region: str) -> Listener | None:
    with _lock:
        return _listeners.get((service, account, region))


def _listener(service: str, response: Any) -> Listener | None:
    account, region = response.current_account, response.region
    with _lock:
        found, factory = _listeners.get((service, account, region)), _factory
    if found is None and factory is not None:  # outside the lock: the factory attaches its listener
        found = factory(service, account, region)
    return found


def _observed(service: str, action: str, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def wrapper(self: Any) -> Any:
        listener = _listener(service, self)
        if listener is None:
            return original(self)
        listener.before(action, self._get_param)
        result = original(self)
        listener.after(action, self._get_param, result)
        return result

    wrapper.__name__ = action
    return wrapper


def _added(service: str, action: str, original: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
    """The listener answers ``action``; with none attached, moto's ``original`` (an added action has none)."""
    def wrapper(self: Any) -> Any:
        from moto.core.responses import ActionResult

        listener = _listener(service, self)
        if listener is None:
            if original is not None:
                return original(self)
            raise NotImplementedError(f"The {action} action has not been implemented")
        return ActionResult(listener.handle(action, self._get_param))

    wrapper.__name__ = action
    return wrapper


def install() -> None:
    """Wraps the moto response classes once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.batch.responses import BatchResponse
        from moto.sagemaker.responses import SageMakerResponse

        classes = {"sagemaker": SageMakerResponse, "batch": BatchResponse}
        for service, actions in OBSERVED.items():
            for action in actions:
                setattr(classes[service], action, _observed(service, action, getattr(classes[service], action)))
        for service, actions in ADDED.items():
            for action in actions:
                setattr(classes[service], action, _added(service, action))
        for service, actions in REPLACED.items():
            for action in actions:
                setattr(classes[service], action, _added(service, action, getattr(classes[service], action)))
        _installed = True
