"""`zoho-pipeline demo` (what `make demo` runs): simulator, OAuth, Dagster import, report; twice."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent


def run_demo(home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZOHO_PIPELINE_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)  # the demo's runs go to <home>/dagster, where `make dagster` looks
    return subprocess.run([sys.executable, "-m", "zoho_pipeline", "demo", "--size", "400"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def mart_counts(home: Path) -> dict[str, int]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        return {table: warehouse.sql(f"select count(*) from gtateth.{table}").fetchone()[0]
                for table in ("customers", "customer_sources", "conversations", "messages")}


def test_demo_imports_through_dagster_and_can_run_again(pipeline_home):
    first = run_demo(pipeline_home)
    assert first.returncode == 0, first.stderr
    assert re.search(r"Dagster run \S+ succeeded", first.stdout)
    assert "customFields.zoho_" in first.stdout and "a conversation" in first.stdout
    created = int(re.search(r"created (\d+) customers", first.stdout).group(1))
    counts = mart_counts(pipeline_home)
    assert created == counts["customers"] > 0 and counts["messages"] > 0
    assert (pipeline_home / "dagster" / "dagster.yaml").exists()

    # A second demo replaces the first account and its data: nothing is duplicated.
    again = run_demo(pipeline_home)
    assert again.returncode == 0, again.stderr
    assert "removing the earlier demo account" in again.stdout
    assert mart_counts(pipeline_home) == counts
