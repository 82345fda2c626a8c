"""Target input rendering: Input, InputPath, InputTransformer, as AWS delivers them."""

from __future__ import annotations

import json

import pytest

from asl_engine.eventbridge.errors import ValidationError
from asl_engine.eventbridge.transform import DeliveryContext, TargetInput

EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "Order Placed",
    "source": "shop",
    "account": "111111111111",
    "time": "2024-05-01T10:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:r"],
    "detail": {
        "user": {"id": "u-1", "tags": ["a", "b"]},
        "count": 3,
        "price": 9.5,
        "ok": True,
        "none": None,
        "quote": 'say "hi"',
    },
}
CONTEXT = DeliveryContext("arn:aws:events:us-east-1:111111111111:rule/r", "r", "2024-05-01T10:00:01Z")
PATHS = {
    "user": "$.detail.user",
    "id": "$.detail.user.id",
    "tags": "$.detail.user.tags",
    "count": "$.detail.count",
    "price": "$.detail.price",
    "ok": "$.detail.ok",
    "none": "$.detail.none",
    "missing": "$.detail.nope",
    "quote": "$.detail.quote",
    "first_tag": "$.detail.user.tags[0]",
    "all": "$.resources[*]",
}


def render(target: dict, event: dict | None = None) -> str:
    return TargetInput({"Id": "t1", **target}).render(event or EVENT, CONTEXT)


def transform(template: str) -> str:
    return render({"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": template}})


def test_default_is_the_whole_event() -> None:
    assert json.loads(render({})) == EVENT


def test_constant_input_is_delivered_verbatim() -> None:
    assert render({"Input": '{"a": 1,  "b": [2]}'}) == '{"a": 1,  "b": [2]}'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.detail.user.id", '"u-1"'),
        ("$.detail.count", "3"),
        ("$.detail.user", '{"id":"u-1","tags":["a","b"]}'),
        ("$.detail.user.tags[1]", '"b"'),
        ("$.resources[*]", '["arn:r"]'),
        ("$.detail.nope", "null"),
        ("$", None),
    ],
)
def test_input_path(path: str, expected: str | None) -> None:
    out = render({"InputPath": path})
    assert out == expected if expected is not None else json.loads(out) == EVENT


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # outside strings values are JSON
        (
            '{"id": <id>, "n": <count>, "p": <price>, "ok": <ok>, "none": <none>}',
            '{"id": "u-1", "n": 3, "p": 9.5, "ok": true, "none": null}',
        ),
        ('{"user": <user>, "tags": <tags>}', '{"user": {"id":"u-1","tags":["a","b"]}, "tags": ["a","b"]}'),
        ('{"m": <missing>}', '{"m": ""}'),
        ('[<id>, "x"]', '["u-1", "x"]'),
        # inside strings values are text
        ('{"path": "users/<id>/<count>"}', '{"path": "users/u-1/3"}'),
        ('"<user> and <tags>"', '"{id:u-1,tags:[a,b]} and [a,b]"'),
        ('"<ok> <none> <missing>."', '"true null ."'),
        ('{"q": "<quote>"}', '{"q": "say \\"hi\\""}'),
        ('"{[/ <first_tag>"', '"{[/ a"'),
        ('"escaped \\" quote <id>"', '"escaped \\" quote u-1"'),
        # not JSON at all: placeholders outside quotes still render as JSON
        ("id is <id>, count <count>", 'id is "u-1", count 3'),
        ('{"all": <all>}', '{"all": ["arn:r"]}'),
    ],
)
def test_input_template(template: str, expected: str) -> None:
    assert transform(template) == expected


def test_predefined_placeholders() -> None:
    out = render(
        {
            "InputTransformer": {
                "InputTemplate": (
                    '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", '
                    '"at": <aws.events.event.ingestion-time>,'
                    ' "event": <aws.events.event>, "json": <aws.events.event.json>}'
                )
            }
        }
    )
    parsed = json.loads(out)
    assert parsed["arn"] == CONTEXT.rule_arn and parsed["name"] == "r" and parsed["at"] == CONTEXT.ingestion_time
    envelope = {("detailType" if k == "detail-type" else k): v for k, v in EVENT.items() if k != "detail"}
    assert parsed["event"] == envelope and parsed["json"] == EVENT


def test_ingestion_time_defaults_to_event_time() -> None:
    target = TargetInput({"Id": "t", "InputTransformer": {"InputTemplate": '"<aws.events.event.ingestion-time>"'}})
    assert target.render(EVENT, DeliveryContext("arn", "r")) == '"2024-05-01T10:00:00Z"'


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"Input": "{}", "InputPath": "$"},
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.",
        ),
        (
            {"InputPath": "$.a", "InputTransformer": {"InputTemplate": "x"}},
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.",
        ),
        (
            {"InputTransformer": {"InputPathsMap": {"a": "$.a"}, "InputTemplate": '"<a> <b>"'}},
            "InputTemplate for target t1 contains invalid placeholder b.",
        ),
        (
            {"InputTransformer": {"InputTemplate": '"<aws.events.nope>"'}},
            "InputTemplate for target t1 contains invalid placeholder aws.events.nope.",
        ),
        ({"Input": "{not json"}, "Input for target t1 is not a valid JSON text."),
        ({"InputPath": "$.detail.1x"}, "InputPath for target t1 is not a valid JSON path: $.detail.1x."),
        (
            {"InputTransformer": {"InputPathsMap": {"a": "$[["}, "InputTemplate": "<a>"}},
            "InputPathsMap value a for target t1 is not a valid JSON path: $[[.",
        ),
        ({"InputTransformer": {"InputPathsMap": {}}}, "InputTemplate for target t1 is required."),
    ],
)
def test_put_targets_validation(target: dict, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TargetInput({"Id": "t1", **target})
    assert (caught.value.code, caught.value.message) == ("ValidationException", message)
