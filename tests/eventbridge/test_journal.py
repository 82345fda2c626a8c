"""The journal that brings the event services' configuration back, and replays a restart interrupted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from asl_engine.eventbridge.journal import Journal, PinnedClock, open_store
from asl_engine.eventbridge.schemas.service import Schemas
from asl_engine.eventbridge.service import EventBridge
from asl_engine.eventbridge.timers import Timers
from asl_engine.runtime.clock import VirtualClock

from .service_fixtures import ACCOUNT, START, collecting

BUS_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:collect"


def services(path: str, clock: VirtualClock, received: list) -> tuple[Journal, EventBridge, Schemas]:
    """What asl serve makes per region: a journal on the region's store, the services attached to it."""
    pinned = PinnedClock(clock)
    journal = Journal(open_store(path), pinned)
    timers = Timers(pinned)  # type: ignore[arg-type]
    events = EventBridge(timers=timers, invokers=collecting(received), archive_store=journal.store)
    schemas = Schemas(account=ACCOUNT, region="us-east-1", now=timers.now)
    journal.attach("events", events)
    journal.attach("schemas", schemas)
    events.observers.append(schemas.observe)
    return journal, events, schemas


def test_calls_come_back_at_the_instants_they_were_made(tmp_path):
    path, clock = str(tmp_path / "events.db"), VirtualClock(START)
    journal, events, schemas = services(path, clock, [])
    journal.recording = True
    events.put_rule(Name="paid", EventPattern=json.dumps({"detail-type": ["paid"]}))
    clock.advance(60)
    events.put_targets(Rule="paid", Targets=[{"Id": "f", "Arn": FUNCTION}])
    events.put_rule(Name="gone", EventPattern=json.dumps({"source": ["x"]}))
    events.delete_rule(Name="gone")
    schemas.create_discoverer(SourceArn=BUS_ARN)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "paid", "Detail": "{}"}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "paid", "Detail": "{}"}])  # nothing new to learn
    rows = [r[0] for r in journal.store.db.execute("SELECT method FROM journal ORDER BY seq")]
    assert rows == ["put_rule", "put_targets", "put_rule", "delete_rule", "create_discoverer", "observe"]
    described = events.list_rules()
    discovered = schemas.describe_schema(RegistryName="discovered-schemas", SchemaName="shop@Paid")
    journal.close()

    clock.advance(3600)
    received: list = []
    journal, events, schemas = services(path, clock, received)
    assert journal.replay({"events": events, "schemas": schemas}) == 6
    assert events.list_rules() == described
    assert schemas.describe_schema(RegistryName="discovered-schemas", SchemaName="shop@Paid") == discovered
    assert journal.store.db.execute("SELECT count(*) FROM journal").fetchone()[0] == 6  # not journaled twice
    events.put_events(Entries=[{"Source": "shop", "DetailType": "paid", "Detail": "{}"}])
    assert len(received) == 1


def test_an_interrupted_replay_goes_on_after_reopening(tmp_path):
    path, clock = str(tmp_path / "events.db"), VirtualClock(START)
    journal, events, _ = services(path, clock, [])
    journal.recording = True
    events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="all", Targets=[{"Id": "f", "Arn": FUNCTION}])
    events.create_archive(ArchiveName="kept", EventSourceArn=BUS_ARN)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "n", "Detail": json.dumps({"n": n})}
                               for n in range(3)])
    clock.advance(60)
    events.start_replay(ReplayName="again", EventSourceArn=events.describe_archive(ArchiveName="kept")["ArchiveArn"],
                        EventStartTime=START, EventEndTime=datetime(2026, 3, 2, tzinfo=UTC),
                        Destination={"Arn": BUS_ARN})
    journal.close()  # the process ends before the replay's first step

    received: list = []
    journal, events, _ = services(path, clock, received)
    journal.replay({"events": events})
    assert events.describe_replay(ReplayName="again")["State"] == "STARTING"
    events.timers.advance(1)
    assert events.describe_replay(ReplayName="again")["State"] == "COMPLETED"
    assert [e["detail"]["n"] for e in received] == [0, 1, 2]
