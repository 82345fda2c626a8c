"""JSONata as Step Functions runs it: ``{% ... %}`` templates over jlens.

The engine is jlens (Rust), chosen with ``bench/jsonata_engines.py``: on the
JSONata 2.0.6 suite it passes 1619 of 1625 cases (jsonata-python 1565), it
evaluates Step Functions-shaped expressions in about 10 us (jsonata-python
about 130 us), and its error messages are jsonata-js's word for word, which
is what AWS quotes in its causes ("T1006: Attempted to invoke a non-function").
jsonata2py passes all 1625 codes and is as fast, but words its errors its own
way ("The function 'x' is not defined") and cannot remove ``$eval``; jsonatapy
cannot tell undefined from null without a JSON round trip.  This module
adapts jlens to Step Functions:

* expressions are compiled once per definition; syntax errors surface at
  compile time with their position, for the validator;
* an undefined result is told apart from ``null`` (jlens returns ``None`` for
  both), because AWS fails a field that "returned nothing (undefined)";
* only the parts of the bindings an expression reads are handed to the engine
  (jlens converts bindings whole: 0.7 ms per evaluation for a 2,000-record
  ``$states.input``, 3.5 us once cut down);
* the Step Functions functions are added and ``$eval`` removed;
* a lone surrogate escape in an expression is a syntax error, not a crash
  (jlens cannot take it across to Rust);
* errors carry the text AWS puts in ``States.QueryEvaluationError`` causes.
"""

from __future__ import annotations

import re
from typing import Any

import jlens

from asl_engine.errors import QuerySyntaxError, StateFailure
from asl_engine.query.jsonata_functions import SFN_FUNCTIONS, FunctionError, ServicesLike, current_services

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
_FUNCTION_CALL = re.compile(r"\$(" + "|".join(SFN_FUNCTIONS) + r")\b")
# The result is read back through an object constructor, which omits undefined values but keeps
# null: the only way to tell them apart with jlens's Python API without re-evaluating.
_RESULT_VAR = "__asl_result"
_WRAP = "($" + _RESULT_VAR + " := ({src}); {{\"v\": $" + _RESULT_VAR + "}})"
_UNAVAILABLE = {"eval": None}  # AWS removes $eval: calling it is T1006, as for any unknown function


