"""The Zoho CRM dlt source: record tables per module, field metadata, deal stages, deletes, counts, rejects.

Raw tables and their keys are the contract in docs/architecture.md. Records are incremental on
`Modified_Time` (in UTC) per integration and module; they leave as Arrow tables of ten pages.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Generator, Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from zoho_pipeline.sources.zoho import settings
from zoho_pipeline.sources.zoho.bulk import BulkRead, bulk_fields
from zoho_pipeline.sources.zoho.client import (
    BulkUnavailable,
    MalformedPage,
    ZohoClient,
    ZohoCredentials,
    ZohoFatalError,
    format_zoho_datetime,
    module_of,
    parse_zoho_datetime,
)
from zoho_pipeline.sources.zoho.extraction import Extraction, ProgressCallback
from zoho_pipeline.sources.zoho.transform import (
    COUNT_COLUMNS,
    DEAL_STAGE_COLUMNS,
    DELETED_COLUMNS,
    FIELD_COLUMNS,
    RECORD_COLUMNS,
    REJECT_COLUMNS,
    REJECT_SCHEMA,
    deal_stage_rows,
    deleted_rows,
    field_rows,
    records_to_arrow,
    reject_row,
)

__all__ = ["zoho_source", "ZohoCredentials", "Extraction", "modules_for", "EPOCH"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
log = logging.getLogger(__name__)

# pyarrow imports pandas on its first array. Done by a record resource in a worker thread, dlt's main
# thread can meanwhile find a half-imported pandas in sys.modules (AttributeError on `DataFrame`).
with contextlib.suppress(ImportError):
    import pandas  # noqa: F401


def modules_for(groups: Sequence[str] | None) -> list[str]:
    """`--modules contacts,deals` names (or Zoho API names) -> Zoho module API names, in table order."""
    if not groups:
        return list(settings.RECORD_MODULES)
    wanted: set[str] = set()
    by_table = {table: module for module, table in settings.RECORD_MODULES.items()}
    for name in groups:
        key = name.strip()
        if key.lower() in settings.MODULE_GROUPS:
            wanted.update(settings.MODULE_GROUPS[key.lower()])
        elif key in settings.RECORD_MODULES:
            wanted.add(key)
        elif key.lower() in by_table:
            wanted.add(by_table[key.lower()])
        else:
            from zoho_pipeline.errors import UserError

            choices = ", ".join(settings.MODULE_GROUPS)
            raise UserError(f"Unknown module {name!r}: choose from {choices}.")
    return [module for module in settings.RECORD_MODULES if module in wanted]


@dlt.source(name="zoho", max_table_nesting=0)
def zoho_source(
    integration_id: str = dlt.config.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    refresh_token: str = dlt.secrets.value,
    accounts_url: str = dlt.config.value,
    api_domain: str = dlt.config.value,
    modules: Sequence[str] | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    full: bool = False,
    import_id: str | None = None,
    token_cache: Any | None = None,
    progress: ProgressCallback | None = None,
    extraction: Extraction | None = None,
    bulk_read: bool = False,
) -> Iterator[DltResource]:
    """Zoho CRM records (incremental on Modified_Time), field metadata, deal stages, deletes, counts, rejects.

    `date_from`/`date_to` load records modified in that window without moving the live cursor;
    `full` re-reads everything (also without touching the cursor; merge keeps one row per id).
    Pass `extraction` to read counters, rejects and a fatal error after the run. `bulk_read=True`
    (config `SOURCES__ZOHO__BULK_READ=true`) reads big modules the first time by Bulk Read (bulk.py).
    """
    if extraction is None:
        client = ZohoClient(
            ZohoCredentials(client_id, client_secret, refresh_token, accounts_url, api_domain),
            token_cache=token_cache,
        )
        extraction = Extraction(integration_id, client, import_id=import_id, progress=progress)
    selected = modules_for(modules)
    window = _window(date_from, date_to, full)

    yield record_counts(extraction, selected)
    yield fields(extraction, selected)
    if "Deals" in selected:
        yield deal_stages(extraction)
    for module in selected:
        yield _record_resource(extraction, module, window, bulk_read)
    yield deleted_records(extraction, selected)
    yield rejects(extraction)


def _window(
    date_from: dt.datetime | None, date_to: dt.datetime | None, full: bool
) -> tuple[dt.datetime, dt.datetime] | None:
    """The stateless (start, end) for a backfill or a full read; None for the live incremental."""
    if not (date_from or date_to or full):
        return None
    start = _utc(date_from) if date_from and not full else EPOCH
    end = _utc(date_to) if date_to and not full else dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return start, end


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _record_resource(
    extraction: Extraction, module: str, window: tuple[dt.datetime, dt.datetime] | None, bulk_read: bool
) -> DltResource:
    table = settings.RECORD_MODULES[module]
    if window is None:
        cursor = dlt.sources.incremental(
            "modified_time", initial_value=EPOCH, primary_key=(), lag=settings.CURSOR_OVERLAP_SECONDS
        )
    else:
        # end_value makes dlt's incremental stateless: the live cursor is neither read nor moved
        cursor = dlt.sources.incremental(
            "modified_time", initial_value=window[0], end_value=window[1], primary_key=()
        )
    resource = dlt.resource(
        _module_records,
        name=table,
        table_name=table,
        write_disposition="merge",
        primary_key=("integration_id", "id"),
        columns=RECORD_COLUMNS,
    )
    resource.__doc__ = f"Zoho {module} records, whole, incremental on Modified_Time (UTC)."
    # parallelize() on the bound resource: in dlt 1.31 `parallelized=True` with an incremental
    # argument runs in dlt's main thread, one module after another
    return resource(extraction, module, window, bulk_read, modified_time=cursor).parallelize()


def _module_records(
    extraction: Extraction,
    module: str,
    window: tuple[dt.datetime, dt.datetime] | None,
    bulk_read: bool,
    modified_time: dlt.sources.incremental[dt.datetime] = dlt.sources.incremental("modified_time"),  # noqa: B008
) -> Iterator[pa.Table]:
    """Zoho records of one module as Arrow tables: a big module's first full read by Bulk Read, then
    (and otherwise) REST pages, oldest Modified_Time first."""
    complete, reason = False, None
    pending = _PendingTables()
    try:
        if extraction.stopped:
            return
        client = extraction.client
        extraction.counts(module)
        metadata = client.module_fields(module)
        field_names = [meta["api_name"] for meta in metadata if meta.get("api_name")]
        start = modified_time.start_value
        since = start if start is not None and start > EPOCH else None
        until = window[1] if window else None
        extracted_at = dt.datetime.now(dt.UTC)
        if bulk_read and since is None and _bulk_worthwhile(extraction, module, window):
            since = yield from _bulk_records(extraction, module, metadata, extracted_at)
        for page in client.walk_records(module, field_names, since, until):
            table, page_rejects = records_to_arrow(
                page, extraction.integration_id, module, extracted_at, extraction.import_id
            )
            extraction.add_rejects(page_rejects)
            extraction.page_done(
                module, fetched=len(page), loaded=0 if table is None else table.num_rows,
                failed=len(page_rejects),
            )
            if table is not None and pending.add(table) >= settings.RECORDS_PER_TABLE:
                yield pending.take()
            if extraction.stopped:
                reason = "stopped: another module hit a fatal error"
                yield from pending.flush()
                return
        yield from pending.flush()
        complete = True
    except MalformedPage as error:
        yield from pending.flush()  # records before the bad page are good: the cursor covers them
        # The page stayed unreadable after dlt's retries. Stop this module here: the cursor only
        # covers records before this page, so the next import reads it (and what follows) again.
        pages = extraction.client.stats.malformed_pages
        pages[:] = [page for page in pages if page["url"] != error.url]  # this row replaces those
        extraction.add_rejects([
            reject_row(extraction.integration_id, extraction.import_id, module, None,
                       "page is not JSON after retries; the module stopped before it and the next "
                       "import re-reads from here", error.payload)
        ])
        extraction.page_done(module, fetched=0, loaded=0, failed=1)
        reason = "a page was not JSON"
    except ZohoFatalError as error:
        extraction.stop(error)
        reason = str(error)
        yield from pending.flush()  # saved, and the cursor resumes after them
    finally:
        extraction.module_done(module, complete, reason)


class _PendingTables:
    """Pages' Arrow tables held back to go to dlt together: dlt's cost is per table, not per row."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []
        self.rows = 0

    def add(self, table: pa.Table) -> int:
        self.tables.append(table)
        self.rows += table.num_rows
        return self.rows

    def take(self) -> pa.Table:
        table = self.tables[0] if len(self.tables) == 1 else pa.concat_tables(self.tables)
        self.tables, self.rows = [], 0
        return table

    def flush(self) -> Iterator[pa.Table]:
        if self.tables:
            yield self.take()


