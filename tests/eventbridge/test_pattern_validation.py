"""Invalid event patterns are refused with event-ruler's reason, in AWS's wrapper message."""

from __future__ import annotations

import json

import pytest

from asl_engine.eventbridge.errors import InvalidEventPatternError
from asl_engine.eventbridge.patterns import compile_pattern

PREFIX = "Event pattern is not valid. Reason: "


def reason_of(pattern: str) -> str:
    with pytest.raises(InvalidEventPatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.code == "InvalidEventPatternException"
    assert caught.value.message == PREFIX + caught.value.reason
    return caught.value.reason


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ([], "Filter is not an object"),
        ('"x"', "Filter is not an object"),
        ({}, "Empty objects are not allowed"),
        ({"a": {}}, "Empty objects are not allowed"),
        ({"a": "b"}, '"a" must be an object or an array'),
        ({"a": 1}, '"a" must be an object or an array'),
        ({"a": []}, "Empty arrays are not allowed"),
        ({"a": [[1]]}, "Match value must be String, number, true, false, or null"),
        ({"a": [{}]}, "Match expression name not found"),
        ({"a": [{"NUMERIC": ["=", 5]}]}, "Unrecognized match type NUMERIC"),
        ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
        ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
        ({"a": [{"prefix": {"foo": "x"}}]}, "Unsupported prefix pattern: foo"),
        ({"a": [{"prefix": {"equals-ignore-case": 1}}]}, "equals-ignore-case match pattern must be a string"),
        ({"a": [{"suffix": None}]}, "suffix match pattern must be a string"),
        ({"a": [{"suffix": {"bar": "x"}}]}, "Unsupported suffix pattern: bar"),
        ({"a": [{"equals-ignore-case": ["x"]}]}, "equals-ignore-case match pattern must be a string"),
        ({"a": [{"exactly": 1}]}, "exact match pattern must be a string"),
        ({"a": [{"wildcard": 1}]}, "wildcard match pattern must be a string"),
        ({"a": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 2"),
        ({"a": [{"wildcard": "a\\b"}]}, "Invalid escape character at pos 2"),
        (
            {"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]},
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
            "sequences "
            "after a wildcard character",
        ),
        ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
        ({"a": [{"exists": True, "prefix": "x"}]}, "Only one key allowed in match expression"),
        ({"a": [{"cidr": 10}]}, "prefix match pattern must be a string"),
        ({"a": [{"cidr": "bad-filter"}]}, "Malformed CIDR, one '/' required"),
        ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
        ({"a": [{"cidr": "10.0.0.0/-1"}]}, "Malformed CIDR, mask bits must not be negative"),
        ({"a": [{"cidr": "10.0.0.0/32"}]}, "IPv4 mask bits must be < 32"),
        ({"a": [{"cidr": "::/128"}]}, "IPv6 mask bits must be < 128"),
        ({"a": [{"cidr": "300.0.0.0/8"}]}, "Invalid IP address: 300.0.0.0"),
        ({"a": [{"cidr": "xxxx:db8::/64"}]}, "Nonstandard IP address: xxxx:db8::"),
        ({"a": [{"numeric": 10}]}, "Value of numeric must be an array."),
        ({"a": [{"numeric": [5]}]}, "Invalid member in numeric match: 5"),
        ({"a": [{"numeric": ["!=", 5]}]}, "Unrecognized numeric range operator: !="),
        ({"a": [{"numeric": ["=", "5"]}]}, "Value of equals must be numeric"),
        ({"a": [{"numeric": [">", "5"]}]}, "Value of > must be numeric"),
        ({"a": [{"numeric": ["=", 5, 6]}]}, "Too many elements in numeric expression"),
        ({"a": [{"numeric": ["<", 5, ">", 1]}]}, "Too many elements in numeric expression"),
        ({"a": [{"numeric": [">", 0, ">", 5]}]}, "Bad numeric range operator: >"),
        ({"a": [{"numeric": [">", 0, 5]}]}, "Bad value in numeric range: 5"),
        ({"a": [{"numeric": [">", 0, "<", "5"]}]}, "Value of < must be numeric"),
        ({"a": [{"numeric": [">", 0, "<", 5, 6]}]}, "Too many terms in numeric range expression"),
        ({"a": [{"numeric": [">", 5, "<", 5]}]}, "Bottom must be less than top"),
        ({"a": [{"numeric": ["<", 6e9]}]}, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        ({"a": [{"numeric": [">", 5e9]}]}, "Bottom must be less than top"),
        ({"a": [{"numeric": [">", 0, "<", 5], "x": 1}]}, "Too many elements in numeric expression"),
        (
            {"a": [{"anything-but": None}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            {"a": [{"anything-but": True}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            {"a": [{"anything-but": {"prefix": {"equals-ignore-case": "x"}}}]},
            "Value of anything-but must be an array or single string/number value.",
        ),
        ({"a": [{"anything-but": {}}]}, "Anything-But expression name not found"),
        ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "Unsupported anything-but pattern: numeric"),
        (
            {"a": [{"anything-but": ["a", 1]}]},
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        (
            {"a": [{"anything-but": []}]},
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        ({"a": [{"anything-but": [None]}]}, "Inside anything but list, start|null|boolean is not supported."),
        ({"a": [{"anything-but": [6e9]}]}, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        ({"a": [{"anything-but": "x", "prefix": "y"}]}, "Too many elements in numeric expression"),
        ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
        ({"a": [{"anything-but": {"suffix": ["x", ""]}}]}, "Null prefix/suffix not allowed"),
        ({"a": [{"anything-but": {"prefix": 1}}]}, "prefix/suffix match pattern must be a string"),
        ({"a": [{"anything-but": {"suffix": [None]}}]}, "prefix/suffix match pattern must be a string"),
        ({"a": [{"anything-but": {"wildcard": [1]}}]}, "wildcard match pattern must be a string"),
        ({"a": [{"anything-but": {"wildcard": "a**"}}]}, "Consecutive wildcard characters at pos 2"),
        (
            {"a": [{"anything-but": {"equals-ignore-case": [1]}}]},
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
        ),
        (
            {"a": [{"anything-but": {"equals-ignore-case": "x", "prefix": "y"}}]},
            "Too many elements in numeric expression",
        ),
        ({"$or": {"a": ["b"]}}, "It must be an Array followed with $or."),
        ({"$or": [{"a": ["b"]}]}, "There must have at least 2 Objects in $or relationship."),
        ({"$or": [{"a": ["b"]}, ["c"]]}, "Only JSON object is allowed in array of $or relationship."),
        (
            {"$or": [{"a": ["b"]}, {"prefix": ["c"]}]},
            "prefix is Ruler reserved fieldName which cannot be used inside $or.",
        ),
        (
            {"$or": [{"a": ["b"]}, {"c": {"numeric": ["d"]}}]},
            "numeric is Ruler reserved fieldName which cannot be used inside $or.",
        ),
    ],
)
def test_grammar_errors(pattern: object, reason: str) -> None:
    assert reason_of(pattern if isinstance(pattern, str) else json.dumps(pattern)) == reason


def test_first_problem_in_reading_order_wins() -> None:
    """event-ruler validates while it reads: an early grammar error beats a later syntax error."""
    assert reason_of('{"a": "x", "b": [}') == '"a" must be an object or an array'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "{'bad': 'quotation'}",
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name\n"
            " at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]",
        ),
        (
            '{"not": closed mark"',
            "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', "
            '\'true\' or \'false\')\n at [Source: (String)"{"not": closed mark""; line: 1, column: 15]',
        ),
        (
            "this is valid json but not a dict",
            "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', "
            "'true' or 'false')\n at [Source: (String)\"this is valid json but not a dict\"; "
            "line: 1, column: 5]",
        ),
        (
            '{"a" ["b"]}',
            "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value\n"
            ' at [Source: (String)"{"a" ["b"]}"; line: 1, column: 6]',
        ),
        (
            '{"a": ["b"] "c": ["d"]}',
            "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries\n"
            ' at [Source: (String)"{"a": ["b"] "c": ["d"]}"; line: 1, column: 13]',
        ),
        (
            '{"a": ["b" "c"]}',
            "Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries\n"
            ' at [Source: (String)"{"a": ["b" "c"]}"; line: 1, column: 12]',
        ),
        (
            '{"a": ["b",]}',
            "Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, "
            "Array, Object "
            "or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"a\": [\"b\",]}\"; "
            "line: 1, column: 12]",
        ),
        (
            '{"a": ["b"],}',
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field name\n"
            ' at [Source: (String)"{"a": ["b"],}"; line: 1, column: 13]',
        ),
        (
            '{\n"a": [tru]}',
            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', "
            "'true' or 'false')\n at [Source: (String)\"{\n\"a\": [tru]}\"; line: 2, column: 10]",
        ),
        (
            '{"a": ["b"]',
            "Unexpected end-of-input: expected close marker for Object (start marker at [Source: "
            '(String)"{"a": ["b"]"; line: 1, column: 1])\n at [Source: (String)"{"a": ["b"]"; '
            "line: 1, column: 12]",
        ),
        (
            '{"a": ["\\q"]}',
            "Unrecognized character escape 'q' (code 113)\n"
            ' at [Source: (String)"{"a": ["\\q"]}"; line: 1, column: 10]',
        ),
        (
            '{"a": /* c */ ["b"]}',
            "Unexpected character ('/' (code 47)): maybe a (non-standard) comment? "
            "(not recognized as one since "
            "Feature 'ALLOW_COMMENTS' not enabled for parser)\n"
            ' at [Source: (String)"{"a": /* c */ ["b"]}"; line: 1, column: 7]',
        ),
    ],
)
def test_json_syntax_errors_read_like_jackson(text: str, reason: str) -> None:
    assert reason_of(text) == reason


def test_long_source_is_truncated_in_location() -> None:
    text = '{"a": ["' + "x" * 600 + '"] oops'
    reason = reason_of(text)
    assert '"[truncated 115 chars]; line: 1, column: 612]' in reason


@pytest.mark.parametrize(
    "pattern",
    [
        {"a": [{"prefix": ""}]},
        {"a": [{"suffix": ""}]},
        {"a": [{"anything-but": {"wildcard": ""}}]},
        {"a": [{"anything-but": {"prefix": []}}]},
        {"a": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"a": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]},
        {"a": [{"cidr": "2001:db8::/127"}]},
        {"a": [{"numeric": ["=", 5e9]}]},
        {"a": [1e20]},
        {"a": ["x"], "a.b": {"c": [{"exists": False}]}},
        {"$or": [{"a": ["b"]}, {"c": {"$or": [{"d": [1]}, {"e": [2]}]}}]},
    ],
)
def test_valid_patterns(pattern: object) -> None:
    assert compile_pattern(json.dumps(pattern)).branches


def test_duplicate_keys_last_wins_like_aws() -> None:
    compiled = compile_pattern('{"a": ["x"], "a": ["y"]}')
    assert [sorted(b) for b in compiled.branches] == [["a"]]
    assert [v.value for v in compiled.branches[0]["a"]] == ["y"]


def test_or_expands_into_branches() -> None:
    compiled = compile_pattern(
        json.dumps({"source": ["s"], "$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": ["3"]}, {"d": ["4"]}]}]})
    )
    assert sorted(sorted(b) for b in compiled.branches) == [
        ["a", "source"],
        ["b", "c", "source"],
        ["b", "d", "source"],
    ]


def test_trailing_content_after_the_object_is_ignored_like_event_ruler() -> None:
    assert compile_pattern('{"a": ["b"]} trailing').branches


def test_leading_zeroes_are_refused() -> None:
    assert reason_of('{"a": [01]}').startswith("Invalid numeric value: Leading zeroes not allowed\n at ")
