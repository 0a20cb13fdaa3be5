"""Import runs in the control store: lifecycle, reading from another process, crashed runs, history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from zoho_pipeline import import_runs, settings
from zoho_pipeline.errors import UserError
from zoho_pipeline.import_runs import ImportRunRecorder, import_history, import_status
from zoho_pipeline.integrations import IntegrationStore

ROOT = settings.PROJECT_ROOT
OPTIONS = {"modules": ["contacts", "deals"], "dateRange": {"from": "2024-01-01", "to": None}, "full": False}


@pytest.fixture
def integration_id(pipeline_home):
    return _new_integration()


def _new_integration(name: str = "Acme") -> str:
    with IntegrationStore.open() as store:
        return store.add(
            name=name,
            accounts_url="https://accounts.zoho.com",
            api_domain="https://www.zohoapis.com",
            client_id="1000.CLIENT",
            client_secret="secret",
            refresh_token="1000.refresh",
            org_id="1",
            org_name="Acme",
        ).id


def _status_from_another_process(integration_id: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "zoho_pipeline", "status", integration_id, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        cwd=ROOT,  # `-m zoho_pipeline` from the checkout, whatever the test's working directory
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_idle_when_never_imported(integration_id):
    status = import_status(integration_id)
    assert status["status"] == "idle" and status["importId"] is None
    assert status["progress"] == {"total": 0, "processed": 0, "successful": 0, "failed": 0}
    assert import_history(integration_id) == []
    assert _status_from_another_process(integration_id)["status"] == "idle"


def test_unknown_integration(pipeline_home):
    with pytest.raises(UserError, match="integrations list"):
        import_status("zi_nope")
    with pytest.raises(UserError, match="integrations list"):
        ImportRunRecorder.start("zi_nope", OPTIONS)


def test_lifecycle_completed(integration_id):
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    status = import_status(integration_id)
    assert status["status"] == "in_progress" and status["importId"] == run.import_id
    assert status["options"] == OPTIONS and status["startedAt"].endswith("Z") and status["finishedAt"] is None
    assert status["pid"] == os.getpid()

    run.set_totals({"Contacts": 120, "Deals": 30})
    run.progress("Contacts", processed=100, successful=99, failed=1)
    run.add_error("Contacts", 4150868000000224005, "Email: not a string")
    run.advance("Deals", processed=30, successful=30)
    run.progress("Contacts", processed=120, successful=119, failed=1)
    run.finish(results={"customersCreated": 119, "conversationsCreated": 30, "messagesCreated": 0})

    status = import_status(integration_id)
    assert status["status"] == "completed" and status["finishedAt"] >= status["startedAt"]
    assert status["progress"] == {"total": 150, "processed": 150, "successful": 149, "failed": 1}
    assert status["results"] == {"customersCreated": 119, "conversationsCreated": 30, "messagesCreated": 0}
    assert status["errors"] == [
        {
            "module": "Contacts",
            "recordId": "4150868000000224005",
            "message": "Email: not a string",
            "at": status["errors"][0]["at"],
        }
    ]
    assert status["modules"]["Deals"] == {"total": 30, "processed": 30, "successful": 30, "failed": 0}
    with pytest.raises(RuntimeError):
        run.finish()


def test_lifecycle_failed_and_context_manager(integration_id):
    with pytest.raises(ValueError):
        with ImportRunRecorder.start(integration_id, options=OPTIONS) as run:
            run.set_totals({"Contacts": 10})
            raise ValueError("Zoho rejected the refresh token: connect again")
    status = import_status(integration_id)
    assert status["status"] == "failed"
    assert status["errors"][-1]["message"] == "Zoho rejected the refresh token: connect again"
    assert status["errors"][-1]["module"] is None

    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    run.fail("API credits exhausted: try again tomorrow")
    assert import_status(integration_id)["errors"][-1]["message"].startswith("API credits exhausted")


def test_one_live_run_per_integration(integration_id):
    other_id = _new_integration("Other")
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    try:
        with pytest.raises(UserError, match="already importing"):
            ImportRunRecorder.start(integration_id, options=OPTIONS)
        ImportRunRecorder.start(other_id, options=OPTIONS).finish()  # another account is independent
    finally:
        run.finish()


def test_progress_writes_are_throttled_but_flushed_on_finish(integration_id, monkeypatch):
    writes = []
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    original = run._flush

    def counting_flush(*args, **kwargs):
        writes.append(time.monotonic())
        return original(*args, **kwargs)

    monkeypatch.setattr(run, "_flush", counting_flush)
    started = time.monotonic()
    for processed in range(1, 2001):
        run.progress("Contacts", processed=processed, successful=processed)
    elapsed = time.monotonic() - started
    assert len(writes) <= 4 * elapsed + 2
    run.finish()
    assert import_status(integration_id)["progress"]["processed"] == 2000


def test_status_from_another_process_while_running(integration_id):
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    try:
        run.set_totals({"Contacts": 1000})
        run.progress("Contacts", processed=200, successful=200)
        time.sleep(import_runs.MIN_WRITE_INTERVAL * 3)  # the heartbeat thread flushes throttled progress
        first = _status_from_another_process(integration_id)
        assert first["status"] == "in_progress" and first["importId"] == run.import_id
        assert first["progress"]["total"] == 1000 and first["progress"]["processed"] == 200

        run.progress("Contacts", processed=600, successful=590, failed=10)
        time.sleep(import_runs.MIN_WRITE_INTERVAL * 3)
        second = _status_from_another_process(integration_id)
        assert second["status"] == "in_progress"
        assert second["progress"]["processed"] == 600 and second["progress"]["failed"] == 10
        plain = subprocess.run(
            [sys.executable, "-m", "zoho_pipeline", "status", integration_id],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert plain.returncode == 0 and "in_progress" in plain.stdout and "600/1000" in plain.stdout
    finally:
        run.finish()
    assert _status_from_another_process(integration_id)["status"] == "completed"


def _wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


CHILD = textwrap.dedent(
    """
    import sys, time
    from zoho_pipeline.import_runs import ImportRunRecorder
    run = ImportRunRecorder.start(sys.argv[1], options={"modules": ["contacts"]})
    run.set_totals({"Contacts": 500})
    run.progress("Contacts", processed=100, successful=100)
    print(run.import_id, flush=True)
    time.sleep(600)
    """
)


def test_killed_run_is_shown_as_failed(integration_id):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, integration_id], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        import_id = child.stdout.readline().strip()
        assert import_id.startswith("imp_")
        _wait_for(lambda: _status_from_another_process(integration_id)["progress"]["processed"] == 100)
        assert _status_from_another_process(integration_id)["status"] == "in_progress"
    finally:
        child.kill()
        child.wait()
    status = _status_from_another_process(integration_id)
    assert status["importId"] == import_id and status["status"] == "failed"
    assert status["finishedAt"] is not None
    assert "interrupted" in status["errors"][-1]["message"]
    assert status["progress"]["processed"] == 100
    # stored as failed, not just reported: a new run may start
    ImportRunRecorder.start(integration_id, options=OPTIONS).finish()
    assert [run["status"] for run in import_history(integration_id)] == ["completed", "failed"]


def test_run_with_stale_heartbeat_on_another_host_is_failed(integration_id):
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    run._stop.set()  # this "process" stops beating, as if its host went away
    run._heartbeat.join()
    run.control.execute(
        "update {s}import_runs set hostname = 'elsewhere', heartbeat_at = '2020-01-01T00:00:00.000Z' "
        "where import_id = ?",
        (run.import_id,),
    )
    status = import_status(integration_id)
    assert status["status"] == "failed"
    assert "no heartbeat" in status["errors"][-1]["message"]


def test_history_newest_first_with_limit(integration_id):
    ids = []
    for n in range(5):
        run = ImportRunRecorder.start(integration_id, options={"modules": ["contacts"], "n": n})
        ids.append(run.import_id)
        run.finish() if n % 2 == 0 else run.fail(f"failure {n}")
    history = import_history(integration_id)
    assert [run["importId"] for run in history] == ids[::-1]
    assert [run["status"] for run in history] == ["completed", "failed", "completed", "failed", "completed"]
    assert [run["importId"] for run in import_history(integration_id, limit=2)] == ids[:2:-1]
    assert import_status(integration_id)["importId"] == ids[-1]

    result = subprocess.run(
        [sys.executable, "-m", "zoho_pipeline", "history", integration_id, "--json", "--limit", "3"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert [run["importId"] for run in json.loads(result.stdout)] == ids[:1:-1]


def test_errors_are_capped_per_run(integration_id, monkeypatch):
    monkeypatch.setattr(import_runs, "MAX_ERRORS_KEPT", 5)
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    for n in range(20):
        run.add_error("Contacts", str(n), "bad")
    run.fail("stopped")
    status = import_status(integration_id)
    assert status["errorCount"] == 6 and status["errors"][-1]["message"] == "stopped"


@pytest.mark.postgres
def test_postgres_backend(postgres_home):
    integration_id = _new_integration()
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    run.set_totals({"Contacts": 10})
    run.progress("Contacts", processed=5, successful=5)
    time.sleep(import_runs.MIN_WRITE_INTERVAL * 3)
    other = _status_from_another_process(integration_id)
    assert other["status"] == "in_progress" and other["progress"]["processed"] == 5
    run.add_error("Contacts", "1", "50% broken")
    run.finish(results={"customersCreated": 5})
    assert import_status(integration_id)["errors"][0]["message"] == "50% broken"
    assert [r["status"] for r in import_history(integration_id, limit=1)] == ["completed"]


def test_plain_history_and_watch(integration_id):
    from click.testing import CliRunner

    from zoho_pipeline.cli import main

    runner = CliRunner()
    assert "no imports yet" in runner.invoke(main, ["history", integration_id]).output
    ImportRunRecorder.start(integration_id, options=OPTIONS).fail("Zoho rejected the refresh token")
    result = runner.invoke(main, ["history", integration_id])
    assert result.exit_code == 0 and "failed" in result.output

    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    run.set_totals({"Contacts": 10})
    watcher = subprocess.Popen(
        [sys.executable, "-m", "zoho_pipeline", "status", integration_id, "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(1.5)
    assert watcher.poll() is None  # still watching while the run goes on
    run.progress("Contacts", processed=10, successful=10)
    run.finish()
    stdout, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
    assert "completed" in stdout


def test_history_rows_for_the_warehouse(integration_id):
    ImportRunRecorder.start(integration_id, options=OPTIONS).fail("credits exhausted: try tomorrow")
    run = ImportRunRecorder.start(integration_id, options=OPTIONS)
    run.set_totals({"Contacts": 3})
    run.progress("Contacts", processed=3, successful=2, failed=1)
    run.finish(results={"customersCreated": 2})
    rows = import_runs.history_rows(integration_id)
    assert [row["status"] for row in rows] == ["failed", "completed"]
    assert rows[0]["error"] == "credits exhausted: try tomorrow" and rows[1]["error"] is None
    assert (rows[1]["records_total"], rows[1]["records_successful"], rows[1]["records_failed"]) == (3, 2, 1)
    assert json.loads(rows[1]["results"]) == {"customersCreated": 2}


def _start_concurrently(integration_id: str, starters: int = 6) -> list:
    import threading

    from zoho_pipeline.integrations import ControlStore

    outcomes: list = []
    barrier = threading.Barrier(starters)

    def start():
        control = ControlStore.open()
        barrier.wait()
        try:
            outcomes.append(ImportRunRecorder.start(integration_id, options=OPTIONS, control=control))
        except UserError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_starts_record_one_run(integration_id):
    outcomes = _start_concurrently(integration_id)
    runs = [outcome for outcome in outcomes if isinstance(outcome, ImportRunRecorder)]
    assert len(runs) == 1 and len(outcomes) == 6
    runs[0].finish()


@pytest.mark.postgres
def test_concurrent_starts_record_one_run_on_postgres(postgres_home):
    integration_id = _new_integration()
    outcomes = _start_concurrently(integration_id)
    runs = [outcome for outcome in outcomes if isinstance(outcome, ImportRunRecorder)]
    assert len(runs) == 1 and len(outcomes) == 6
    runs[0].finish()
