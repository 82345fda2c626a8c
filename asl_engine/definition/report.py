"""Collects diagnostics and spells locations the way AWS does.

AWS locations look like JSON pointers but index arrays with brackets
(``/States/C/Choices[0]/Next``, ``/States/P/Branches[0]/States/A``) and do not
escape ``/`` inside state names (``/States/a/b``); we copy that so a location
can be compared with what ValidateStateMachineDefinition returns.
"""

from __future__ import annotations

from asl_engine.errors import Diagnostic

SCHEMA = "SCHEMA_VALIDATION_FAILED"
INVALID_JSON = "INVALID_JSON_DESCRIPTION"
MISSING_DESCRIPTION = "MISSING_DESCRIPTION"
INVALID_RESOURCE = "INVALID_RESOURCE"
MISSING_END_STATE = "MISSING_END_STATE"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
DUPLICATE_LABEL_NAME = "DUPLICATE_LABEL_NAME"
INVALID_LABEL_NAME = "INVALID_LABEL_NAME"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA = "UNSUPPORTED_JSONATA_EXPRESSION"
NO_DOLLAR = "NO_DOLLAR"
NO_PATH = "NO_PATH"
PASS_RESULT_IS_STATIC = "PASS_RESULT_IS_STATIC"

# JSON type names as AWS prints them in "Expected value of type [STRING]".
_JSON_TYPES = {"STRING": (str,), "INTEGER": (int,), "NUMBER": (int, float), "BOOLEAN": (bool,),
               "OBJECT": (dict,), "ARRAY": (list,)}


def at(location: str, key: str) -> str:
    """Location of field ``key`` under ``location``."""
    return f"{location}/{key}"


def item(location: str, index: int) -> str:
    """Location of element ``index`` of the array at ``location`` (AWS's ``Field[i]`` form)."""
    return f"{location}[{index}]"


def is_type(value: object, kind: str) -> bool:
    """JSON type test; booleans are not numbers and integral floats count as integers."""
    if kind == "INTEGER" and isinstance(value, float):
        return value.is_integer()
    if isinstance(value, bool):
        return kind == "BOOLEAN"
    return isinstance(value, _JSON_TYPES[kind])


class Report:
    """The diagnostics found so far, in the order the rules found them."""

    __slots__ = ("diagnostics",)

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic("ERROR", code, message, location))

    def warning(self, code: str, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic("WARNING", code, message, location))

    def schema(self, message: str, location: str) -> None:
        """The common case: a SCHEMA_VALIDATION_FAILED error."""
        self.error(SCHEMA, message, location)

    def expect(self, value: object, kind: str, location: str) -> bool:
        """Report a wrong JSON type at ``location``; True when ``value`` has type ``kind``."""
        if is_type(value, kind):
            return True
        self.schema(f"Expected value of type [{kind}]", location)
        return False

    def expect_range(self, value: float, location: str, minimum: float | None = None,
                     maximum: float | None = None) -> None:
        """Report a number outside ``[minimum, maximum]`` with AWS's wording."""
        if minimum is not None and value < minimum:
            self.schema(f"Minimum value is {_plain(minimum)}", location)
        elif maximum is not None and value > maximum:
            self.schema(f"Maximum value is {_plain(maximum)}", location)

    def one_of(self, value: object, allowed: tuple[str, ...], location: str) -> bool:
        """Report a string outside an enum; True when it is one of ``allowed``."""
        if not self.expect(value, "STRING", location):
            return False
        if value in allowed:
            return True
        self.schema(f"Value should be one of the following: [{', '.join(allowed)}]", location)
        return False

    def required(self, node: dict, names: tuple[str, ...], location: str) -> bool:
        """Report the missing ones of ``names``; True when all are present."""
        missing = [name for name in names if name not in node]
        if missing:
            self.schema(f"These fields are required: [{', '.join(missing)}]", location)
        return not missing

    def unsupported(self, field: str, location: str) -> None:
        self.schema(f"Field '{field}' is not supported", location)


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
