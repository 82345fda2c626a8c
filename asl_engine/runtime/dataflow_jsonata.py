"""How a JSONata state's input becomes its output: ``Arguments`` in, ``Output`` and ``Assign`` out.

The interface is ``JsonPathIO``'s, so the states do not care which language
they run.  Every field is a template compiled once; what an expression sees is
``$states`` (``input``: the raw state input, ``result``, ``errorOutput`` in a
Catch, ``context``) and the workflow variables by name.  The context object is
built only for templates that read ``$states.context``, and the variables are
handed over as the frame's own mapping, never copied.

The ``Field`` adapters give JSONata expressions the ``text``/``find(scope)``
interface of a JSONPath Path, so fields such as ``TimeoutSeconds``, Map
``Items`` or Wait ``Seconds`` reuse the JSONPath mode's value checks.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from asl_engine.query.jsonata import QueryEvaluationError, Template, compile_template, is_jsonata_template
from asl_engine.query.jsontext import to_json_text
from asl_engine.query.scope import Scope
from asl_engine.runtime.variables import merged

if TYPE_CHECKING:
    from asl_engine.runtime.frame import Frame


def template(value: Any, field: str) -> Template | None:
    """``value`` compiled as the field ``field``; None for an absent field."""
    return None if value is None else compile_template(value, field)


def _reads_context(*templates: Template | None) -> bool:
    for t in templates:
        if t is not None:
            for _, expression in t.expressions:
                fields = expression.states_fields
                if fields is None or "context" in fields:
                    return True
    return False


def _bindings(states: dict[str, Any], variables: Mapping[str, Any]) -> Mapping[str, Any]:
    """What an expression can name: ``$states`` and the variables in scope."""
    return ChainMap({"states": states}, variables)  # type: ignore[arg-type]


class JsonataIO:
    """The JSONata data flow of one state (Arguments, Output, Assign); absent fields cost nothing."""

    __slots__ = ("arguments", "assign", "credentials", "output_template", "reads_context")

    def __init__(self, state: Any) -> None:
        self.arguments = template(getattr(state, "arguments", None), "Arguments")
        self.output_template = compile_template(state.output, "Output") if state.has("output") else None
        self.assign = template(getattr(state, "assign", None), "Assign")
        self.credentials = template(getattr(state, "credentials", None), "Credentials")
        self.reads_context = _reads_context(self.arguments, self.output_template, self.assign, self.credentials)

    def _states(self, frame: Frame, raw: Any, reads_context: bool, **extra: Any) -> dict[str, Any]:
        states = {"input": raw, **extra}
        if reads_context:
            states["context"] = frame.context()
        return states

    def effective_input(self, frame: Frame, raw: Any) -> Any:
        return raw

    def task_input(self, frame: Frame, effective: Any) -> Any:
        if self.arguments is None:
            return effective
        states = self._states(frame, effective, self.reads_context)
        return self.arguments.evaluate(_bindings(states, frame.variables), frame.run.services)

    def task_credentials(self, frame: Frame, effective: Any) -> Any:
        """A Task's ``Credentials`` over its input (as Arguments sees it); None without the field."""
        if self.credentials is None:
            return None
        states = self._states(frame, effective, self.reads_context)
        return self.credentials.evaluate(_bindings(states, frame.variables), frame.run.services)

    def output(self, frame: Frame, raw: Any, result: Any) -> Any:
        if self.assign is None and self.output_template is None:
            return result
        env = _bindings(self._states(frame, raw, self.reads_context, result=result), frame.variables)
        services = frame.run.services
        if self.assign is not None:
            frame.assigned = self.assign.evaluate(env, services)
        return result if self.output_template is None else self.output_template.evaluate(env, services)

    def passthrough(self, frame: Frame, effective: Any, rule: Any = None) -> Any:
        """Output of Choice, Wait and Succeed; a matched Choice rule's Assign joins the state's and its
        Output replaces the state's."""
        output, assign = self.output_template, self.assign
        rule_assign = rule.assign if rule is not None else None
        if rule is not None and rule.output is not None:
            output = rule.output
        if assign is None and rule_assign is None and output is None:
            return effective
        reads_context = self.reads_context or (rule is not None and rule.reads_context)
        env = _bindings(self._states(frame, effective, reads_context), frame.variables)
        services = frame.run.services
        if assign is not None or rule_assign is not None:
            frame.assigned = merged(None if assign is None else assign.evaluate(env, services),
                                    None if rule_assign is None else rule_assign.evaluate(env, services))
        return effective if output is None else output.evaluate(env, services)

    def error_output(self, frame: Frame, raw: Any, error_doc: dict, catcher: Any) -> Any:
        """A caught error: the catcher's Assign replaces the state's; its Output (default: the error output)."""
        frame.assigned = None
        if catcher.assign is None and catcher.output is None:
            return error_doc
        env = _bindings(self._states(frame, raw, True, errorOutput=error_doc), frame.variables)
        services = frame.run.services
        if catcher.assign is not None:
            frame.assigned = catcher.assign.evaluate(env, services)
        return error_doc if catcher.output is None else catcher.output.evaluate(env, services)


