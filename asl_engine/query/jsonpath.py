"""ASL Paths and Reference Paths, compiled once per definition.

AWS evaluates JSONPath with Jayway JsonPath over Jackson nodes, and several of
its observable behaviours come from that pairing rather than from any JSONPath
"standard":

* a definite path (names and single indexes only) yields one value or fails;
  an indefinite one (wildcard, filter, slice, ``..``, index union) yields a
  list, possibly empty, and never fails;
* an array index out of range yields ``null`` (Jackson's ``ArrayNode.get``
  returns null instead of throwing), so ``$.items[5]`` on a two-item list is
  ``null``, while anything read *through* it (``$.items[5].x``) is missing;
* a union of names at the end of a path (``$['a','b']``) merges those keys into
  one object, which makes it definite.

The common case, a short definite path, compiles to a tuple of keys and
indexes walked by a tight loop: no parser or library on the hot path.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from asl_engine.errors import PathSyntaxError, StatesError
from asl_engine.query.jsonpath_segments import Index, Name, NameUnion, Segment, select_all
from asl_engine.query.jsonpath_syntax import CONTEXT, INPUT, parse_path
from asl_engine.query.jsontext import to_json_text
from asl_engine.query.scope import Scope


class PathNotFound(LookupError):
    """A definite path that selects nothing; ``path`` is its text.

    ``detail`` is Jayway's message for the miss, which AWS quotes in the cause
    of a failed InputPath/OutputPath: ``Invalid path '$.x' : No results for
    path: $['x']`` (see ``aws_cause``).  An ItemsPath miss is reported as a
    Reference Path conflict instead: ``reference_conflict(e.step, input)``.
    Both are built only when read, so Choice rules and ``IsPresent`` can miss
    cheaply.
    """

    def __init__(self, path: str, steps: tuple[str | int, ...] = (), at: int = -1, node: Any = None) -> None:
        super().__init__(path)
        self.path = path
        self._steps, self._at, self._node = steps, at, node

    def __str__(self) -> str:
        return self.aws_cause

    @property
    def step(self) -> str | int | None:
        """The field or index where the walk stopped (None for a path that is not simple)."""
        if not self._steps:
            return None
        return self._steps[self._at if 0 <= self._at < len(self._steps) else -1]

    @property
    def aws_cause(self) -> str:
        return f"Invalid path '{self.path}' : {self.detail}"

    @property
    def detail(self) -> str:
        steps, at, node = self._steps, self._at, self._node
        if at < 0:
            return f"No results for path: {_jayway_path(steps) if steps else self.path}"
        step, before = steps[at], _jayway_path(steps[:at])
        if isinstance(step, int):
            if node is _JAVA_NULL:
                return f"The path {before} is null"
            return f"Filter: [{step}] can only be applied to arrays. Current context is: {to_json_text(node)}"
        if isinstance(node, dict):
            if at == len(steps) - 1:
                return f"No results for path: {_jayway_path(steps)}"
            return f"Missing property in path {_jayway_path(steps[:at + 1])}"
        found = "null" if node is _JAVA_NULL else f"com.fasterxml.jackson.databind.node.{_node_class(node)}"
        return (f"Expected to find an object with property ['{step}'] in path {before} but found '{found}'. "
                "This is not a json object according to the JsonProvider: "
                "'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.")


_JAVA_NULL: Any = object()  # what an out-of-range index yields mid-path (Jackson's Java null)


def _jayway_path(steps: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f"['{s}']" for s in steps)


def _node_class(value: Any) -> str:
    if isinstance(value, list):
        return "ArrayNode"
    if isinstance(value, str):
        return "TextNode"
    if isinstance(value, bool):
        return "BooleanNode"
    if isinstance(value, int):
        return "IntNode" if -(2**31) <= value < 2**31 else "LongNode"
    if isinstance(value, float):
        return "DoubleNode"
    return "NullNode"


class Path:
    """A compiled ASL Path: ``$...`` (input), ``$$...`` (context) or ``$name...`` (variable)."""

    __slots__ = ("_keys", "_kind", "_segments", "_steps", "_var", "is_definite", "text")

    def __init__(self, text: str, kind: int, var: str | None, segments: tuple[Segment, ...]) -> None:
        self.text = text
        self._kind = kind
        self._var = var
        self._segments = segments
        self.is_definite = all(s.definite for s in segments) and not any(
            isinstance(s, NameUnion) for s in segments[:-1])
        simple = all(type(s) in (Name, Index) for s in segments)
        self._steps: tuple[str | int, ...] | None = (
            tuple(s.key if type(s) is Name else s.index for s in segments) if simple else None)  # type: ignore[union-attr]
        # Field names only: plain subscripts can walk it, since only a dict accepts a str subscript.
        self._keys = self._steps if simple and all(type(s) is Name for s in segments) else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"

    @property
    def reads_input(self) -> bool:
        """Whether the path starts at the state input (not ``$$`` or a variable)."""
        return self._kind == INPUT

    def root(self, scope: Scope) -> Any:
        """The document this path starts from: the input, the context object or a variable."""
        if self._kind == INPUT:
            return scope.input
        if self._kind == CONTEXT:
            return scope.context
        try:
            return scope.variables[self._var]  # type: ignore[index]
        except KeyError:
            raise PathNotFound(self.text) from None

    def find(self, scope: Scope) -> Any:
        """Definite: the value (or PathNotFound); indefinite: the list of matches."""
        return self.find_in(scope.input if self._kind == INPUT else self.root(scope))

    def find_in(self, doc: Any, strict_index: bool = False) -> Any:
        """Evaluate against a bare document.

        ``strict_index`` makes an out-of-range index a miss instead of
        ``null``: AWS resolves intrinsic-function arguments that way.
        """
        if self._keys is not None:
            node = doc
            try:
                for key in self._keys:
                    node = node[key]
                return node
            except (KeyError, TypeError):
                pass  # a miss: walk again below to say where, as Jayway does
        steps = self._steps
        if steps is None:
            matches = select_all(self._segments, doc, doc)
            if not self.is_definite:
                return matches
            if not matches:
                raise PathNotFound(self.text)
            return matches[0]
        for at, step in enumerate(steps):
            if type(step) is str:
                if not isinstance(doc, dict) or step not in doc:
                    raise PathNotFound(self.text, steps, at, doc)
                doc = doc[step]
            elif isinstance(doc, list):
                i = step + len(doc) if step < 0 else step
                if 0 <= i < len(doc):
                    doc = doc[i]
                elif at + 1 < len(steps):
                    raise PathNotFound(self.text, steps, at + 1, _JAVA_NULL)
                elif strict_index:
                    raise PathNotFound(self.text, steps)
                else:
                    doc = None
            else:
                raise PathNotFound(self.text, steps, at, doc)
        return doc


class ReferencePath(Path):
    """A definite path that can also be written to (ResultPath)."""

    __slots__ = ()

    def set(self, doc: Any, value: Any) -> Any:
        """Return a new document with ``value`` at this path, copying only the containers on the way.

        Missing objects along the path are created, as AWS does.  Stepping
        through anything that is not an object (or an array, for an index)
        fails the way AWS does: ``States.ReferencePathConflict`` with ``Unable
        to apply step "<field>" to input <the whole input>`` (or ``Unable to
        apply ReferencePath <path> to input <input>`` when the input itself is
        not a container).  The spec's ``States.ResultPathMatchFailure`` is not
        what AWS raises.
        """
        if self._kind != INPUT:
            raise ValueError(f"cannot write through {self.text!r}: only '$' paths can be written")
        steps: tuple[str | int, ...] = self._steps  # type: ignore[assignment]
        if steps and not isinstance(doc, (dict, list)):
            raise StatesError(REFERENCE_PATH_CONFLICT,
                              f"Unable to apply ReferencePath {self.text} to input {to_json_text(doc)}")
        try:
            return _set(doc, steps, 0, value)
        except _StepConflict as conflict:
            raise reference_conflict(conflict.step, doc) from None


REFERENCE_PATH_CONFLICT = "States.ReferencePathConflict"


def reference_conflict(step: str | int, doc: Any) -> StatesError:
    """AWS's failure for a Reference Path (ResultPath, ItemsPath) that cannot be applied to ``doc``."""
    return StatesError(REFERENCE_PATH_CONFLICT, f'Unable to apply step "{step}" to input {to_json_text(doc)}')


