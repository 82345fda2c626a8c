"""Where the service keeps state machines, executions and history: in memory or in SQLite."""

from asl_engine.store.base import Store, StoreError
from asl_engine.store.memory import MemoryStore
from asl_engine.store.records import AliasRecord, ExecutionRecord, MapRunRecord, StateMachineRecord, VersionRecord
from asl_engine.store.sqlite import SqliteStore

__all__ = ["AliasRecord", "ExecutionRecord", "MapRunRecord", "MemoryStore", "SqliteStore", "StateMachineRecord",
           "Store", "StoreError", "VersionRecord", "open_store"]


def open_store(path: str) -> Store:
    """``:memory:`` for a MemoryStore, anything else is an SQLite file (created if absent)."""
    return MemoryStore() if path == ":memory:" else SqliteStore(path)
