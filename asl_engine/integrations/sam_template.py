"""Python functions declared in an AWS SAM ``template.yaml``, as in-process Lambda handlers.

Reads ``AWS::Serverless::Function`` (and ``AWS::Lambda::Function`` with a
local ``Code``) resources with their ``Globals``: CodeUri + Handler locate the
code, Environment.Variables, Timeout and MemorySize give the runtime and the
context object what Lambda would.  Intrinsics (``!Ref``, ``!Sub``...) in
values this reader cannot resolve are skipped rather than failing the load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asl_engine.integrations.handlers import load_handler
from asl_engine.integrations.lambda_providers import LocalFunction

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def _loader() -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader that reads CloudFormation's short-form intrinsics as ``{"Fn::X": value}``."""

    def intrinsic(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            return {name: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {name: loader.construct_sequence(node, deep=True)}
        return {name: loader.construct_mapping(node, deep=True)}

    Loader.add_multi_constructor("!", lambda loader, suffix, node: intrinsic(loader, suffix, node))
    return Loader


def load_template(path: Path) -> dict[str, Any]:
    import yaml

    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=_loader()) or {}


def template_functions(path: Path) -> list[LocalFunction]:
    """Every Python function of the template, named by FunctionName (or its logical id)."""
    template = load_template(path)
    defaults = ((template.get("Globals") or {}).get("Function") or {})
    functions = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") not in _FUNCTION_TYPES:
            continue
        props = {**defaults, **(resource.get("Properties") or {})}
        runtime = props.get("Runtime")
        if isinstance(runtime, str) and not runtime.startswith("python"):
            continue
        code = props.get("CodeUri") or (props.get("Code") if isinstance(props.get("Code"), str) else None) or "."
        handler = props.get("Handler")
        if not isinstance(code, str) or not isinstance(handler, str):
            continue
        name = props.get("FunctionName")
        env = ((props.get("Environment") or {}).get("Variables") or {})
        code_dir = (path.parent / code).resolve()
        functions.append(LocalFunction(
            name if isinstance(name, str) else logical_id, _import(code_dir, handler), code_dir,
            {k: str(v) for k, v in env.items() if isinstance(v, (str, int, float, bool))},
            int(props.get("Timeout") or 3), int(props.get("MemorySize") or 128)))
    return functions


def _import(code_dir: Path, handler: str) -> Any:
    """Lambda's handler spelling, ``path/module.function`` relative to the code directory."""
    module_path, _, attr = handler.rpartition(".")
    return load_handler(f"{code_dir / module_path}.py:{attr}")