def _bulk_worthwhile(
    extraction: Extraction, module: str, window: tuple[dt.datetime, dt.datetime] | None
) -> bool:
    """Bulk Read pays when the whole module is read and it is big (a job costs 50 credits)."""
    if module not in settings.BULK_MODULES or (window is not None and window[0] > EPOCH):
        return False
    count = extraction.client.record_count(module)
    return count is not None and count >= settings.BULK_MIN_RECORDS


def _bulk_records(
    extraction: Extraction, module: str, metadata: list[dict[str, Any]], extracted_at: dt.datetime
) -> Generator[pa.Table, None, dt.datetime | None]:
    """Yield a module's records by Bulk Read; return where the REST walk goes on from (None: Zoho ran
    no bulk job for it, so REST reads the whole module)."""
    client = extraction.client
    display_fields = {}
    for meta in metadata:
        target = ((meta.get("lookup") or {}).get("module") or {}).get("api_name")
        if target and target not in display_fields:
            names = [m["api_name"] for m in client.module_fields(target) if m.get("display_field")]
            display_fields[target] = names[0] if names else None
    columns, keys = bulk_fields(metadata, display_fields)
    cutoff = dt.datetime.now(dt.UTC).replace(microsecond=0)
    read = BulkRead(client, module)
    try:
        try:
            read.download_all(columns, cutoff)
        except BulkUnavailable as why:
            log.info("Reading %s by REST: %s", module, why)
            return None
        # From here on nothing asks Zoho: every row is yielded, even when another module stops the
        # import meanwhile, so the cursor dlt keeps covers all of them (they come in id order).
        for records, rejects in read.tables(keys, extraction.integration_id, extraction.import_id,
                                            extracted_at):
            extraction.add_rejects(rejects.to_pylist())
            extraction.page_done(module, fetched=records.num_rows + rejects.num_rows,
                                 loaded=records.num_rows, failed=rejects.num_rows)
            if records.num_rows:
                yield records
    finally:
        read.close()
    began = min(cutoff, read.started_at or cutoff)
    return began - dt.timedelta(seconds=settings.CURSOR_OVERLAP_SECONDS)


