"""Run one import of one connected Zoho account: options -> dlt source -> pipeline -> summary.

`run_import` is a plain function that returns an `ImportSummary`, so a transform step can follow it
(the CLI's `import` command, Dagster). A fatal Zoho condition (revoked token, missing scope, credits
used up) still loads what was extracted, keeps the cursors that match it, and then raises a
`UserError` whose one line says what to do.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from zoho_pipeline.errors import UserError
from zoho_pipeline.first_loads import remove_repeated_records, tables_to_append
from zoho_pipeline.history_table import publish_history
from zoho_pipeline.memory import release_freed_memory
from zoho_pipeline.sources.zoho import Extraction, modules_for, zoho_source
from zoho_pipeline.sources.zoho import settings as source_settings
from zoho_pipeline.sources.zoho.client import ZohoClient, ZohoCredentials
from zoho_pipeline.sources.zoho.errors import ZohoAuthError, ZohoFatalError
from zoho_pipeline.transform import TransformSummary, parse_project, results_of, run_transform


class ImportFailed(UserError):
    """The import stopped; the message says what to do (what was loaded stays loaded)."""


@dataclass
class ModuleSummary:
    """One Zoho module in an import."""

    module: str
    table: str
    zoho_count: int | None
    fetched: int
    loaded: int
    failed: int
    complete: bool


@dataclass
class ImportSummary:
    """What one import did (returned by `run_import`)."""

    integration_id: str
    import_id: str | None
    modules: list[ModuleSummary]
    api_calls: int
    credits_used: int | None
    credits_remaining: int | None
    duration_seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
    rejects: int = 0
    error: str | None = None
    # Set when the import ran `dbt build` (`transform=True`): what it created and updated in the marts.
    transform: TransformSummary | None = None

    @property
    def fetched(self) -> int:
        return sum(m.fetched for m in self.modules)

    @property
    def loaded(self) -> int:
        return sum(m.loaded for m in self.modules)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.modules)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(fetched=self.fetched, loaded=self.loaded, failed=self.failed)
        return data


class _TokenCache:
    """The integration store's cross-process access-token cache, in the shape the auth class wants."""

    def __init__(self, integration_id: str) -> None:
        self.integration_id = integration_id

    def load(self) -> tuple[str, float] | None:
        from zoho_pipeline.integrations import IntegrationStore

        with IntegrationStore.open() as store:
            cached = store.load_access_token(self.integration_id)
        return None if cached is None else (cached[0], cached[1].timestamp())

    def save(self, access_token: str, expires_at: float) -> None:
        from zoho_pipeline.integrations import IntegrationStore

        with IntegrationStore.open() as store:
            store.save_access_token(
                self.integration_id, access_token, dt.datetime.fromtimestamp(expires_at, dt.UTC)
            )


def _stored_credentials(integration_id: str) -> ZohoCredentials:
    from zoho_pipeline.integrations import IntegrationStore

    with IntegrationStore.open() as store:
        found = store.credentials(integration_id)
    return ZohoCredentials(
        client_id=found.client_id,
        client_secret=found.client_secret,
        refresh_token=found.refresh_token,
        accounts_url=found.accounts_url,
        api_domain=found.api_domain,
    )


def _mark_integration(integration_id: str, error: BaseException) -> None:
    """Tell the integration store the account needs reconnecting (best effort)."""
    error = _find(error, ZohoAuthError)
    if error is None:
        return
    try:
        from zoho_pipeline.integrations import IntegrationStore

        with IntegrationStore.open() as store:
            store.set_state(integration_id, "revoked", str(error))
    except Exception:  # noqa: BLE001 - the import's own error is what the user must see
        pass


class _Progress:
    """Fans page progress out to the import-run recorder and the caller's progress display."""

    def __init__(self, *listeners: Any) -> None:
        self.listeners = [listener for listener in listeners if listener is not None]

    def set_totals(self, totals: dict[str, int]) -> None:
        for listener in self.listeners:
            if hasattr(listener, "set_totals"):
                listener.set_totals(totals)

    def step(self, name: str) -> None:
        """A step after extraction began (loading, dbt build), for displays that show it."""
        for listener in self.listeners:
            if hasattr(listener, "step"):
                listener.step(name)

    def __call__(self, module: str, processed: int, successful: int, failed: int) -> None:
        for listener in self.listeners:
            report = getattr(listener, "progress", listener)
            report(module, processed=processed, successful=successful, failed=failed)


