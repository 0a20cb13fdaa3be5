"""Dagster's default SQLite storage, with concurrency-slot claims that processes take in turn.

Dagster claims a pool slot by reading a free slot row, then writing its run into it. Postgres storage
locks the row between the two (`FOR UPDATE SKIP LOCKED`); SQLite ignores that, so two runs claiming
at the same moment from two processes (two `zoho_pipeline.defs.runner` imports started together) could
both take the one slot of `zoho_duckdb_writer` and write DuckDB at once. Here every claim and release
holds a file lock next to the storage. Same files and layout as Dagster's own `DagsterSqliteStorage`.
"""
from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory


class SerializedClaimsEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose pool-slot claims and releases are serialized across processes."""

    @contextlib.contextmanager
    def _claims_lock(self) -> Iterator[None]:
        with open(Path(self._base_dir) / "concurrency_claims.lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def claim_concurrency_slot(self, *args, **kwargs):
        with self._claims_lock():
            return super().claim_concurrency_slot(*args, **kwargs)

    def free_concurrency_slot_for_step(self, *args, **kwargs):
        with self._claims_lock():
            return super().free_concurrency_slot_for_step(*args, **kwargs)

    def free_concurrency_slots_for_run(self, *args, **kwargs):
        with self._claims_lock():
            return super().free_concurrency_slots_for_run(*args, **kwargs)


class SerializedClaimsSqliteStorage(DagsterSqliteStorage):
    """`DagsterSqliteStorage` (the same base_dir layout) with `SerializedClaimsEventLogStorage`."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = SerializedClaimsEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(inst_data=inst_data, **config_value)
