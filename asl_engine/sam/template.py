"""Reading ``template.yaml``: YAML with CloudFormation's short-form intrinsics.

``!Ref X`` and ``!Sub "..."`` are tags a plain YAML loader rejects; they are
read as the long form (``{"Ref": "X"}``, ``{"Fn::Sub": "..."}``) that the
resolver in ``intrinsics.py`` understands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short-form intrinsics as ``{"Fn::X": value}``."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=_CloudFormationLoader) or {}
