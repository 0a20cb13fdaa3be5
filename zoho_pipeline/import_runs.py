"""Import runs: each import's status, progress, results and errors, kept current in the control store
while it runs, so `zoho-pipeline status` (or Dagster, or another host) can read them from another process.

    run = ImportRunRecorder.start(integration_id, options={"modules": [...], "dateRange": {...}})
    run.set_totals({"Contacts": 120})                         # Zoho's counts, before extraction
    run.progress("Contacts", processed=200, successful=199, failed=1)   # running totals of the module
    run.add_error("Contacts", "4150868000000224005", "no id")
    run.finish(results={"customersCreated": 120, ...})         # or run.fail("one line that says what to do")

A run whose process is gone (same host, pid dead) or whose heartbeat is stale is reported, and stored,
as failed with an error saying it was interrupted: a killed import never stays `in_progress`.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations.control import ControlStore
from zoho_pipeline.integrations.times import from_iso, to_iso, utc_now

STATUSES = ("idle", "in_progress", "completed", "failed")
MIN_WRITE_INTERVAL = 0.25  # seconds: progress reaches the store at most 4 times a second
HEARTBEAT_INTERVAL = 5.0  # seconds: written by a background thread even while a page takes long
STALE_AFTER = timedelta(seconds=90)  # no heartbeat for this long: the run is dead (any host)
MAX_ERRORS_KEPT = 1000  # per run; `failed` still counts every failed record
HISTORY_ERRORS_SHOWN = 20

log = logging.getLogger(__name__)


class ImportRunRecorder:
    """Records one import run. Cheap to call after every page batch: writes are throttled and the last
    state is always flushed by `finish` / `fail`. Safe to call from several threads."""

    def __init__(
        self, control: ControlStore, import_id: str, integration_id: str, owns_control: bool
    ) -> None:
        self.control = control
        self.import_id = import_id
        self.integration_id = integration_id
        self._owns_control = owns_control
        self._lock = threading.RLock()  # the in-memory state
        self._write_lock = threading.Lock()  # one write to the store at a time
        self._totals: dict[str, int] = {}
        self._modules: dict[str, dict[str, int]] = {}
        self._pending_errors: list[tuple[str | None, str | None, str, str]] = []
        self._errors_seen = 0
        self._dirty = False
        self._last_write = time.monotonic()
        self._done = False
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name=f"heartbeat-{import_id}", daemon=True)
        self._heartbeat.start()

    # -- lifecycle ----------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        integration_id: str,
        options: Mapping[str, Any] | None = None,
        *,
        control: ControlStore | None = None,
    ) -> ImportRunRecorder:
        """Record a new run `in_progress` (with pid, hostname and heartbeat). Refuses to start while another
        run of the same integration is alive: two imports of one account would fight over its cursors."""
        owns_control = control is None
        control = control or ControlStore.open()
        try:
            _require_integration(control, integration_id)
            _reap_interrupted(control, integration_id)
            with control.transaction() as tx:
                import_id = _insert_run(tx, control.backend, integration_id, options)
        except BaseException:
            if owns_control:
                control.close()
            raise
        return cls(control, import_id, integration_id, owns_control)

    def finish(self, results: Mapping[str, Any] | None = None) -> None:
        """The run completed: final progress, results (`customersCreated`, ...), finished time."""
        self._end("completed", results=results)

    def fail(self, message: str) -> None:
        """The run failed: `message` (one line that says what to do) joins its errors."""
        with self._lock:
            self._keep_error(None, None, message)  # always kept, even past MAX_ERRORS_KEPT
        self._end("failed")

    def __enter__(self) -> ImportRunRecorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._done:
            return
        if exc is None:
            self.finish()
        elif isinstance(exc, KeyboardInterrupt):
            self.fail("the import was interrupted (Ctrl-C): run it again to resume")
        else:
            self.fail(str(exc) or type(exc).__name__)

    # -- progress -----------------------------------------------------------------------------------

    def set_totals(self, totals: Mapping[str, int]) -> None:
        """Zoho's record count per module, taken before extraction (`progress.total` is their sum)."""
        with self._lock:
            self._totals.update({module: int(count) for module, count in totals.items()})
            for module in totals:
                self._module(module)
            self._dirty = True
        self._flush_now()  # readers see the totals before the first page arrives

    def progress(self, module: str, processed: int, successful: int, failed: int = 0) -> None:
        """The module's running totals so far (not increments): call after every page batch.
        No I/O here: the heartbeat thread writes the latest counts at most 4 times a second."""
        with self._lock:
            counts = self._module(module)
            counts.update(processed=int(processed), successful=int(successful), failed=int(failed))
            self._dirty = True

    def advance(self, module: str, processed: int = 0, successful: int = 0, failed: int = 0) -> None:
        """Add to the module's counts (the alternative to `progress` for callers that count per batch)."""
        with self._lock:
            counts = self._module(module)
            counts["processed"] += int(processed)
            counts["successful"] += int(successful)
            counts["failed"] += int(failed)
            self._dirty = True

    def add_error(self, module: str | None, record_id: str | None, message: str) -> None:
        """A record (or a module) that could not be imported. Kept up to MAX_ERRORS_KEPT per run."""
        with self._lock:
            self._errors_seen += 1
            if self._errors_seen <= MAX_ERRORS_KEPT:
                self._keep_error(module, record_id, message)

    # -- internals ----------------------------------------------------------------------------------

    def _module(self, module: str) -> dict[str, int]:
        return self._modules.setdefault(module, {"processed": 0, "successful": 0, "failed": 0})

    def _keep_error(self, module: str | None, record_id: str | None, message: str) -> None:
        record = None if record_id is None else str(record_id)
        self._pending_errors.append((module, record, str(message), to_iso(utc_now())))
        self._dirty = True

    def _flush_now(self) -> None:
        try:
            self._flush()
        except Exception as error:  # progress must never break the import; the next write retries
            log.warning("cannot record the progress of import %s: %s", self.import_id, error)

    def _flush(self, final_status: str | None = None, results: Mapping[str, Any] | None = None) -> None:
        # Writes take their own lock and a snapshot, so progress() never waits on the database.
        with self._write_lock:
            with self._lock:
                totals, modules = _dumps(self._totals), _dumps(self._modules)
                errors, self._pending_errors = self._pending_errors, []
                self._dirty = False
            now = to_iso(utc_now())
            try:
                with self.control.transaction() as tx:
                    if final_status is None:
                        # Only while in progress: never undo a finish, or a reaper's verdict.
                        tx.execute(
                            "update {s}import_runs set totals = ?, progress = ?, heartbeat_at = ? "
                            "where import_id = ? and status = 'in_progress'",
                            (totals, modules, now, self.import_id),
                        )
                    else:
                        # The process is alive and done: its own verdict wins over a reaper's guess.
                        tx.execute(
                            "update {s}import_runs set status = ?, finished_at = ?, totals = ?, "
                            "progress = ?, results = ?, heartbeat_at = ? where import_id = ?",
                            (final_status, now, totals, modules, _dumps(dict(results or {})), now,
                             self.import_id),
                        )
                    if errors:
                        _insert_errors(tx, self.import_id, errors)
            except BaseException:
                with self._lock:
                    self._pending_errors = errors + self._pending_errors
                    self._dirty = True
                raise
            self._last_write = time.monotonic()

    def _end(self, status: str, results: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            if self._done:
                raise RuntimeError(f"import {self.import_id} has already finished")
            self._done = True
        self._stop.set()
        self._heartbeat.join(timeout=5)
        try:
            _retry(lambda: self._flush(final_status=status, results=results))
        finally:
            if self._owns_control:
                self.control.close()

    def _beat(self) -> None:
        # Keeps the heartbeat fresh while a page takes long, and flushes throttled progress.
        while not self._stop.wait(MIN_WRITE_INTERVAL):
            with self._lock:
                if self._done:
                    return
                if not self._dirty and time.monotonic() - self._last_write < HEARTBEAT_INTERVAL:
                    continue
            try:
                self._flush()
            except Exception as error:
                log.warning("cannot record the heartbeat of import %s: %s", self.import_id, error)


# -- reading ----------------------------------------------------------------------------------------


def import_status(integration_id: str, *, control: ControlStore | None = None) -> dict[str, Any]:
    """The current or last import of the integration, in the issue-5 shape (`idle` if it never imported)."""
    with _control(control) as store:
        _require_integration(store, integration_id)
        _reap_interrupted(store, integration_id)
        rows = store.query(
            "select * from {s}import_runs where integration_id = ? order by started_ns desc limit 1",
            (integration_id,),
        )
        if not rows:
            return idle_status(integration_id)
        return _run_dict(store, rows[0], errors_limit=MAX_ERRORS_KEPT + 1)


def import_history(
    integration_id: str, limit: int = 20, *, control: ControlStore | None = None
) -> list[dict[str, Any]]:
    """Past and current imports, newest first (each with at most HISTORY_ERRORS_SHOWN errors)."""
    if limit < 1:
        raise UserError("--limit must be at least 1")
    with _control(control) as store:
        _require_integration(store, integration_id)
        _reap_interrupted(store, integration_id)
        rows = store.query(
            "select * from {s}import_runs where integration_id = ? order by started_ns desc limit ?",
            (integration_id, int(limit)),
        )
        return [_run_dict(store, row, errors_limit=HISTORY_ERRORS_SHOWN) for row in rows]


def history_rows(integration_id: str | None = None, *, control: ControlStore | None = None) -> list[dict]:
    """Every finished or running import as flat rows (one per run), for a warehouse table analysts can
    query (e.g. a dlt resource `import_runs` with primary key `import_id`). All integrations by default."""
    with _control(control) as store:
        where, params = ("where integration_id = ?", (integration_id,)) if integration_id else ("", ())
        rows = store.query(f"select * from {{s}}import_runs {where} order by started_ns", params)
        flat = []
        for row in rows:
            run = _run_dict(store, row, errors_limit=HISTORY_ERRORS_SHOWN)
            failures = [e["message"] for e in run["errors"] if e["module"] is None]
            flat.append(
                {
                    "import_id": run["importId"],
                    "integration_id": run["integrationId"],
                    "status": run["status"],
                    "started_at": run["startedAt"],
                    "finished_at": run["finishedAt"],
                    "options": _dumps(run["options"]),
                    "records_total": run["progress"]["total"],
                    "records_processed": run["progress"]["processed"],
                    "records_successful": run["progress"]["successful"],
                    "records_failed": run["progress"]["failed"],
                    "results": _dumps(run["results"]),
                    "error_count": run["errorCount"],
                    "error": failures[-1] if failures else None,
                }
            )
        return flat


def idle_status(integration_id: str) -> dict[str, Any]:
    return {
        "integrationId": integration_id,
        "importId": None,
        "status": "idle",
        "startedAt": None,
        "finishedAt": None,
        "options": {},
        "progress": {"total": 0, "processed": 0, "successful": 0, "failed": 0},
        "results": {},
        "errors": [],
    }


def add_results(import_id: str, results: Mapping[str, Any], *, control: ControlStore | None = None) -> None:
    """Merge `results` into a run's results: Dagster's dbt step reports the marts it changed after the
    import step has finished the run."""
    with _control(control) as store, store.transaction() as tx:
        rows = tx.query("select results from {s}import_runs where import_id = ?", (import_id,))
        if not rows:
            return
        merged = {**json.loads(rows[0]["results"] or "{}"), **results}
        tx.execute("update {s}import_runs set results = ? where import_id = ?", (_dumps(merged), import_id))


def delete_import_history(integration_id: str, *, control: ControlStore | None = None) -> int:
    """Forget every import run of the integration (`integrations remove --purge`)."""
    with _control(control) as store, store.transaction() as tx:
        tx.execute(
            "delete from {s}import_run_errors where import_id in "
            "(select import_id from {s}import_runs where integration_id = ?)",
            (integration_id,),
        )
        return tx.execute("delete from {s}import_runs where integration_id = ?", (integration_id,))


# -- internals --------------------------------------------------------------------------------------


class _control:
    """The given control store, or one opened from the settings and closed afterwards."""

    def __init__(self, control: ControlStore | None) -> None:
        self._given = control
        self._opened: ControlStore | None = None

    def __enter__(self) -> ControlStore:
        if self._given is not None:
            return self._given
        self._opened = ControlStore.open()
        return self._opened

    def __exit__(self, *exc: object) -> None:
        if self._opened is not None:
            self._opened.close()


def _insert_run(tx: Any, backend: str, integration_id: str, options: Mapping[str, Any] | None) -> str:
    """Check that no run of the integration is live and record the new one, atomically (SQLite's
    `begin immediate` serializes writers; Postgres locks the integration's row)."""
    if backend == "postgres":
        tx.execute("select id from {s}integrations where id = ? for update", (integration_id,))
    live = tx.query(
        "select import_id, pid, hostname, started_at from {s}import_runs "
        "where integration_id = ? and status = 'in_progress'",
        (integration_id,),
    )
    if live:
        other = live[0]
        raise UserError(
            f"{integration_id} is already importing (import {other['import_id']}, "
            f"pid {other['pid']} on {other['hostname']}, started {other['started_at']}): "
            f"wait for it, see `zoho-pipeline status {integration_id}`"
        )
    now = utc_now()
    import_id = "imp_" + secrets.token_hex(6)
    tx.execute(
        """insert into {s}import_runs (import_id, integration_id, status, started_at, started_ns,
            finished_at, options, totals, progress, results, pid, hostname, heartbeat_at)
        values (?, ?, 'in_progress', ?, ?, null, ?, '{}', '{}', '{}', ?, ?, ?)""",
        (
            import_id,
            integration_id,
            to_iso(now),
            time.time_ns(),
            _dumps(dict(options or {})),
            os.getpid(),
            socket.gethostname(),
            to_iso(now),
        ),
    )
    return import_id


def _require_integration(control: ControlStore, integration_id: str) -> None:
    if not control.query("select id from {s}integrations where id = ?", (integration_id,)):
        raise UserError(f"no integration {integration_id}: run `zoho-pipeline integrations list`")


def _reap_interrupted(control: ControlStore, integration_id: str) -> None:
    """Mark the integration's dead `in_progress` runs as failed, with an error saying so."""
    runs = control.query(
        "select import_id, pid, hostname, heartbeat_at from {s}import_runs "
        "where integration_id = ? and status = 'in_progress'",
        (integration_id,),
    )
    now = utc_now()
    for run in runs:
        reason = interruption(run, now)
        if reason is None:
            continue
        with control.transaction() as tx:
            changed = tx.execute(
                "update {s}import_runs set status = 'failed', finished_at = ? "
                "where import_id = ? and status = 'in_progress'",
                (to_iso(now), run["import_id"]),
            )
            if changed:  # another reader may have got there first
                _insert_errors(tx, run["import_id"], [(None, None, reason, to_iso(now))])


def interruption(run: Mapping[str, Any], now: datetime) -> str | None:
    """Why an `in_progress` run is dead, or None while it looks alive."""
    resume = "run the import again to resume"
    if run["hostname"] == socket.gethostname() and run["pid"] and not process_alive(int(run["pid"])):
        return (
            f"the import was interrupted: its process ({run['pid']} on {run['hostname']}) is gone; {resume}"
        )
    heartbeat = from_iso(run["heartbeat_at"])
    if heartbeat is None or now - heartbeat > STALE_AFTER:
        return (
            f"the import was interrupted: no heartbeat from process {run['pid']} on {run['hostname']} since "
            f"{run['heartbeat_at']}; {resume}"
        )
    return None


def process_alive(pid: int) -> bool:
    """Whether a process of this host is running (a zombie, killed but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _insert_errors(tx: Any, import_id: str, errors: list[tuple[str | None, str | None, str, str]]) -> None:
    rows = tx.query(
        "select coalesce(max(seq), 0) as last from {s}import_run_errors where import_id = ?", (import_id,)
    )
    seq = int(rows[0]["last"]) if rows else 0
    for module, record_id, message, at in errors:
        seq += 1
        tx.execute(
            "insert into {s}import_run_errors (import_id, seq, module, record_id, message, at) "
            "values (?, ?, ?, ?, ?, ?)",
            (import_id, seq, module, record_id, message, at),
        )


def _run_dict(control: ControlStore, row: Mapping[str, Any], errors_limit: int) -> dict[str, Any]:
    totals: dict[str, int] = json.loads(row["totals"] or "{}")
    modules: dict[str, dict[str, int]] = json.loads(row["progress"] or "{}")
    errors = control.query(
        "select module, record_id, message, at from {s}import_run_errors where import_id = ? "
        "order by seq limit ?",
        (row["import_id"], errors_limit),
    )
    error_count = control.query(
        "select count(*) as n from {s}import_run_errors where import_id = ?", (row["import_id"],)
    )[0]["n"]
    zero = {"processed": 0, "successful": 0, "failed": 0}
    by_module = {
        module: {"total": totals.get(module), **modules.get(module, zero)}
        for module in dict.fromkeys([*totals, *modules])
    }
    return {
        "integrationId": row["integration_id"],
        "importId": row["import_id"],
        "status": row["status"],
        "startedAt": row["started_at"],
        "finishedAt": row["finished_at"],
        "options": json.loads(row["options"] or "{}"),
        "progress": {
            "total": sum(totals.values()),
            "processed": sum(counts["processed"] for counts in modules.values()),
            "successful": sum(counts["successful"] for counts in modules.values()),
            "failed": sum(counts["failed"] for counts in modules.values()),
        },
        "results": json.loads(row["results"] or "{}"),
        "errors": [
            {"module": e["module"], "recordId": e["record_id"], "message": e["message"], "at": e["at"]}
            for e in errors
        ],
        # Beyond the issue-5 shape: per-module progress, and what tells a live run from a dead one.
        "errorCount": int(error_count),
        "modules": by_module,
        "heartbeatAt": row["heartbeat_at"],
        "pid": row["pid"],
        "hostname": row["hostname"],
    }


def _retry(write: Any, attempts: int = 5) -> None:
    # The last write of a run matters: without it the run would later be reported as interrupted.
    for attempt in range(attempts):
        try:
            write()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2**attempt)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)
