"""`zoho-pipeline import` as a user runs it: a connected integration, progress, summary, exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.sources.conftest import count

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zoho_pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def connect(sim) -> str:
    added = cli("integrations", "add", "--name", "Zylker", "--client-id", sim.org.client_id,
                "--client-secret", sim.org.client_secret, "--refresh-token", sim.org.refresh_token,
                "--accounts-url", sim.accounts_url, "--json")
    assert added.returncode == 0, added.stderr
    return json.loads(added.stdout)["id"]


def test_import_command_loads_and_summarises(pipeline_home, make_simulator):
    sim = make_simulator(seed=21, counts={"Contacts": 300, "Deals": 40, "Notes": 20})
    integration_id = connect(sim)
    result = cli("import", integration_id, "--modules", "contacts,deals")
    assert result.returncode == 0, result.stderr
    assert "Contacts" in result.stdout and "API calls" in result.stdout and "G-Tateth marts" in result.stdout
    assert count("contacts", integration_id) == sim.org.store.alive_count("Contacts")
    first = json.loads(cli("status", integration_id, "--json").stdout)
    assert first["status"] == "completed" and first["results"]["customersCreated"] > 0

    # Nothing changed in Zoho: the second import (all modules) creates customers and updates nothing.
    as_json = cli("import", integration_id, "--json")
    assert as_json.returncode == 0, as_json.stderr
    summary = json.loads(as_json.stdout)
    assert summary["import_id"] and {m["module"] for m in summary["modules"]} >= {"Contacts", "Notes"}
    assert summary["transform"]["changes"]["customers"] == {"created": 0, "updated": 0}

    # Analysts find the same history in the warehouse.
    history = json.loads(cli("history", integration_id, "--json").stdout)
    with duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True) as warehouse:
        rows = warehouse.sql("select import_id, status, results from zoho_raw.import_history "
                             "where integration_id = ? order by started_at desc",
                             params=[integration_id]).fetchall()
    assert [(row[0], row[1]) for row in rows] == [(run["importId"], "completed") for run in history]
    assert json.loads(rows[-1][2])["customersCreated"] == first["results"]["customersCreated"]


def test_import_command_fails_with_one_line_on_a_revoked_token(pipeline_home, make_simulator):
    sim = make_simulator(seed=22, counts={"Contacts": 50})
    integration_id = connect(sim)
    sim.control.revoke(sim.org.refresh_token)
    result = cli("import", integration_id)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "zoho-pipeline connect" in error_lines[0]
    shown = cli("integrations", "show", integration_id, "--json")
    assert json.loads(shown.stdout)["state"] == "revoked"


def test_import_command_rejects_bad_options(pipeline_home):
    result = cli("import", "zi_nope", "--from", "2024-13-01")
    assert result.returncode != 0 and "Traceback" not in result.stderr
