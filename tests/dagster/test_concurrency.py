"""Two accounts imported at once: on DuckDB the writers take turns, neither fails on a lock."""
from __future__ import annotations

import subprocess
import sys

import pytest
from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

from tests.dagster.helpers import connect
from zoho_pipeline import settings
from zoho_pipeline.defs.dlt import RAW_ASSETS_NAME
from zoho_pipeline.import_runs import import_history


def step_window(instance, run_id: str, step_key: str) -> tuple[float, float]:
    def timestamps(event_type):
        return [
            record.timestamp
            for record in instance.all_logs(run_id, of_type=event_type)
            if record.step_key == step_key
        ]

    return min(timestamps(DagsterEventType.STEP_START)), max(timestamps(DagsterEventType.STEP_SUCCESS))


def run_two_imports_at_once(simulator, dagster_instance):
    """Two accounts, each imported by its own process (`python -m zoho_pipeline.defs.runner`) at once."""
    first = connect(simulator, "First")
    second = connect(simulator, "Second", org=simulator.add_org(seed=7, name="Second Co"))
    runners = [
        subprocess.Popen(
            [sys.executable, "-m", "zoho_pipeline.defs.runner", integration.id],
            cwd=settings.PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for integration in (first, second)
    ]
    outputs = [runner.communicate(timeout=600)[0] for runner in runners]
    for runner, output in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, output[-3000:]

    runs = dagster_instance.get_runs(RunsFilter(tags={"zoho/trigger": "runner"}))
    assert len(runs) == 2 and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
    for integration in (first, second):
        statuses = [run["status"] for run in import_history(integration.id)]
        assert statuses == ["completed"]
    return runs


def test_two_accounts_at_once_take_turns_on_duckdb(simulator, dagster_home, dagster_instance):
    runs = run_two_imports_at_once(simulator, dagster_instance)
    # The DuckDB writer pool has one slot: one import's load step ran, then the other's.
    (start_a, end_a), (start_b, end_b) = sorted(step_window(dagster_instance, run.run_id, RAW_ASSETS_NAME)
                                                for run in runs)
    assert end_a <= start_b


@pytest.mark.postgres
def test_two_accounts_at_once_on_postgres(postgres_home, simulator, dagster_home, dagster_instance):
    # No pool on Postgres imports: their steps may overlap. Two *first* imports: loads and dbt builds
    # take turns on the warehouse's advisory lock (pipelines.py), or both would create zoho_raw's tables.
    run_two_imports_at_once(simulator, dagster_instance)