@dlt.resource(
    name="record_counts",
    write_disposition="merge",
    primary_key=("integration_id", "module"),
    columns=COUNT_COLUMNS,
)
def record_counts(extraction: Extraction, modules: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
    """Zoho's own record count per module (/actions/count), taken before extraction."""
    counted_at = dt.datetime.now(dt.UTC)
    rows = []
    for module in modules:
        count = _guarded(extraction, extraction.client.record_count, module)
        extraction.counts(module).zoho_count = count
        if count is not None:
            rows.append({"integration_id": extraction.integration_id, "module": module,
                         "record_count": count, "counted_at": counted_at})
    yield rows


@dlt.resource(
    name="fields",
    write_disposition="merge",
    primary_key=("integration_id", "module", "api_name"),
    columns=FIELD_COLUMNS,
)
def fields(extraction: Extraction, modules: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
    """Field metadata per module (/settings/fields); custom fields flagged from Zoho's `custom_field`."""
    for module in modules:
        metadata = _guarded(extraction, extraction.client.module_fields, module) or []
        yield field_rows(extraction.integration_id, module, metadata)


@dlt.resource(
    name="deal_stages",
    write_disposition="merge",
    primary_key=("integration_id", "pipeline_name", "stage"),
    columns=DEAL_STAGE_COLUMNS,
)
def deal_stages(extraction: Extraction) -> Iterator[list[dict[str, Any]]]:
    """Deal pipelines and their stages (from the Deals layouts' /settings/pipeline)."""
    pipelines = _guarded(extraction, extraction.client.deal_pipelines) or []
    yield deal_stage_rows(extraction.integration_id, pipelines)


@dlt.resource(
    name="deleted_records",
    write_disposition="merge",
    primary_key=("integration_id", "module", "id"),
    columns=DELETED_COLUMNS,
)
def deleted_records(extraction: Extraction, modules: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
    """Records deleted in Zoho per module (/deleted?type=all), incremental on their own cursor."""
    state = dlt.current.resource_state().setdefault("deleted_since", {})
    overlap = dt.timedelta(seconds=settings.CURSOR_OVERLAP_SECONDS)
    for module in modules:
        if extraction.stopped:
            return
        cursor = parse_zoho_datetime(state.get(module))
        try:
            for page in extraction.client.walk_deleted(module, cursor - overlap if cursor else None):
                rows = deleted_rows(extraction.integration_id, module, page)
                latest = max((row["deleted_at"] for row in rows if row["deleted_at"]), default=None)
                yield rows
                if latest is not None and (cursor is None or latest > cursor):
                    cursor = latest
                    state[module] = format_zoho_datetime(latest)
        except ZohoFatalError as error:
            extraction.stop(error)
            return


@dlt.resource(name="rejects", write_disposition="append", columns=REJECT_COLUMNS, parallelized=True)
def rejects(extraction: Extraction) -> Iterator[list[dict[str, Any]]]:
    """Records (and pages) the extractor could not load, with the reason and the raw payload."""
    source = dlt.current.source()
    tables = {table: module for module, table in settings.RECORD_MODULES.items()}
    expected = {tables[name] for name in source.selected_resources if name in tables}
    # Record resources run in parallel threads: wait for them in this resource's own worker thread
    # (parallelized), yielding now and then so dlt's extract loop is never held up by the wait.
    while not extraction.wait_all_done(expected, timeout=0.5):
        yield []
    rows = list(extraction.rejects)
    for page in extraction.client.stats.malformed_pages:
        module = page["module"] or module_of(page["url"])
        rows.append(reject_row(extraction.integration_id, extraction.import_id, module, None,
                               f"page is not JSON (re-requested): {page['url']}", page["payload"]))
        extraction.page_done(module, fetched=0, loaded=0, failed=1)
    # an empty Arrow table still creates the table, so `rejects` exists for dbt from the first import
    yield pa.Table.from_pylist(rows, schema=REJECT_SCHEMA)


def _guarded(extraction: Extraction, call: Any, *args: Any) -> Any:
    """Metadata call that turns a fatal Zoho error into a stop (what was extracted is still loaded)."""
    if extraction.stopped:
        return None
    try:
        return call(*args)
    except ZohoFatalError as error:
        extraction.stop(error)
        return None
