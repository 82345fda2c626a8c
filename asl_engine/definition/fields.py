"""Which fields exist where: the tables both the model and the validator read.

Kept as plain data so the pydantic model, the validator rules and the compiler
agree on one list instead of three drifting copies. Order matters: when a
state carries several fields it does not support, diagnostics follow the order
of ``FIELD_ORDER`` (AWS reports TimeoutSeconds before Catch before Retry on a
Pass state whatever order they were written in).
"""

from __future__ import annotations

JSONPATH = "JSONPath"
JSONATA = "JSONata"

STATE_TYPES = ("Choice", "Fail", "Map", "Parallel", "Pass", "Succeed", "Task", "Wait")

# Canonical order of every state-level field; unknown fields sort after these.
FIELD_ORDER = (
    "Type", "Comment", "QueryLanguage",
    "Next", "End",
    "Resource", "Credentials",
    "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
    "Catch", "Retry",
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result",
    "Arguments", "Output", "Assign",
    "Choices", "Default",
    "Seconds", "SecondsPath", "Timestamp", "TimestampPath",
    "Error", "ErrorPath", "Cause", "CausePath",
    "Branches",
    "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader", "ItemBatcher",
    "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
    "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
    "ToleratedFailureCount", "ToleratedFailureCountPath", "Label",
)
FIELD_RANK = {name: i for i, name in enumerate(FIELD_ORDER)}

_COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
_FLOW = frozenset({"Next", "End"})
_IO = frozenset({"InputPath", "OutputPath"})
_RESULT = frozenset({"Parameters", "ResultSelector", "ResultPath", "Arguments"})
_ERRORS = frozenset({"Retry", "Catch"})
_JSONATA_OUT = frozenset({"Output", "Assign"})

# Every field a state type may carry in either query language; the language
# check (language.py) then rejects the ones the state's language forbids.
ALLOWED_FIELDS: dict[str, frozenset[str]] = {
    "Pass": _COMMON | _FLOW | _IO | _JSONATA_OUT | {"Parameters", "ResultPath", "Result"},
    "Task": _COMMON | _FLOW | _IO | _RESULT | _ERRORS | _JSONATA_OUT | {
        "Resource", "Credentials", "TimeoutSeconds", "TimeoutSecondsPath",
        "HeartbeatSeconds", "HeartbeatSecondsPath"},
    "Choice": _COMMON | _IO | _JSONATA_OUT | {"Choices", "Default"},
    "Wait": _COMMON | _FLOW | _IO | _JSONATA_OUT | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": _COMMON | _IO | {"Output"},
    "Fail": _COMMON | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON | _FLOW | _IO | _RESULT | _ERRORS | _JSONATA_OUT | {"Branches"},
    "Map": _COMMON | _FLOW | _IO | _ERRORS | _JSONATA_OUT | {
        "Parameters", "ResultSelector", "ResultPath",
        "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader", "ItemBatcher",
        "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
        "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
        "ToleratedFailureCount", "ToleratedFailureCountPath", "Label"},
}

# Fields that exist in only one query language (state level, Catch and Choice rules).
JSONPATH_ONLY = frozenset({
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result", "ItemsPath",
    "MaxConcurrencyPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath",
    "ErrorPath", "CausePath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath", "Variable",
})
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items", "Condition"})

TOP_LEVEL_FIELDS = ("StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage")
BRANCH_FIELDS = frozenset({"StartAt", "States", "Comment"})
PROCESSOR_FIELDS = BRANCH_FIELDS | {"ProcessorConfig"}

RETRIER_FIELDS = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                            "MaxDelaySeconds", "JitterStrategy", "Comment"})
CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"})

# Choice rule comparison operators, by the JSON type of their operand.
_COMPARED = {
    "String": ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"),
    "Numeric": ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"),
    "Timestamp": ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"),
    "Boolean": ("Equals",),
}
_OPERAND_KIND = {"String": "STRING", "Numeric": "NUMBER", "Timestamp": "TIMESTAMP", "Boolean": "BOOLEAN"}


def _comparison_operators() -> dict[str, str]:
    """Operator name -> operand kind (STRING, NUMBER, TIMESTAMP, BOOLEAN or PATH)."""
    table: dict[str, str] = {}
    for prefix, suffixes in _COMPARED.items():
        for suffix in suffixes:
            table[prefix + suffix] = _OPERAND_KIND[prefix]
            table[prefix + suffix + "Path"] = "PATH"
    table["StringMatches"] = "STRING"
    for test in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"):
        table[test] = "BOOLEAN"
    return table


COMPARISON_OPERATORS: dict[str, str] = _comparison_operators()
BOOLEAN_OPERATORS = ("And", "Or", "Not")
CHOICE_RULE_FIELDS = frozenset({"Variable", "Next", "Comment", "Assign", "Output", "Condition",
                                *BOOLEAN_OPERATORS, *COMPARISON_OPERATORS})