class _StepConflict(Exception):
    def __init__(self, step: str | int) -> None:
        self.step = step


def _set(node: Any, steps: tuple[str | int, ...], at: int, value: Any) -> Any:
    if at == len(steps):
        return value
    step = steps[at]
    if type(step) is str and isinstance(node, dict):
        copy = dict(node)
        child = node.get(step)
        if child is None and at + 1 < len(steps):
            child = {}
        copy[step] = _set(child, steps, at + 1, value)
        return copy
    if type(step) is int and isinstance(node, list) and -len(node) <= step < len(node):
        copy = list(node)
        copy[step] = _set(node[step], steps, at + 1, value)
        return copy
    raise _StepConflict(step)


@lru_cache(maxsize=4096)
def compile_path(text: str) -> Path:
    """Compile any ASL Path; PathSyntaxError says what is wrong and where."""
    kind, var, segments = parse_path(text)
    return Path(text, kind, var, segments)


@lru_cache(maxsize=4096)
def compile_reference_path(text: str) -> ReferencePath:
    """Compile a Reference Path: names and single indexes only, as AWS requires."""
    kind, var, segments = parse_path(text)
    if any(type(s) not in (Name, Index) for s in segments):
        raise PathSyntaxError(f"Invalid Reference Path '{text}': only object fields and array indexes "
                              "are allowed (no wildcard, filter, slice, union or '..')")
    return ReferencePath(text, kind, var, segments)