def _date(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    try:
        return _date(dt.date.fromisoformat(str(value)))
    except ValueError:
        raise UserError(f"{value!r} is not a date: use YYYY-MM-DD") from None


# Extract threads mostly wait on sockets, and each read gives up the GIL; with the default 5 ms switch
# interval a thread that got its bytes waits behind the threads building Arrow tables. 1 ms: the 500k
# benchmark's extract took 10.5-12.0 s instead of 12.1-14.8 s (4 runs each).
EXTRACT_SWITCH_INTERVAL = 0.001


@contextlib.contextmanager
def _short_gil_switches() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(EXTRACT_SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextlib.contextmanager
def _dbt_project_parsed_meanwhile(wanted: bool) -> Iterator[None]:
    """Parse the dbt project in a thread while the block runs: the load keeps DuckDB on one core, the
    parse takes the other (bench/transform.py at 1M: the first import's dbt step took 13.6-14.4 s, against
    18.7 s when the ~4.2 s full parse ran in it)."""
    if not wanted:
        yield
        return
    with ThreadPoolExecutor(1, thread_name_prefix="dbt-parse") as pool:  # exit waits for the parse
        pool.submit(parse_project)
        yield


def run_import(
    integration_id: str,
    modules: Sequence[str] | None = None,
    date_from: Any = None,
    date_to: Any = None,
    full: bool = False,
    progress: Any = None,
    *,
    transform: bool = False,
    credentials: ZohoCredentials | None = None,
    record_run: bool | None = None,
) -> ImportSummary:
    """Extract the integration's Zoho data and load it into `zoho_raw`; return what happened.

    `modules`: `--modules` names (contacts, deals, tickets, notes, activities); all when None.
    `date_from`/`date_to` (dates, inclusive): only records modified in that window, live cursor untouched.
    `full`: re-read everything (merge on id: nothing is duplicated).
    `progress`: an object with `set_totals(dict)` and `progress(module, processed=, successful=, failed=)`
    (the shape of `ImportRunRecorder`), or just such a callable.
    `transform`: then run `dbt build` (zoho_raw -> gtateth) and report what it created and updated; even
    after a fatal Zoho error, so what was loaded reaches the marts before the import is marked failed.
    `credentials`: talk to Zoho with these instead of the integration store's (tests, scripts).
    """
    from zoho_pipeline import pipelines

    started = time.monotonic()
    selected = modules_for(modules)
    start, end = _date(date_from), _date(date_to)
    if end is not None:
        end = end + dt.timedelta(days=1)  # --to is inclusive
    if start and end and start >= end:
        raise UserError("--from must be on or before --to")
    use_store = credentials is None
    record_run = use_store if record_run is None else record_run
    if credentials is None:
        credentials = _stored_credentials(integration_id)
    client = ZohoClient(credentials, token_cache=_TokenCache(integration_id) if use_store else None)

    recorder = None
    if record_run:
        from zoho_pipeline.import_runs import ImportRunRecorder

        options = {"modules": list(modules or source_settings.MODULE_GROUPS), "full": full,
                   "dateRange": {"from": str(date_from) if date_from else None,
                                 "to": str(date_to) if date_to else None}}
        recorder = ImportRunRecorder.start(integration_id, options=options)
    report = _Progress(recorder, progress)
    extraction = Extraction(
        integration_id, client, import_id=recorder.import_id if recorder else None, progress=report
    )
    steps: dict[str, float] = {}
    try:
        try:
            totals = {module: client.record_count(module) for module in selected}
        except ZohoFatalError as error:
            raise ImportFailed(str(error)) from error
        report.set_totals({module: count for module, count in totals.items() if count is not None})

        pipeline = pipelines.build_pipeline(integration_id)
        pipeline.config.restore_from_destination = False  # synced below, under the warehouse lock
        record_tables = [source_settings.RECORD_MODULES[module] for module in selected]
        with pipelines.warehouse_write_lock():
            pipeline.sync_destination()
            first_loads = tables_to_append(integration_id, record_tables)
        source = zoho_source(
            integration_id=integration_id, client_id=credentials.client_id,
            client_secret=credentials.client_secret, refresh_token=credentials.refresh_token,
            accounts_url=credentials.accounts_url, api_domain=credentials.api_domain,
            modules=selected, date_from=start, date_to=end, full=full, extraction=extraction,
        )
        for table in first_loads:  # nothing to merge with: skip dlt's staging copy (first_loads.py)
            source.resources[table].apply_hints(write_disposition="append")
        mark = time.monotonic()
        with _short_gil_switches():
            pipeline.extract(source, loader_file_format=pipelines.loader_file_format())
        steps["extract"] = time.monotonic() - mark
        mark = time.monotonic()
        pipeline.normalize()
        steps["normalize"] = time.monotonic() - mark
        release_freed_memory()
        mark = time.monotonic()
        report.step("loading the raw tables (zoho_raw)")
        with _dbt_project_parsed_meanwhile(transform), pipelines.warehouse_write_lock():
            pipeline.load(workers=pipelines.load_workers())
            remove_repeated_records(integration_id, source_settings.RECORD_MODULES.values())
        steps["load"] = time.monotonic() - mark
        transformed = None
        if transform:
            mark = time.monotonic()
            report.step("dbt build (gtateth marts)")
            transformed = run_transform()
            steps["transform"] = time.monotonic() - mark
    except BaseException as error:
        message = _failure_message(error)
        if recorder is not None:
            recorder.fail(message)
            if not isinstance(error, KeyboardInterrupt):  # Ctrl-C: leave at once
                publish_history(integration_id)
        _mark_integration(integration_id, error)
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        raise ImportFailed(message) from error

    summary = _summary(extraction, recorder, selected, started, steps)
    summary.transform = transformed
    if extraction.fatal is not None:
        summary.error = str(extraction.fatal)
        if recorder is not None:
            recorder.fail(summary.error)
            publish_history(integration_id)
        _mark_integration(integration_id, extraction.fatal)
        raise ImportFailed(summary.error) from extraction.fatal
    if recorder is not None:
        for row in extraction.rejects[:200]:
            recorder.add_error(row["module"], row["record_id"], row["reason"])
        # Per-module counts are in the run's progress; results are what the import produced.
        results = {"recordsLoaded": summary.loaded, "recordsFailed": summary.failed,
                   "apiCalls": summary.api_calls, "rejects": summary.rejects}
        if transformed is not None:
            results.update(results_of(transformed.changes))
        recorder.finish(results=results)
    if record_run:
        publish_history(integration_id)
    return summary


def _summary(extraction: Extraction, recorder: Any, selected: list[str], started: float,
             steps: dict[str, float]) -> ImportSummary:
    modules = []
    for module in selected:
        counts = extraction.counts(module)
        modules.append(
            ModuleSummary(
                module=module, table=source_settings.RECORD_MODULES[module], zoho_count=counts.zoho_count,
                fetched=counts.fetched, loaded=counts.loaded, failed=counts.failed, complete=counts.complete,
            )
        )
    stats = extraction.client.stats
    return ImportSummary(
        integration_id=extraction.integration_id,
        import_id=recorder.import_id if recorder else None,
        modules=modules,
        api_calls=stats.calls,
        credits_used=stats.credits_used,
        credits_remaining=stats.credits_remaining,
        duration_seconds=time.monotonic() - started,
        step_seconds=steps,
        rejects=len(extraction.rejects) + len(stats.malformed_pages),
    )


def _find(error: BaseException, kind: type) -> Any:
    """The first exception of `kind` in the chain (through dlt's step-failure wrappers), if any."""
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return None


def _user_error(error: BaseException) -> UserError | None:
    """The UserError inside dlt's step-failure wrappers, if any."""
    return _find(error, UserError)


def _failure_message(error: BaseException) -> str:
    user_error = _user_error(error)
    if user_error is not None:
        return str(user_error)
    if isinstance(error, KeyboardInterrupt):
        return "the import was interrupted: run it again to resume"
    step = getattr(error, "step", None)
    cause = getattr(error, "exception", None) or error
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    where = f" during {step}" if step else ""
    return f"the import failed{where}: {first_line[:300]} (run it again to resume; what was loaded stays)"
