"""Pool slots on the default SQLite storage: processes claiming one slot at the same moment get it once.

Dagster's own SQLite storage gave the one slot to 2 of 6 processes in 6 rounds out of 8 (checked by
hand with this test's code against `DagsterSqliteStorage`); `dagster_storage.py` serializes claims.
"""
from __future__ import annotations

import multiprocessing

from dagster import DagsterInstance

from zoho_pipeline.dagster_home import prepare_dagster_home
from zoho_pipeline.dagster_storage import SerializedClaimsEventLogStorage

PROCESSES = 6


def _claim(home: str, pool: str, run_id: str, ready, go, claimed) -> None:
    instance = DagsterInstance.from_config(home)
    try:
        storage = instance.event_log_storage
        ready.put(run_id)
        go.wait()
        claimed.put(storage.claim_concurrency_slot(pool, run_id, "load").is_claimed)
    finally:
        instance.dispose()


def test_one_slot_is_claimed_once_by_processes_claiming_at_once(tmp_path):
    home = str(prepare_dagster_home(tmp_path))
    context = multiprocessing.get_context("fork")
    for round_number in range(3):
        pool = f"writer_{round_number}"
        instance = DagsterInstance.from_config(home)
        assert isinstance(instance.event_log_storage, SerializedClaimsEventLogStorage)
        instance.event_log_storage.set_concurrency_slots(pool, 1)
        instance.dispose()
        ready, go, claimed = context.Queue(), context.Event(), context.Queue()
        processes = [
            context.Process(target=_claim, args=(home, pool, f"run_{i}", ready, go, claimed))
            for i in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        for _ in processes:
            ready.get(timeout=60)
        go.set()
        results = [claimed.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        assert sum(results) == 1, f"{sum(results)} processes hold the one slot of {pool}"
