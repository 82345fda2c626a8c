"""Archives and replays in SQLite: what is archived, replay windows and states, and the store's safety."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from asl_engine.eventbridge.archive import ArchiveStoreError
from asl_engine.eventbridge.errors import EventBridgeError
from asl_engine.eventbridge.invokers import Invokers
from asl_engine.state_machine import StateMachine

from .service_fixtures import ACCOUNT, FUNCTION_ARN, START, collecting, make_bridge

BUS_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
ARCHIVE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:archive/orders"


def entry(kind, n):
    return {"Source": "shop", "DetailType": kind, "Detail": json.dumps({"n": n})}


def error_of(call, **request):
    with pytest.raises(EventBridgeError) as info:
        call(**request)
    return info.value.code, info.value.message


def archived_bridge(received, **kwargs):
    eb = make_bridge(collecting(received), **kwargs)
    eb.create_archive(ArchiveName="orders", EventSourceArn=BUS_ARN, EventPattern='{"detail-type": ["Order"]}')
    return eb


def test_archive_keeps_matching_events_only():
    eb = archived_bridge([])
    assert eb.describe_archive(ArchiveName="orders")["State"] == "ENABLED"
    eb.put_events(Entries=[entry("Order", 1), entry("Refund", 2), entry("Order", 3)])
    described = eb.describe_archive(ArchiveName="orders")
    assert described["EventCount"] == 2
    assert described["SizeBytes"] > 0
    assert described["ArchiveArn"] == ARCHIVE_ARN
    assert described["EventPattern"] == '{"detail-type": ["Order"]}'
    assert [a["ArchiveName"] for a in eb.list_archives(EventSourceArn=BUS_ARN)["Archives"]] == ["orders"]


def test_archive_errors():
    eb = archived_bridge([])
    assert error_of(eb.create_archive, ArchiveName="orders", EventSourceArn=BUS_ARN) == (
        "ResourceAlreadyExistsException",
        "Archive orders already exists.",
    )
    missing_bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/nope"
    assert error_of(eb.create_archive, ArchiveName="x", EventSourceArn=missing_bus) == (
        "ResourceNotFoundException",
        "Event bus nope does not exist.",
    )
    assert error_of(eb.create_archive, ArchiveName="x", EventSourceArn=BUS_ARN, EventPattern="{")[0] == (
        "InvalidEventPatternException"
    )
    assert error_of(eb.describe_archive, ArchiveName="x") == ("ResourceNotFoundException", "Archive x does not exist.")
    assert error_of(eb.list_archives, NamePrefix="o", State="ENABLED") == (
        "ValidationException",
        "At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix.",
    )


def test_update_and_delete_archive_and_retention():
    eb = archived_bridge([])
    eb.put_events(Entries=[entry("Order", 1)])
    eb.update_archive(ArchiveName="orders", RetentionDays=1, EventPattern='{"detail-type": ["Refund"]}')
    eb.put_events(Entries=[entry("Order", 2), entry("Refund", 3)])
    assert eb.describe_archive(ArchiveName="orders")["EventCount"] == 2
    eb.timers.advance(2 * 86400)
    assert eb.describe_archive(ArchiveName="orders")["EventCount"] == 0  # past RetentionDays
    eb.delete_archive(ArchiveName="orders")
    assert eb.list_archives()["Archives"] == []


def test_replay_window_states_and_replay_name():
    received: list = []
    eb = archived_bridge(received)
    eb.put_events(Entries=[entry("Order", 1)])
    eb.timers.advance(3600)
    eb.put_events(Entries=[entry("Order", 2)])
    eb.timers.advance(3600)
    eb.put_events(Entries=[entry("Order", 3)])
    eb.put_rule(Name="late", EventPattern='{"source": ["shop"]}')
    eb.put_targets(Rule="late", Targets=[{"Id": "f", "Arn": FUNCTION_ARN}])
    started = eb.start_replay(
        ReplayName="r1",
        EventSourceArn=ARCHIVE_ARN,
        EventStartTime=START,
        EventEndTime=datetime(2026, 3, 1, 2, tzinfo=UTC),  # the third event, at 02:00, is outside
        Destination={"Arn": BUS_ARN},
    )
    assert started["State"] == "STARTING"
    assert eb.describe_replay(ReplayName="r1")["State"] == "STARTING"
    eb.timers.advance(1)
    described = eb.describe_replay(ReplayName="r1")
    assert described["State"] == "COMPLETED"
    assert described["EventLastReplayedTime"] == datetime(2026, 3, 1, 1, tzinfo=UTC)
    assert [(e["detail"]["n"], e["replay-name"]) for e in received] == [(1, "r1"), (2, "r1")]
    assert eb.describe_archive(ArchiveName="orders")["EventCount"] == 3  # replayed events are not archived again
    assert [r["ReplayName"] for r in eb.list_replays(State="COMPLETED")["Replays"]] == ["r1"]
    assert error_of(eb.cancel_replay, ReplayName="r1") == (
        "IllegalStatusException",
        "Replay r1 is not in a valid state for this operation.",
    )


def test_replay_only_to_filter_arns_and_cancel():
    received: list = []
    eb = archived_bridge(received)
    other: list = []
    eb.invokers.register("states", type("S", (), {"invoke": lambda self, inv: other.append(inv)})())
    eb.put_events(Entries=[entry("Order", 1)])
    a = eb.put_rule(Name="a", EventPattern='{"source": ["shop"]}')["RuleArn"]
    eb.put_targets(Rule="a", Targets=[{"Id": "f", "Arn": FUNCTION_ARN}])
    eb.put_rule(Name="b", EventPattern='{"source": ["shop"]}')
    eb.put_targets(Rule="b", Targets=[{"Id": "s", "Arn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:x"}])
    window = {"EventSourceArn": ARCHIVE_ARN, "EventStartTime": START, "EventEndTime": datetime(2027, 1, 1, tzinfo=UTC)}
    eb.start_replay(ReplayName="only-a", Destination={"Arn": BUS_ARN, "FilterArns": [a]}, **window)
    eb.timers.advance(1)
    assert len(received) == 1 and other == []
    eb.start_replay(ReplayName="cancelled", Destination={"Arn": BUS_ARN}, **window)
    assert eb.cancel_replay(ReplayName="cancelled")["State"] == "CANCELLING"
    assert eb.describe_replay(ReplayName="cancelled")["State"] == "CANCELLING"
    eb.timers.advance(1)
    assert eb.describe_replay(ReplayName="cancelled")["State"] == "CANCELLED"
    assert len(received) == 1


def test_replay_errors():
    eb = archived_bridge([])
    eb.create_event_bus(Name="other")
    window = {"EventStartTime": START, "EventEndTime": datetime(2027, 1, 1, tzinfo=UTC)}
    other_bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/other"
    cases = [
        (
            {"EventSourceArn": ARCHIVE_ARN, "Destination": {"Arn": other_bus}},
            (
                "ValidationException",
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
            ),
        ),
        (
            {"EventSourceArn": ARCHIVE_ARN + "x", "Destination": {"Arn": BUS_ARN}},
            ("ValidationException", "Parameter EventSourceArn is not valid. Reason: Archive ordersx does not exist."),
        ),
        (
            {"EventSourceArn": ARCHIVE_ARN, "Destination": {"Arn": FUNCTION_ARN}},
            ("ValidationException", "Parameter Destination.Arn is not valid. Reason: Must contain an event bus ARN."),
        ),
    ]
    for request, expected in cases:
        assert error_of(eb.start_replay, ReplayName="r", **window, **request) == expected
    backwards = {"EventStartTime": window["EventEndTime"], "EventEndTime": START}
    assert error_of(
        eb.start_replay, ReplayName="r", EventSourceArn=ARCHIVE_ARN, Destination={"Arn": BUS_ARN}, **backwards
    ) == (
        "ValidationException",
        "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
    )
    eb.start_replay(ReplayName="r", EventSourceArn=ARCHIVE_ARN, Destination={"Arn": BUS_ARN}, **window)
    assert error_of(
        eb.start_replay, ReplayName="r", EventSourceArn=ARCHIVE_ARN, Destination={"Arn": BUS_ARN}, **window
    ) == (
        "ResourceAlreadyExistsException",
        "Replay r already exists.",
    )
    assert error_of(eb.describe_replay, ReplayName="nope") == (
        "ResourceNotFoundException",
        "Replay nope does not exist.",
    )


def test_archive_replayed_into_rule_that_starts_a_state_machine():
    """The issue's end-to-end case, with the real local engine behind StartExecution."""
    machine = StateMachine(
        {
            "StartAt": "Double",
            "States": {"Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}},
        },
        name="doubler",
    )
    outputs = []

    class Engine:
        def start_execution(self, state_machine_arn, input_json, name=None):
            assert state_machine_arn == machine.arn
            outputs.append(machine.run(input_json, name=name).output)

    eb = make_bridge(Invokers(state_machines=Engine()))
    eb.create_archive(ArchiveName="orders", EventSourceArn=BUS_ARN)
    eb.put_events(Entries=[entry("Order", 1), entry("Order", 20)])
    eb.put_rule(Name="run", EventPattern='{"replay-name": [{"exists": true}]}')
    eb.put_targets(Rule="run", Targets=[{"Id": "sfn", "Arn": machine.arn, "InputPath": "$.detail"}])
    eb.start_replay(
        ReplayName="again",
        EventSourceArn=ARCHIVE_ARN,
        EventStartTime=START,
        EventEndTime=datetime(2027, 1, 1, tzinfo=UTC),
        Destination={"Arn": BUS_ARN},
    )
    eb.timers.advance(1)
    assert [json.loads(o) if isinstance(o, str) else o for o in outputs] == [{"n": 2}, {"n": 40}]


def test_store_survives_reopening(tmp_path):
    path = str(tmp_path / "archive.db")
    eb = archived_bridge([], archive_path=path)
    eb.put_events(Entries=[entry("Order", 1)])
    reopened = make_bridge(archive_path=path)
    assert reopened.describe_archive(ArchiveName="orders")["EventCount"] == 1
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_corrupt_or_foreign_database_is_refused_and_left_alone(tmp_path):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database at all, just some bytes")
    with pytest.raises(ArchiveStoreError, match="is not an SQLite database"):
        make_bridge(archive_path=str(corrupt))
    assert corrupt.read_bytes() == b"not a database at all, just some bytes"
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).executescript("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me');")
    with pytest.raises(ArchiveStoreError, match="another program's SQLite database"):
        make_bridge(archive_path=str(foreign))
    assert sqlite3.connect(foreign).execute("SELECT text FROM notes").fetchall() == [("keep me",)]
