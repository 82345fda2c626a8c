"""CloudFormation intrinsic functions, resolved against the local stack's names.

Covers what SAM templates use for wiring: Ref (parameters, pseudo
parameters, resources), Fn::GetAtt, Fn::Sub (both forms, ``${!Literal}``),
Fn::Join, Fn::Select, Fn::Split, Fn::If with the template's Conditions
(Fn::Equals/Not/And/Or/Condition) and AWS::NoValue, which removes the key
or item that holds it, as CloudFormation does.
"""

from __future__ import annotations

import re
from typing import Any

from asl_engine.sam.names import NAME_PROPERTY, Naming

_NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}]+)\}")


class Resolver:
    def __init__(self, template: dict[str, Any], parameters: dict[str, str], naming: Naming) -> None:
        self.resources: dict[str, dict[str, Any]] = template.get("Resources") or {}
        self.conditions: dict[str, Any] = template.get("Conditions") or {}
        self.naming = naming
        declared = template.get("Parameters") or {}
        self.parameters = {name: str(parameters.get(name, spec.get("Default", ""))) for name, spec in declared.items()}
        self.pseudo = {"AWS::Region": naming.region, "AWS::AccountId": naming.account,
                       "AWS::StackName": naming.stack, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

    # -- names of resources --------------------------------------------------------------------------------

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        kind, props = resource["Type"], resource.get("Properties") or {}
        explicit = props.get(NAME_PROPERTY.get(kind, ""))
        return self.naming.name(logical_id, kind, self.resolve(explicit) if explicit is not None else None)

    def _resource(self, logical_id: str) -> tuple[str, str, dict[str, Any]]:
        if logical_id not in self.resources:
            raise KeyError(f"unresolved reference to {logical_id!r}")
        resource = self.resources[logical_id]
        props = {k: v for k, v in (resource.get("Properties") or {}).items() if k == "EventBusName"}
        return resource["Type"], self.physical_name(logical_id), self.resolve(props)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        kind, physical, props = self._resource(name)
        return self.naming.ref(kind, physical, props)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind, physical, props = self._resource(logical_id)
        return self.naming.get_att(kind, physical, props, attribute)

    def arn(self, logical_id: str) -> str:
        return self.get_att(logical_id, "Arn")

    # -- conditions ----------------------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        return bool(self._truth(self.conditions[name]))

    def _truth(self, value: Any) -> bool:
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"not a condition: {value!r}")
        (function, args), = value.items()
        if function == "Condition":
            return self.condition(args)
        if function == "Fn::Equals":
            left, right = (self.resolve(a) for a in args)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self._truth(args[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in args)
        if function == "Fn::Or":
            return any(self._truth(a) for a in args)
        raise ValueError(f"unsupported condition function {function}")

    # -- values --------------------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic replaced by what the deployed stack would hold."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self._resolve(item) for item in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, args), = value.items()
            if key == "Ref":
                return self.ref(args)
            if key.startswith("Fn::") and key != "Fn::Transform":
                return self._function(key, args)
        return {k: v for k, v in ((k, self._resolve(v)) for k, v in value.items()) if v is not _NO_VALUE}

    def _function(self, key: str, args: Any) -> Any:
        if key == "Fn::GetAtt":
            logical_id, attribute = args.split(".", 1) if isinstance(args, str) else args
            return self.get_att(logical_id, attribute)
        if key == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else (args[0], self._resolve(args[1]))
            return self._sub(text, variables)
        if key == "Fn::Join":
            delimiter, items = args
            return delimiter.join(str(v) for v in self._resolve(items))
        if key == "Fn::Select":
            index, items = self._resolve(args)
            return items[int(index)]
        if key == "Fn::Split":
            delimiter, text = self._resolve(args)
            return text.split(delimiter)
        if key == "Fn::If":
            name, then, otherwise = args
            return self._resolve(then if self.condition(name) else otherwise)
        raise ValueError(f"unsupported intrinsic function {key}")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return _SUB.sub(one, text)