class _Undefined:
    """JSONata's ``undefined``: no value at all, which JSON cannot carry."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


class JsonataSyntaxError(QuerySyntaxError):
    """A malformed expression, found at compile time; ``position`` counts characters of the expression."""

    def __init__(self, code: str, message: str, position: int, token: str | None = None,
                 field: str | None = None) -> None:
        where = f" at position {position}" + (f" ({token!r})" if token else "")
        super().__init__(f"{code}: {message}{where}")
        self.code, self.message, self.position, self.token, self.field = code, message, position, token, field


class QueryEvaluationError(StateFailure):
    """States.QueryEvaluationError for one field; ``location`` (``Output/result``) goes in EvaluationFailed."""

    def __init__(self, cause: str, location: str) -> None:
        super().__init__(QUERY_EVALUATION_ERROR, cause)
        self.location = location


class JsonataEvalError(Exception):
    """An expression failed while evaluating; ``reason`` is the tail AWS prints, e.g. ``T1006: ...``."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def is_jsonata_template(value: Any) -> bool:
    """AWS's rule: a string that starts with ``{%`` and ends with ``%}``, with no outer whitespace."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def undefined_cause(source: str, field: str) -> str:
    return (f"The JSONata expression '{source}' specified for the field '{field}' "
            "returned nothing (undefined).")


def evaluation_error_cause(source: str, field: str, reason: str) -> str:
    return (f"The JSONata expression '{source}' specified for the field '{field}' "
            f"threw an error during evaluation. {reason}")


class Expression:
    """One compiled expression; thread-safe, evaluated any number of times."""

    __slots__ = ("_compiled", "_reads", "source")

    def __init__(self, source: str, compiled: jlens.Expression, reads: dict[str, Any] | None) -> None:
        self.source = source
        self._compiled = compiled
        self._reads = reads  # binding name -> what of it is read; None: pass every binding

    @property
    def states_fields(self) -> frozenset[str] | None:
        """The fields of ``$states`` the expression reads (``input``, ``context``...); None: possibly all."""
        if self._reads is None:
            return None
        read = self._reads.get("states")
        if read is None:
            return frozenset()
        return frozenset(read) if isinstance(read, dict) else None

    def evaluate(self, bindings: dict[str, Any], services: ServicesLike | None = None, *,
                 input: Any = UNDEFINED) -> Any:
        """The JSON value of the expression, or ``UNDEFINED``; raises ``JsonataEvalError``.

        ``bindings`` holds ``states`` and the workflow variables by name.  ``input`` is ``$``:
        Step Functions binds nothing there, the JSONata suite does.
        """
        env = _cut_bindings(bindings, self._reads)
        token = current_services.set(services) if services is not None else None
        try:
            out = self._compiled.evaluate(None if input is UNDEFINED else input, env)
        except jlens.JlensError as exc:
            raise JsonataEvalError(f"{exc.code}: {exc}", exc.code) from None
        except FunctionError as exc:
            raise JsonataEvalError(str(exc), exc.code) from None
        finally:
            if token is not None:
                current_services.reset(token)
        return out.get("v", UNDEFINED) if isinstance(out, dict) else UNDEFINED

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def _cut_bindings(bindings: dict[str, Any], reads: dict[str, Any] | None) -> dict[str, Any]:
    if reads is None:
        return {**bindings, **_UNAVAILABLE}
    env = {name: _cut(bindings[name], read) for name, read in reads.items() if name in bindings}
    env.update(_UNAVAILABLE)
    return env


def _cut(value: Any, read: Any) -> Any:
    """The part of ``value`` that ``read`` (from ``jlens.Expression.reads``) says is needed.

    Only objects are cut: a list is passed whole, since walking its items in Python would
    cost more than jlens converting them.
    """
    if read is True or not isinstance(value, dict):
        return value
    return {key: _cut(value[key], sub) for key, sub in read.items() if key in value}


def compile_expression(text: str) -> Expression:
    """Compile the inside of ``{% %}``; raises ``JsonataSyntaxError`` with the position of the fault."""
    source = text.strip()
    try:
        jlens.Expression(text)  # diagnose on the user's own text, so positions are theirs
        compiled = jlens.Expression(_WRAP.format(src=text))
    except jlens.JlensError as exc:
        raise JsonataSyntaxError(exc.code, str(exc), exc.position, exc.token) from None
    except UnicodeEncodeError:  # a lone surrogate escape (\ud800) cannot be handed to the engine
        raise JsonataSyntaxError("S0101", "The expression contains an unpaired surrogate", 0) from None
    for name in set(_FUNCTION_CALL.findall(text)):
        implementation, signature = SFN_FUNCTIONS[name]
        compiled.register_function(name, implementation, signature)
    try:
        reads = compiled.reads()["bindings"]
    except jlens.JlensError:  # no analysis: hand over every binding rather than fail the definition
        reads = None
    return Expression(source, compiled, reads)


class Template:
    """A field value with ``{% %}`` strings at any depth, ready to evaluate.

    Static parts are kept as they are and returned shared, not copied: callers must not
    mutate what ``evaluate`` returns in place.
    """

    __slots__ = ("_node", "expressions", "field")

    def __init__(self, field: str, node: Any, expressions: list[tuple[str, Expression]]) -> None:
        self.field = field
        self._node = node
        self.expressions = expressions  # (field path, expression), for validation

    @property
    def is_static(self) -> bool:
        return not self.expressions

    def evaluate(self, bindings: dict[str, Any], services: ServicesLike | None = None) -> Any:
        """The evaluated value; a failing or undefined expression raises States.QueryEvaluationError."""
        return _evaluate_node(self._node, bindings, services)


class _Eval:
    __slots__ = ("expression", "field")

    def __init__(self, expression: Expression, field: str) -> None:
        self.expression, self.field = expression, field


class _Dict:
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self.items = items


class _List:
    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


def _evaluate_node(node: Any, bindings: dict[str, Any], services: ServicesLike | None) -> Any:
    kind = type(node)
    if kind is _Eval:
        try:
            value = node.expression.evaluate(bindings, services)
        except JsonataEvalError as exc:
            cause = evaluation_error_cause(node.expression.source, node.field, exc.reason)
            raise QueryEvaluationError(cause, node.field) from None
        if value is UNDEFINED:
            raise QueryEvaluationError(undefined_cause(node.expression.source, node.field), node.field)
        return value
    if kind is _Dict:
        return {key: _evaluate_node(child, bindings, services) for key, child in node.items}
    if kind is _List:
        return [_evaluate_node(child, bindings, services) for child in node.items]
    return node


def compile_template(value: Any, field: str) -> Template:
    """Compile ``value`` (the JSON of field ``field``, e.g. ``"Output"``) once per definition.

    Nested fields are named as AWS names them in causes: ``Output/result``, ``Arguments/FunctionName``.
    Raises ``JsonataSyntaxError`` with ``field`` set to the path of the malformed expression.
    """
    expressions: list[tuple[str, Expression]] = []
    return Template(field, _compile_node(value, field, expressions), expressions)


def _compile_node(value: Any, path: str, expressions: list[tuple[str, Expression]]) -> Any:
    if is_jsonata_template(value):
        try:
            expression = compile_expression(value[2:-2])
        except JsonataSyntaxError as exc:
            exc.field = path
            raise
        expressions.append((path, expression))
        return _Eval(expression, path)
    if isinstance(value, dict):
        children = [(key, _compile_node(child, f"{path}/{key}", expressions)) for key, child in value.items()]
        if any(isinstance(child, _Eval | _Dict | _List) for _, child in children):
            return _Dict(children)
    elif isinstance(value, list):
        items = [_compile_node(child, f"{path}/{i}", expressions) for i, child in enumerate(value)]
        if any(isinstance(child, _Eval | _Dict | _List) for child in items):
            return _List(items)
    return value
