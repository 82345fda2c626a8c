"""The SQLite store's group commit: one transaction per event-loop turn, awaited before a response."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from asl_engine.store import SqliteStore


def _committed_tags(path: Path) -> list[str]:
    """What another connection sees: only committed writes."""
    with sqlite3.connect(path) as conn:
        return sorted(row[0] for row in conn.execute("SELECT arn FROM tags"))


def test_the_writes_of_one_turn_commit_together_on_the_next(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)

    async def main() -> None:
        store.set_tags("a", {"k": "v"})
        store.set_tags("b", {"k": "v"})
        assert _committed_tags(path) == []  # still this turn's open transaction
        assert store.get_tags("a") == {"k": "v"}  # the store reads its own writes
        await store.committed()
        assert _committed_tags(path) == ["a", "b"]
        await store.committed()  # nothing pending: returns at once

    asyncio.run(main())
    store.close()


def test_a_failed_atomic_block_inside_a_group_undoes_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)

    async def main() -> None:
        store.set_tags("kept", {})
        with pytest.raises(RuntimeError), store.atomic():
            store.set_tags("dropped", {})
            raise RuntimeError("half-way")
        await store.committed()

    asyncio.run(main())
    assert _committed_tags(path) == ["kept"]
    store.close()


def test_a_group_left_by_a_stopped_loop_is_committed_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SqliteStore(path)

    async def write() -> None:
        store.set_tags("on-loop", {})  # the loop ends before the turn that would commit it

    asyncio.run(write())
    store.set_tags("off-loop", {})
    assert _committed_tags(path) == ["off-loop", "on-loop"]
    store.close()
