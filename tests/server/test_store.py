"""The store: both implementations behave alike; the SQLite file survives restarts and refuses strangers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from asl_engine.store import (
    AliasRecord,
    ExecutionRecord,
    MapRunRecord,
    MemoryStore,
    SqliteStore,
    StateMachineRecord,
    Store,
    StoreError,
    VersionRecord,
)
from tests.server.conftest import Server
from tests.server.helpers import PASS, ROLE, wait_for_end

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    made = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")
    yield made
    made.close()


def _execution(name: str, start: float, status: str = "RUNNING", stop: float | None = None,
               **extra: object) -> ExecutionRecord:
    return ExecutionRecord(arn=f"arn:aws:states:us-east-1:123456789012:execution:m:{name}", state_machine_arn=ARN,
                           name=name, type="STANDARD", definition=PASS, role_arn=ROLE, input="{}", start=start,
                           seed=1, status=status, stop=stop, **extra)  # type: ignore[arg-type]


def test_records_round_trip_and_deleting_a_machine_cascades(store: Store) -> None:
    machine = StateMachineRecord(arn=ARN, name="m", type="STANDARD", definition=PASS, role_arn=ROLE, created=1.0,
                                 revision_id="r1", updated=1.0)
    store.put_state_machine(machine)
    store.put_version(VersionRecord(arn=ARN + ":1", state_machine_arn=ARN, number=1, definition=PASS,
                                    role_arn=ROLE, type="STANDARD", created=2.0, revision_id="r1"))
    store.put_version(VersionRecord(arn=ARN + ":2", state_machine_arn=ARN, number=2, definition=PASS,
                                    role_arn=ROLE, type="STANDARD", created=3.0, revision_id="r2"))
    alias = AliasRecord(arn=ARN + ":prod", name="prod", state_machine_arn=ARN, created=4.0, updated=4.0,
                        routing=[{"stateMachineVersionArn": ARN + ":1", "weight": 100}])
    store.put_alias(alias)
    store.set_tags(ARN, {"a": "b"})
    store.set_tags(alias.arn, {"c": "d"})
    assert store.get_state_machine(ARN) == machine
    assert [v.number for v in store.list_versions(ARN)] == [2, 1]
    assert store.list_aliases(ARN) == [alias]
    store.delete_state_machine(ARN)
    assert store.get_state_machine(ARN) is None and store.list_versions(ARN) == [] and store.list_aliases(ARN) == []
    assert store.get_tags(ARN) == {} and store.get_tags(alias.arn) == {}


def test_executions_history_and_retention(store: Store) -> None:
    old = _execution("old", 1.0, "SUCCEEDED", stop=2.0)
    new = _execution("new", 3.0, "SUCCEEDED", stop=10.0, version_arn=ARN + ":1")
    running = _execution("running", 5.0)
    for record in (old, new, running):
        store.put_execution(record)
        store.append_event(record.arn, {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": 1})
    store.append_event(old.arn, {"id": 2, "previousEventId": 1, "type": "PassStateEntered", "timestamp": 2})
    assert [e["id"] for e in store.events(old.arn)] == [1, 2]
    assert [e.name for e in store.list_executions(ARN)] == ["running", "new", "old"]
    assert [e.name for e in store.list_executions(ARN, "SUCCEEDED")] == ["new", "old"]
    assert [e.name for e in store.list_executions(ARN + ":1")] == ["new"]
    assert [e.name for e in store.running_executions()] == ["running"]
    run = MapRunRecord(arn="arn:aws:states:us-east-1:123456789012:mapRun:m/a:b", execution_arn=old.arn,
                       state_machine_arn=ARN, start=1.5)
    store.put_map_run(run)
    assert store.list_map_runs(old.arn) == [run] and store.get_map_run(run.arn) == run
    assert store.purge_closed(stopped_before=5.0) == 1
    assert store.get_execution(old.arn) is None and store.events(old.arn) == []
    assert store.get_map_run(run.arn) is None
    assert store.get_execution(new.arn) == new and store.get_execution(running.arn) == running
    store.set_meta("clock_offset", "12.5")
    assert store.get_meta("clock_offset") == "12.5"


def test_map_run_items_one_row_per_item_replaced_by_a_later_attempt_and_purged_with_their_execution(
        store: Store) -> None:
    execution = _execution("mapped", 1.0, "FAILED", stop=2.0)
    store.put_execution(execution)
    run = MapRunRecord(arn="arn:aws:states:us-east-1:123456789012:mapRun:m/c:d", execution_arn=execution.arn,
                       state_machine_arn=ARN, start=1.5)
    store.put_map_run(run)
    for index in range(3):
        store.put_map_run_item(run.arn, index, {"status": "SUCCEEDED", "output": {"n": index}})
    store.put_map_run_item(run.arn, 1, {"status": "FAILED", "error": "E", "cause": None})
    assert store.map_run_items(run.arn) == {0: {"status": "SUCCEEDED", "output": {"n": 0}},
                                            1: {"status": "FAILED", "error": "E", "cause": None},
                                            2: {"status": "SUCCEEDED", "output": {"n": 2}}}
    assert store.map_run_item_counts(run.arn) == {"SUCCEEDED": 2, "FAILED": 1}
    assert store.map_run_items("arn:aws:states:us-east-1:123456789012:mapRun:m/other:x") == {}
    assert store.purge_closed(stopped_before=5.0) == 1
    assert store.map_run_items(run.arn) == {} and store.map_run_item_counts(run.arn) == {}


def test_a_store_made_before_the_map_run_items_table_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE map_run_items")
    store = SqliteStore(path)
    store.put_map_run_item("arn:aws:states:us-east-1:123456789012:mapRun:m/a:b", 0, {"status": "SUCCEEDED"})
    assert store.map_run_item_counts("arn:aws:states:us-east-1:123456789012:mapRun:m/a:b") == {"SUCCEEDED": 1}
    store.close()


def test_an_execution_stored_before_test_cases_reads_back_without_one(tmp_path: Path) -> None:
    """Records written before ``test_case``/``mock_config`` existed read back with neither (no migration)."""
    path = tmp_path / "old.db"
    store = SqliteStore(path)
    store.put_execution(_execution("mocked", 1.0, test_case="Happy", mock_config={"StateMachines": {}}))
    store.put_execution(_execution("before", 2.0))
    store.close()
    with sqlite3.connect(path) as conn:
        doc = json.loads(conn.execute("SELECT doc FROM executions WHERE arn LIKE '%:before'").fetchone()[0])
        for key in ("test_case", "mock_config"):
            del doc[key]
        conn.execute("UPDATE executions SET doc = ? WHERE arn LIKE '%:before'", (json.dumps(doc),))
    store = SqliteStore(path)
    before = store.get_execution(_execution("before", 2.0).arn)
    assert before is not None and (before.test_case, before.mock_config) == (None, None)
    mocked = store.get_execution(_execution("mocked", 1.0).arn)
    assert mocked is not None and (mocked.test_case, mocked.mock_config) == ("Happy", {"StateMachines": {}})
    store.close()


@pytest.mark.parametrize("content", [b"this is not a database at all" * 10, b"\x00" * 4096],
                         ids=["text", "zeros"])
def test_a_corrupt_file_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not an SQLite database"):
        SqliteStore(path)
    assert path.read_bytes() == content


def test_a_foreign_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('ada')")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    with pytest.raises(StoreError, match="another application"):
        SqliteStore(path)
    assert path.read_bytes() == content


def test_a_damaged_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, past the header
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        SqliteStore(path)
    assert path.read_bytes() == bytes(data)


def test_the_cli_refuses_a_foreign_file_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_text("my notes, not a database\n")
    with pytest.raises(RuntimeError, match="not an asl-engine store"):
        Server(path, "--no-moto")
    assert path.read_text() == "my notes, not a database\n"


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = Server(db, "--no-moto")
    try:
        sfn = first.client()
        arn = sfn.create_state_machine(name="durable", definition=PASS, roleArn=ROLE, publish=True,
                                       tags=[{"key": "k", "value": "v"}])["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input='{"kept": true}')["executionArn"]
        wait_for_end(sfn, execution)
        history = sfn.get_execution_history(executionArn=execution)["events"]
    finally:
        first.stop()
    assert not db.with_name("state.db-wal").exists()  # SIGTERM shut the service down and closed the store
    second = Server(db, "--no-moto")
    try:
        sfn = second.client()
        assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == PASS
        assert [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)
                ["stateMachineVersions"]] == [arn + ":1"]
        assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k", "value": "v"}]
        described = sfn.describe_execution(executionArn=execution)
        assert (described["status"], described["output"]) == ("SUCCEEDED", '{"kept":true}')
        assert sfn.get_execution_history(executionArn=execution)["events"] == history
    finally:
        second.stop()


def test_an_atomic_block_that_fails_writes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    machine = StateMachineRecord(arn=ARN, name="m", type="STANDARD", definition=PASS, role_arn=ROLE, created=1.0,
                                 revision_id="r1", updated=1.0)
    with pytest.raises(RuntimeError), store.atomic():
        store.put_state_machine(machine)
        store.set_tags(ARN, {"a": "b"})
        raise RuntimeError("half-way")
    assert store.get_state_machine(ARN) is None and store.get_tags(ARN) == {}
    store.close()


def test_a_killed_server_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    """kill -9 mid-execution: the history written so far is there after a restart, and the run can be stopped."""
    db = tmp_path / "state.db"
    first = Server(db, "--no-moto")
    try:
        sfn = first.client()
        arn = sfn.create_state_machine(name="killed", roleArn=ROLE, definition=json.dumps(
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}))["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        before = sfn.get_execution_history(executionArn=execution)["events"]
        assert [e["type"] for e in before] == ["ExecutionStarted", "WaitStateEntered"]
    finally:
        first.crash()
    second = Server(db, "--no-moto")
    try:
        sfn = second.client()
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
        assert sfn.get_execution_history(executionArn=execution)["events"] == before
        sfn.stop_execution(executionArn=execution, cause="resume is not implemented yet")
        assert [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]] == \
               ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    finally:
        second.stop()
