"""The template's functions as in-process Lambda handlers, each in a fresh "execution environment".

Lambda imports a handler with the function's Environment already set, and
Powertools reads POWERTOOLS_* (and the functions read their table names)
at import; so each module is imported under the function's environment, under a
name of its own per stack (two stacks never share module-level clients or
settings, unlike ``load_handler``'s per-file cache).  ``AWS_SAM_LOCAL`` is set
as ``sam local`` sets it (Powertools then skips X-Ray).  What a function
prints (Powertools' JSON logs and EMF metrics) goes to ``output``, as
Lambda sends it to CloudWatch Logs rather than to the caller.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import itertools
import sys
from collections.abc import Callable
from typing import Any, TextIO

from asl_engine.integrations.lambda_.providers import LocalFunction, LocalFunctions
from asl_engine.integrations.lambda_.providers import _environment as environment
from asl_engine.sam.model import Function

_stacks = itertools.count()


def local_functions(functions: list[Function], output: TextIO, region: str) -> LocalFunctions:
    stack = next(_stacks)
    registry = LocalFunctions()
    for function in functions:
        env = {"AWS_SAM_LOCAL": "true", "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
               **function.environment, "AWS_LAMBDA_FUNCTION_NAME": function.name}
        with environment(env), contextlib.redirect_stdout(output):
            handler = _import(function, f"_asl_local_{stack}_{function.logical_id}")
        registry.add(LocalFunction(function.name, _printing_to(handler, output), function.code_dir, env,
                                   function.timeout, function.memory))
    return registry


def _import(function: Function, module_name: str) -> Callable[..., Any]:
    module_path, _, attribute = function.handler.rpartition(".")
    path = function.code_dir / f"{module_path.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{function.logical_id}: no handler module at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    if str(function.code_dir) not in sys.path:
        sys.path.insert(0, str(function.code_dir))  # the code directory is Lambda's /var/task
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def _printing_to(handler: Callable[..., Any], output: TextIO) -> Callable[[Any, Any], Any]:
    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        with contextlib.redirect_stdout(output):
            return handler(event, context)

    return run
