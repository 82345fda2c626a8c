"""The in-memory store: for unit tests and ``asl serve --db :memory:``; gone when the process ends."""

from __future__ import annotations

import copy
from typing import Any

from asl_engine.store.base import Store
from asl_engine.store.records import AliasRecord, ExecutionRecord, MapRunRecord, StateMachineRecord, VersionRecord


class MemoryStore(Store):
    """Dicts keyed by ARN; records are copied in and out so callers never share state with the store."""

    def __init__(self) -> None:
        self._machines: dict[str, StateMachineRecord] = {}
        self._versions: dict[str, VersionRecord] = {}
        self._aliases: dict[str, AliasRecord] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._map_runs: dict[str, MapRunRecord] = {}
        self._map_run_items: dict[str, dict[int, dict[str, Any]]] = {}
        self._map_run_starts: dict[str, dict[int, tuple[float, int, str]]] = {}
        self._meta: dict[str, str] = {}

    def put_state_machine(self, record: StateMachineRecord) -> None:
        self._machines[record.arn] = copy.deepcopy(record)

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        return copy.deepcopy(self._machines.get(arn))

    def delete_state_machine(self, arn: str) -> None:
        self._machines.pop(arn, None)
        self._tags.pop(arn, None)
        for versions in (self._versions, self._aliases):
            for key in [k for k, v in versions.items() if v.state_machine_arn == arn]:
                del versions[key]
                self._tags.pop(key, None)

    def list_state_machines(self) -> list[StateMachineRecord]:
        return sorted((copy.deepcopy(r) for r in self._machines.values()), key=lambda r: r.created)

    def put_version(self, record: VersionRecord) -> None:
        self._versions[record.arn] = copy.deepcopy(record)

    def get_version(self, arn: str) -> VersionRecord | None:
        return copy.deepcopy(self._versions.get(arn))

    def delete_version(self, arn: str) -> None:
        self._versions.pop(arn, None)

    def list_versions(self, state_machine_arn: str) -> list[VersionRecord]:
        return sorted((copy.deepcopy(v) for v in self._versions.values() if v.state_machine_arn == state_machine_arn),
                      key=lambda v: -v.number)

    def put_alias(self, record: AliasRecord) -> None:
        self._aliases[record.arn] = copy.deepcopy(record)

    def get_alias(self, arn: str) -> AliasRecord | None:
        return copy.deepcopy(self._aliases.get(arn))

    def delete_alias(self, arn: str) -> None:
        self._aliases.pop(arn, None)
        self._tags.pop(arn, None)

    def list_aliases(self, state_machine_arn: str) -> list[AliasRecord]:
        return sorted((copy.deepcopy(a) for a in self._aliases.values() if a.state_machine_arn == state_machine_arn),
                      key=lambda a: a.created)

    def get_tags(self, arn: str) -> dict[str, str]:
        return dict(self._tags.get(arn, {}))

    def set_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._tags[arn] = dict(tags)

    def put_execution(self, record: ExecutionRecord) -> None:
        self._executions[record.arn] = copy.deepcopy(record)

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        return copy.deepcopy(self._executions.get(arn))

    def list_executions(self, arn: str, status: str | None = None) -> list[ExecutionRecord]:
        found = [copy.deepcopy(e) for e in self._executions.values()
                 if arn in (e.state_machine_arn, e.version_arn, e.alias_arn) and status in (None, e.status)]
        return sorted(found, key=lambda e: -e.start)

    def running_executions(self) -> list[ExecutionRecord]:
        return [copy.deepcopy(e) for e in self._executions.values() if e.status == "RUNNING"]

    def append_event(self, execution_arn: str, event: dict[str, Any]) -> None:
        self._events.setdefault(execution_arn, []).append(event)

    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self._events.get(execution_arn, []))

    def put_map_run(self, record: MapRunRecord) -> None:
        self._map_runs[record.arn] = copy.deepcopy(record)

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        return copy.deepcopy(self._map_runs.get(arn))

    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        return sorted((copy.deepcopy(m) for m in self._map_runs.values() if m.execution_arn == execution_arn),
                      key=lambda m: m.start)

    def put_map_run_item(self, map_run_arn: str, index: int, outcome: dict[str, Any]) -> None:
        self._map_run_items.setdefault(map_run_arn, {})[index] = copy.deepcopy(outcome)

    def map_run_items(self, map_run_arn: str) -> dict[int, dict[str, Any]]:
        return copy.deepcopy(self._map_run_items.get(map_run_arn, {}))

    def map_run_item(self, map_run_arn: str, index: int) -> dict[str, Any] | None:
        return copy.deepcopy(self._map_run_items.get(map_run_arn, {}).get(index))

    def put_map_run_starts(self, map_run_arn: str, starts: list[tuple[int, float, int, str]]) -> None:
        kept = self._map_run_starts.setdefault(map_run_arn, {})
        for index, start, redrives, text in starts:
            kept[index] = (start, redrives, text)

    def drop_map_run_starts(self, map_run_arn: str, indexes: list[int]) -> None:
        kept = self._map_run_starts.get(map_run_arn, {})
        for index in indexes:
            kept.pop(index, None)

    def map_run_starts(self, map_run_arn: str) -> dict[int, tuple[float, int]]:
        return {i: (start, redrives) for i, (start, redrives, _) in self._map_run_starts.get(map_run_arn, {}).items()}

    def map_run_input(self, map_run_arn: str, index: int) -> str | None:
        kept = self._map_run_starts.get(map_run_arn, {}).get(index)
        return None if kept is None else kept[2]

    def map_run_item_counts(self, map_run_arn: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self._map_run_items.get(map_run_arn, {}).values():
            counts[outcome["status"]] = counts.get(outcome["status"], 0) + 1
        return counts

    def purge_closed(self, stopped_before: float) -> int:
        old = {arn for arn, e in self._executions.items() if e.stop is not None and e.stop < stopped_before}
        for arn in old:
            del self._executions[arn]
            self._events.pop(arn, None)
        for key in [k for k, m in self._map_runs.items() if m.execution_arn in old]:
            del self._map_runs[key]
            self._map_run_items.pop(key, None)
            self._map_run_starts.pop(key, None)
        return len(old)

    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value

    def close(self) -> None:
        """Nothing to release: the data goes with the object."""
