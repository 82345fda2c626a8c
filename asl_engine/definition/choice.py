"""Choice state rules.

A JSONPath rule is one comparison (``Variable`` plus one operator) or one of
``And``/``Or``/``Not``; a JSONata rule is a ``Condition``. Only the top-level
rules of ``Choices`` transition, so ``Next`` (and ``Assign``/``Output``) is
required there and refused in nested rules.
"""

from __future__ import annotations

from asl_engine.definition.expressions import check_path
from asl_engine.definition.fields import (
    BOOLEAN_OPERATORS,
    CHOICE_RULE_FIELDS,
    COMPARISON_OPERATORS,
    FIELD_RANK,
    JSONATA,
    JSONPATH,
)
from asl_engine.definition.jsonata_checks import check_jsonata, is_jsonata
from asl_engine.definition.report import NO_PATH, Report, at, item
from asl_engine.definition.timestamps import is_timestamp
from asl_engine.definition.variables import check_assign

_JSONPATH_RULE_FIELDS = frozenset({"Variable", *BOOLEAN_OPERATORS, *COMPARISON_OPERATORS})
_JSONATA_RULE_FIELDS = frozenset({"Condition", "Output"})
_TOP_LEVEL_ONLY = ("Next", "Assign", "Output")


def check_choices(report: Report, state: dict, location: str, language: str) -> None:
    where = at(location, "Choices")
    choices = state["Choices"]
    if not report.expect(choices, "ARRAY", where):
        return
    if not choices:
        report.schema("The 'Choices' array must not be empty", where)
    for i, rule in enumerate(choices):
        _check_rule(report, rule, item(where, i), language, top=True)
    if "Default" in state:
        report.expect(state["Default"], "STRING", at(location, "Default"))


def _check_rule(report: Report, rule: object, where: str, language: str, *, top: bool) -> None:
    if not report.expect(rule, "OBJECT", where):
        return
    for field in rule:
        if field not in CHOICE_RULE_FIELDS or (not top and field in _TOP_LEVEL_ONLY):
            report.unsupported(field, where)
    _check_rule_language(report, rule, where, language)
    if top and report.required(rule, ("Next",), where):
        report.expect(rule["Next"], "STRING", at(where, "Next"))
    if "Comment" in rule:
        report.expect(rule["Comment"], "STRING", at(where, "Comment"))
    if top and "Assign" in rule:
        check_assign(report, rule["Assign"], at(where, "Assign"), language)
    if language == JSONATA:
        _check_condition(report, rule, where, top=top)
    else:
        _check_comparison(report, rule, where, language)


def _check_rule_language(report: Report, rule: dict, where: str, language: str) -> None:
    foreign = _JSONPATH_RULE_FIELDS if language == JSONATA else _JSONATA_RULE_FIELDS
    other = JSONPATH if language == JSONATA else JSONATA
    for field in sorted((f for f in rule if f in foreign), key=lambda f: FIELD_RANK.get(f, 1 << 20)):
        report.schema(f"The QueryLanguage is set to '{language}', but field '{field}' is only supported "
                      f"for the '{other}' QueryLanguage", where)


def _check_condition(report: Report, rule: dict, where: str, *, top: bool) -> None:
    if not report.required(rule, ("Condition",), where):
        return
    condition, condition_at = rule["Condition"], at(where, "Condition")
    if is_jsonata(condition):
        check_jsonata(report, condition, condition_at)
    else:
        report.expect(condition, "BOOLEAN", condition_at)
    if top and "Output" in rule:
        check_jsonata(report, rule["Output"], at(where, "Output"))


def _check_comparison(report: Report, rule: dict, where: str, language: str) -> None:
    operators = [f for f in rule if f in COMPARISON_OPERATORS or f in BOOLEAN_OPERATORS]
    if len(operators) != 1:
        report.schema("A Choice rule must contain exactly one comparison operator, 'And', 'Or' or 'Not'",
                      where)
    for operator in operators:
        if operator in BOOLEAN_OPERATORS:
            _check_boolean(report, rule[operator], at(where, operator), operator, language)
        else:
            _check_operand(report, operator, rule[operator], at(where, operator))
    if any(op in COMPARISON_OPERATORS for op in operators) and report.required(rule, ("Variable",), where):
        check_path(report, rule["Variable"], at(where, "Variable"), reference=True)


def _check_boolean(report: Report, operand: object, where: str, operator: str, language: str) -> None:
    if operator == "Not":
        _check_rule(report, operand, where, language, top=False)
        return
    if not report.expect(operand, "ARRAY", where):
        return
    if not operand:
        report.schema(f"The '{operator}' array must not be empty", where)
    for i, rule in enumerate(operand):
        _check_rule(report, rule, item(where, i), language, top=False)


def _check_operand(report: Report, operator: str, operand: object, where: str) -> None:
    kind = COMPARISON_OPERATORS[operator]
    if kind == "PATH":
        check_path(report, operand, where, reference=True)
    elif kind == "TIMESTAMP":
        if report.expect(operand, "STRING", where) and not is_timestamp(operand):
            report.schema("Value must be a valid timestamp (RFC3339, e.g. 2016-03-14T01:59:00Z)", where)
    elif report.expect(operand, kind, where) and kind == "STRING" and operand.startswith(("$.", "$$.")):
        report.warning(NO_PATH, f"The value of '{operator}' looks like a path; use '{operator}Path' to "
                                "compare against the value it selects", where)
