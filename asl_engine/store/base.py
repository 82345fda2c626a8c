"""The store interface: what the service keeps, independent of where it keeps it.

Every write is atomic and is made only after a request has been validated,
so a rejected request leaves the store as it was.  History is appended one
event at a time as the execution produces it (the SQLite store commits the
events of one event-loop tick together, before any response that could
reveal them), and each execution keeps what a replay after a crash needs: the
definition it runs, its input, start time and the seed of its randomness;
the virtual clock's offset is in the meta table.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asl_engine.store.records import AliasRecord, ExecutionRecord, MapRunRecord, StateMachineRecord, VersionRecord


class StoreError(Exception):
    """The store cannot be used (a corrupt or foreign database file); the message says which file and why."""


class Store(ABC):
    """Persistence for state machines, versions, aliases, tags, executions and their history."""

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes inside happen together or not at all (nesting joins the outer block).

        The memory store has nothing to roll back to: callers validate before they write.
        """
        yield

    async def committed(self) -> None:
        """Return once every write made so far is durable: the gateway awaits it before answering a request.

        A store that groups commits (SQLite) answers after the group's commit; the others write through.
        """
        return  # written through: nothing pending

    # state machines (deleting one deletes its versions, aliases and tags; executions stay)
    @abstractmethod
    def put_state_machine(self, record: StateMachineRecord) -> None: ...

    @abstractmethod
    def get_state_machine(self, arn: str) -> StateMachineRecord | None: ...

    @abstractmethod
    def delete_state_machine(self, arn: str) -> None: ...

    @abstractmethod
    def list_state_machines(self) -> list[StateMachineRecord]:
        """Oldest first, as ListStateMachines pages them."""

    # versions
    @abstractmethod
    def put_version(self, record: VersionRecord) -> None: ...

    @abstractmethod
    def get_version(self, arn: str) -> VersionRecord | None: ...

    @abstractmethod
    def delete_version(self, arn: str) -> None: ...

    @abstractmethod
    def list_versions(self, state_machine_arn: str) -> list[VersionRecord]:
        """Newest first, as ListStateMachineVersions returns them."""

    # aliases
    @abstractmethod
    def put_alias(self, record: AliasRecord) -> None: ...

    @abstractmethod
    def get_alias(self, arn: str) -> AliasRecord | None: ...

    @abstractmethod
    def delete_alias(self, arn: str) -> None: ...

    @abstractmethod
    def list_aliases(self, state_machine_arn: str) -> list[AliasRecord]: ...

    # tags
    @abstractmethod
    def get_tags(self, arn: str) -> dict[str, str]: ...

    @abstractmethod
    def set_tags(self, arn: str, tags: dict[str, str]) -> None: ...

    # executions
    @abstractmethod
    def put_execution(self, record: ExecutionRecord) -> None: ...

    @abstractmethod
    def get_execution(self, arn: str) -> ExecutionRecord | None: ...

    @abstractmethod
    def list_executions(self, arn: str, status: str | None = None) -> list[ExecutionRecord]:
        """Newest first: executions of a state machine, or started through one version or alias ARN."""

    @abstractmethod
    def running_executions(self) -> list[ExecutionRecord]:
        """What a restarted service has to resume."""

    # history
    @abstractmethod
    def append_event(self, execution_arn: str, event: dict[str, Any]) -> None:
        """Add one event (GetExecutionHistory's shape, ``timestamp`` in epoch seconds)."""

    @abstractmethod
    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's events in id order."""

    # map runs (deleted with their execution)
    @abstractmethod
    def put_map_run(self, record: MapRunRecord) -> None: ...

    @abstractmethod
    def get_map_run(self, arn: str) -> MapRunRecord | None: ...

    @abstractmethod
    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        """Oldest first."""

    # map run items: each child execution's outcome, one row per item (deleted with their execution)
    @abstractmethod
    def put_map_run_item(self, map_run_arn: str, index: int, outcome: dict[str, Any]) -> None:
        """Keep (or replace) the outcome of item ``index``: ``{"status": "SUCCEEDED"|"FAILED", ...}``."""

    @abstractmethod
    def map_run_items(self, map_run_arn: str) -> dict[int, dict[str, Any]]:
        """Every outcome kept for the run, by item index."""

    @abstractmethod
    def map_run_item(self, map_run_arn: str, index: int) -> dict[str, Any] | None:
        """The outcome kept for item ``index``, if it ended."""

    # map run children as they start: (index, start, the child's redrive count, its input as JSON text)
    @abstractmethod
    def put_map_run_starts(self, map_run_arn: str, starts: list[tuple[int, float, int, str]]) -> None:
        """Keep (or replace) the start of each child in ``starts``, all in one write."""

    @abstractmethod
    def drop_map_run_starts(self, map_run_arn: str, indexes: list[int]) -> None:
        """Forget the starts of these children (cut short: they will start again)."""

    @abstractmethod
    def map_run_starts(self, map_run_arn: str) -> dict[int, tuple[float, int]]:
        """(start, redrive count) of every child started so far, by item index (their inputs are not read)."""

    @abstractmethod
    def map_run_input(self, map_run_arn: str, index: int) -> str | None:
        """The input of item ``index``'s child, as JSON text, once it started."""

    @abstractmethod
    def map_run_item_counts(self, map_run_arn: str) -> dict[str, int]:
        """How many items ended with each status (what DescribeMapRun counts without reading the outputs)."""

    # retention and service state
    @abstractmethod
    def purge_closed(self, stopped_before: float) -> int:
        """Delete executions (with their history and map runs) that ended before the time; returns how many."""

    @abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Release the store's resources."""
