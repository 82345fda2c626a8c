"""Local Python implementations of Task resources: callables, ``module:function`` or ``file.py:function``."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nothing of asl_engine at import: a worker process loads this module by its file
    from asl_engine.errors import StatesError
    from asl_engine.runtime.clock import Clock


def load_handler(spec: str) -> Callable[..., Any]:
    """Import ``pkg.module:function`` or ``path/to/file.py:function`` (Lambda's ``app.handler`` too)."""
    target, sep, name = spec.rpartition(":")
    if not sep:  # Lambda's own spelling: "app.lambda_handler"
        target, _, name = spec.rpartition(".")
    if not target or not name:
        raise ValueError(f"handler {spec!r}: expected 'module:function' or 'file.py:function'")
    if target.endswith(".py") or "/" in target:
        path = Path(target).resolve()
        if not path.is_file():
            raise ValueError(f"handler {spec!r}: no file {path}")
        module_name = f"_asl_handler_{abs(hash(str(path)))}"
        module = sys.modules.get(module_name)
        if module is None:
            loader_spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(loader_spec)  # type: ignore[arg-type]
            sys.path.insert(0, str(path.parent))
            loader_spec.loader.exec_module(module)  # type: ignore[union-attr]
            sys.modules[module_name] = module
    else:
        module = importlib.import_module(target)
    try:
        return getattr(module, name)
    except AttributeError:
        raise ValueError(f"handler {spec!r}: module {target!r} has no attribute {name!r}") from None


def takes_context(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` is a Lambda-style ``handler(event, context)`` rather than ``fn(input)``."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(params) >= 2


class LambdaContext:
    """The ``context`` a Lambda handler receives, enough for Powertools and most handlers.

    The remaining time counts down to the invocation's deadline on the run's clock (``clock.time()``, epoch
    seconds), so under a VirtualClock it is virtual time that runs out, as the Timeout is enforced on it.
    Without a clock the deadline is ``timeout_s`` from now on the wall clock.
    """

    def __init__(self, function_name: str, function_arn: str, request_id: str, memory_mb: int = 128,
                 timeout_s: float = 3, clock: Clock | None = None, deadline: float | None = None) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{request_id}"
        self._now: Callable[[], float] = clock.time if clock is not None else time.time
        self._deadline = deadline if deadline is not None else self._now() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        # rounded, not truncated: float noise in ``deadline - now`` must not turn 3000 ms into 2999
        return max(0, round((self._deadline - self._now()) * 1000))


def lambda_error(exc: BaseException, request_id: str, compact: bool = True) -> StatesError:
    """A handler's exception as AWS reports a function error: errorType as the name, a JSON cause.

    The cause is compact JSON for ``lambda:invoke``; for a Task whose Resource is the function ARN AWS
    writes it with ``", "`` and ``": "`` separators (recorded: error_handling/TestTaskLambda__*).
    """
    from asl_engine.errors import StatesError

    if isinstance(exc, StatesError):
        return exc
    cause = error_body(exc, request_id)
    return StatesError(cause["errorType"], json.dumps(cause, separators=(",", ":") if compact else (", ", ": ")))


def error_body(exc: BaseException, request_id: str, code_dir: Path | None = None) -> dict[str, Any]:
    """The Python runtime's error response for an exception a handler raised; frames under ``code_dir``
    read ``/var/task/...``, where Lambda puts a function's code."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop the caller's own frame
    if code_dir is not None:
        root = str(code_dir.resolve())
        for frame in frames:
            if frame.filename.startswith(root + os.sep):
                frame.filename = "/var/task/" + frame.filename[len(root) + 1:]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(frames)}


# ---- what the Python runtime answers (shared with the worker process, which loads this file by its path)


def runtime_error(error_type: str, message: str) -> dict[str, Any]:
    """An error of the runtime itself (Init, marshalling), as its error response reads."""
    return {"errorMessage": message, "errorType": error_type, "stackTrace": []}


def malformed_handler(spec: str) -> dict[str, Any]:
    return runtime_error("Runtime.MalformedHandlerName",
                         f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)")


def handler_of(load_module: Callable[[], Any], module_path: str, attribute: str) -> tuple[Any, dict[str, Any] | None]:
    """The handler ``attribute`` of the module ``load_module()`` imports (Lambda's Init), or the error the
    runtime reports for it: a syntax error, anything the module raised at import, a missing handler."""
    try:
        module = load_module()
    except SyntaxError as exc:
        return None, runtime_error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_path}': {exc}")
    except Exception as exc:  # whatever the module raises at import: Lambda's Init fails with it
        return None, runtime_error("Runtime.ImportModuleError", f"Unable to import module '{module_path}': {exc}")
    handler = getattr(module, attribute, None)
    if not callable(handler):
        return None, runtime_error("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module "
                                                              f"'{module_path}'")
    return handler, None


def response_body(result: Any, request_id: str) -> tuple[bytes, str | None]:
    """A handler's return value as the runtime sends it: bytes as they are, anything else as JSON (with
    json.dumps' default separators, as the Python runtime writes it), and the runtime's
    ``Runtime.MarshalError`` for what JSON cannot encode."""
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), None
    try:
        return json.dumps(result).encode(), None
    except (TypeError, ValueError) as exc:
        body = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError",
                "requestId": request_id, "stackTrace": []}
        return json.dumps(body).encode(), "Unhandled"