class RuleFields:
    """A Choice rule's own Assign and (JSONata) Output, used when the rule matches."""

    __slots__ = ("assign", "output", "reads_context")

    def __init__(self, assign: Any, output: Any) -> None:
        self.assign, self.output = assign, output
        self.reads_context = _reads_context(*(t for t in (assign, output) if isinstance(t, Template)))


_JSON_TYPES = ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "array"), (dict, "object"))


def _json_type(value: Any) -> str:
    return "null" if value is None else next(name for kind, name in _JSON_TYPES if isinstance(value, kind))


def _unexpected_type(source: str, field: str, expected: str, value: Any) -> QueryEvaluationError:
    """A field's expression returned the wrong kind of value (the wording LocalStack matched to AWS)."""
    return QueryEvaluationError(f"The JSONata expression '{source}' specified for the field '{field}' returned an "
                                f"unexpected result type. Expected '{expected}', but was '{_json_type(value)}' "
                                f"for value: {to_json_text(value)}", field)


class Field:
    """A JSONata field read where JSONPath mode reads a Path (``text``, ``find(scope)``), as Map ``Items``,
    ``TimeoutSeconds`` or Fail ``Error`` (``value(frame, raw)``, the interface of ErrorPath).

    ``expected`` (a JSON type name) makes a value of another type a States.QueryEvaluationError.
    """

    __slots__ = ("_expected", "_reads_context", "_template", "field", "text")

    def __init__(self, value: Any, field: str, expected: str | None = None) -> None:
        self.field = field
        self.text = value[2:-2].strip() if is_jsonata_template(value) else to_json_text(value)
        self._template = compile_template(value, field)
        self._reads_context = _reads_context(self._template)
        self._expected = expected

    def find(self, scope: Scope) -> Any:
        value = self._template.evaluate(_scope_bindings(scope, self._reads_context))
        if self._expected is not None and _json_type(value) != self._expected:
            raise _unexpected_type(self.text, self.field, self._expected, value)
        return value

    def value(self, frame: Frame, raw: Any) -> Any:
        return self.find(frame.scope(raw))


def field_or_value(value: Any, field: str) -> tuple[Any, Field | None]:
    """``(literal, None)`` for a plain value, ``(None, Field)`` for a ``{% %}`` expression."""
    if is_jsonata_template(value):
        return None, Field(value, field)
    return value, None


class ScopeTemplate:
    """A JSONata template with the ``evaluate(scope, services)`` interface of a JSONPath payload
    (Map ``ItemSelector``, which sees ``$states.input`` and ``$states.context.Map.Item``)."""

    __slots__ = ("_template", "reads_context")

    def __init__(self, value: Any, field: str) -> None:
        self._template = compile_template(value, field)
        self.reads_context = _reads_context(self._template)

    def evaluate(self, scope: Scope, services: Any = None) -> Any:
        return self._template.evaluate(_scope_bindings(scope, self.reads_context), services)


def _scope_bindings(scope: Scope, reads_context: bool) -> Mapping[str, Any]:
    states = {"input": scope.input}
    if reads_context:
        states["context"] = scope.context
    return _bindings(states, scope.variables)


def condition(value: bool | str) -> Any:
    """A JSONata Choice rule's ``Condition`` as a predicate over a scope (the Choice's input)."""
    if not isinstance(value, str):
        return lambda scope: value
    return Field(value, "Condition", "boolean").find
