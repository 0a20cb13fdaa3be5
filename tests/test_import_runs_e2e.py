"""Import runs recorded by a real import (CLI `import`) against the simulator, read from other processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from zoho_pipeline import settings

ROOT = settings.PROJECT_ROOT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zoho_pipeline", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def status(integration_id: str) -> dict:
    result = cli("status", integration_id, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def integration_id(pipeline_home, make_simulator):
    simulator = make_simulator(seed=5, size=20_000)
    org = simulator.org
    added = cli(
        "integrations", "add", "--name", "Zylker", "--accounts-url", simulator.accounts_url,
        "--client-id", org.client_id, "--client-secret", org.client_secret,
        "--refresh-token", org.refresh_token, "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return json.loads(added.stdout)["id"]


def start_import(integration_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "zoho_pipeline", "import", integration_id, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        cwd=ROOT,  # `-m zoho_pipeline` from the checkout, whatever the test's working directory
    )


@pytest.mark.slow
def test_status_shows_a_running_import_moving(integration_id):
    assert status(integration_id)["status"] == "idle"
    importer = start_import(integration_id)
    seen = []
    while importer.poll() is None:
        current = status(integration_id)
        if current["status"] == "in_progress":
            seen.append(current["progress"]["processed"])
        time.sleep(0.2)
    assert importer.returncode == 0, importer.stderr.read()
    assert len(set(seen)) >= 2, f"progress never moved while running: {seen}"
    assert seen == sorted(seen)
    final = status(integration_id)
    assert final["status"] == "completed" and final["finishedAt"]
    assert final["progress"]["processed"] == final["progress"]["total"] > 0
    assert [run["status"] for run in json.loads(cli("history", integration_id, "--json").stdout)] == [
        "completed"
    ]


@pytest.mark.slow
def test_a_killed_import_is_shown_as_failed(integration_id):
    importer = start_import(integration_id)
    deadline = time.monotonic() + 120
    while status(integration_id)["progress"]["processed"] == 0:
        assert importer.poll() is None, importer.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    importer.send_signal(signal.SIGKILL)
    importer.wait()
    killed = status(integration_id)
    assert killed["status"] == "failed" and "interrupted" in killed["errors"][-1]["message"]
    assert 0 < killed["progress"]["processed"] < killed["progress"]["total"]
