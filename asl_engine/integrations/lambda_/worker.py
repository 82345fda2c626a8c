"""A Lambda function's worker process (``LocalFunctions(isolation="process")``): one execution environment.

Run as a script, ``python worker.py FD`` (not ``-m``: importing the ``asl_engine`` package would cost every
cold start half a second), with the function's Environment already in ``os.environ`` and its code directory
as the working directory.  The protocol is length-prefixed JSON (4 bytes, big-endian, then the document):
requests come on stdin, replies go to the descriptor ``FD``; stdin and stdout are then taken from the
handler (stdin reads /dev/null, stdout is what the parent gave: its stderr, or a pipe to the registry's
``output``), so nothing it prints or reads can corrupt the protocol.

The first request configures the worker: ``{"code_dir", "handler", "spec", "sys_path", "moto"}``; it imports the handler
once (Lambda's Init) and replies ``{"init_error": null}``, or the runtime's error and exits.  Each further
request ``{"event", "context"}`` is answered ``{"body": base64, "error": null | "Unhandled"}``; a coroutine
handler is run with ``asyncio.run`` (real time: a virtual clock reaches only in-process handlers).  The
worker exits when its stdin closes (the parent closed it, or died), and, should the parent die while a
handler runs, as soon as it sees itself orphaned.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import importlib.util
import inspect
import json
import os
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

_HEADER = struct.Struct(">I")


def read_message(fd: int) -> Any:
    """The next document on ``fd``, or None at end of file."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(header)[0])
    if body is None:
        return None
    return json.loads(body)


def write_message(fd: int, value: Any) -> None:
    data = json.dumps(value).encode()
    data = _HEADER.pack(len(data)) + data
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _load_handlers_module() -> Any:
    """``lambda_.handlers`` (error_body, LambdaContext) by its file: the same code as in-process, without
    importing the ``asl_engine`` package."""
    path = Path(__file__).with_name("handlers.py")
    spec = importlib.util.spec_from_file_location("_asl_worker_handlers", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _import(config: dict[str, Any], handlers: Any) -> tuple[Any, dict[str, Any] | None]:
    """The handler, or the error Lambda's Python runtime reports for it (as ``lambda_.packages`` does)."""
    if config.get("spec"):  # registered as "module:function" or "file.py:function"
        try:
            return handlers.load_handler(config["spec"]), None
        except Exception as exc:
            return None, handlers.runtime_error("Runtime.ImportModuleError", f"Unable to import module "
                                                                             f"'{config['spec']}': {exc}")
    spec = config["handler"] or ""
    module_path, _, attribute = spec.rpartition(".")
    if not module_path or not attribute:
        return None, handlers.malformed_handler(spec)
    return handlers.handler_of(lambda: importlib.import_module(module_path), module_path, attribute)


def _call(handler: Any, event: Any, context: Any, takes_context: bool) -> tuple[Any, Exception | None]:
    """As ``providers._call_in_thread``: the trace of what it raises starts at the handler (error_body drops
    this frame)."""
    try:
        result = handler(event, context) if takes_context else handler(event)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        return result, None
    except Exception as exc:
        return None, exc


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _orphaned(parent: int) -> None:
    """Exits as soon as the parent is gone, even while a handler runs (stdin's end of file waits for it)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main(reply_fd: int) -> None:
    threading.Thread(target=_orphaned, args=(os.getppid(),), daemon=True).start()
    requests = os.dup(0)  # the protocol's own descriptor; the handler's stdin reads nothing
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    here = str(Path(__file__).parent)
    sys.path[:] = [p for p in sys.path if p != here]  # the script's directory must not shadow the function's
    config = read_message(requests)
    if config is None:
        return
    if config.get("moto"):  # the run's AWS is moto: the function's calls stay on this machine (its own moto)
        from moto import mock_aws

        mock_aws().start()
    handlers = _load_handlers_module()
    code_dir = config.get("code_dir")
    sys.path.extend(p for p in config.get("sys_path") or () if p not in sys.path)
    if code_dir:
        sys.path.insert(0, code_dir)  # Lambda's /var/task
    handler, error = _import(config, handlers)
    write_message(reply_fd, {"init_error": error})
    if error is not None:
        return
    takes_context = handlers.takes_context(handler)
    root = Path(code_dir) if code_dir else None
    while (request := read_message(requests)) is not None:
        ctx = request["context"]
        context = handlers.LambdaContext(ctx["function_name"], ctx["arn"], ctx["request_id"],
                                         memory_mb=ctx["memory"], timeout_s=ctx["timeout"],
                                         deadline=time.time() + ctx["timeout"])
        result, exc = _call(handler, request["event"], context, takes_context)
        sys.stdout.flush()
        if exc is not None:
            body = json.dumps(handlers.error_body(exc, ctx["request_id"], root)).encode()
            failed: str | None = "Unhandled"
        else:
            body, failed = handlers.response_body(result, ctx["request_id"])
        write_message(reply_fd, {"body": base64.b64encode(body).decode(), "error": failed})


if __name__ == "__main__":
    main(int(sys.argv[1]))
