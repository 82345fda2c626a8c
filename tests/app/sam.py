"""Just enough of CloudFormation to read template.yaml in tests: intrinsics resolved to stand-in values.

Parameters resolve to their defaults, resources to a name or ARN of the
right shape, so the event patterns, input transformers and definition
substitutions can be checked against what AWS would see after deployment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from asl_engine.integrations.sam_template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
PSEUDO = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::StackName": "mlops",
          "AWS::Partition": "aws"}


class Template:
    def __init__(self, path: Path = TEMPLATE) -> None:
        self.raw = load_template(path)
        self.resources: dict[str, dict[str, Any]] = self.raw["Resources"]
        self.parameters = {name: p.get("Default") for name, p in self.raw.get("Parameters", {}).items()}

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return str(self.parameters[name])
        if name in PSEUDO:
            return PSEUDO[name]
        resource = self.resources[name]
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:us-east-1:123456789012:stateMachine:{self.resolve(props['Name'])}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:us-east-1:123456789012:{name}"
        if kind == "AWS::CloudWatch::Alarm":
            return self.resolve(props["AlarmName"])
        if kind == "AWS::Events::EventBus":
            return self.resolve(props["Name"])
        return f"mlops-{name.lower()}"

    def get_att(self, name: str, attribute: str) -> str:
        if attribute == "Arn":
            kind = self.resources[name]["Type"]
            service = {"AWS::Serverless::Function": "lambda:us-east-1:123456789012:function",
                       "AWS::IAM::Role": "iam::123456789012:role"}.get(kind, "unknown:us-east-1:123456789012:x")
            return f"arn:aws:{service}:{name}"
        return f"{name}-{attribute}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            name, attribute = target.split(".", 1) if isinstance(target, str) else target
            return self.get_att(name, attribute)
        if "Fn::Sub" in value:
            def sub(match: re.Match) -> str:
                name = match.group(1)
                return self.get_att(*name.split(".", 1)) if "." in name else self.ref(name)

            return re.sub(r"\$\{([^}]+)\}", sub, value["Fn::Sub"])
        return {k: self.resolve(v) for k, v in value.items()}

    def definition(self, logical_id: str) -> str:
        """The state machine's definition after DefinitionSubstitutions, as CloudFormation would deploy it."""
        props = self.resources[logical_id]["Properties"]
        text = (ROOT / props["DefinitionUri"]).read_text()
        substitutions = self.resolve(props.get("DefinitionSubstitutions", {}))
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(substitutions[m.group(1)]), text)
