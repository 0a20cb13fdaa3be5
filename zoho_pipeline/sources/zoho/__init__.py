"""The Zoho CRM dlt source: record tables per module, field metadata, deal stages, deletes, counts, rejects.

Raw tables and their keys are the contract in docs/architecture.md. Records are incremental on
`Modified_Time` (in UTC) per integration and module; they leave as one Arrow table per page.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from zoho_pipeline.sources.zoho import settings
from zoho_pipeline.sources.zoho.client import (
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
) -> Iterator[DltResource]:
    """Zoho CRM records (incremental on Modified_Time), field metadata, deal stages, deletes, counts, rejects.

    `date_from`/`date_to` load records modified in that window without moving the live cursor;
    `full` re-reads everything (also without touching the cursor; merge keeps one row per id).
    Pass `extraction` to read counters, rejects and a fatal error after the run.
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
        yield _record_resource(extraction, module, window)
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
    extraction: Extraction, module: str, window: tuple[dt.datetime, dt.datetime] | None
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
        parallelized=True,
    )
    resource.__doc__ = f"Zoho {module} records, whole, incremental on Modified_Time (UTC)."
    return resource(extraction, module, window, modified_time=cursor)


def _module_records(
    extraction: Extraction,
    module: str,
    window: tuple[dt.datetime, dt.datetime] | None,
    modified_time: dlt.sources.incremental[dt.datetime] = dlt.sources.incremental("modified_time"),  # noqa: B008
) -> Iterator[pa.Table]:
    """Zoho records of one module, one Arrow table per page, oldest Modified_Time first."""
    complete, reason = False, None
    try:
        if extraction.stopped:
            return
        client = extraction.client
        extraction.counts(module)
        field_names = [meta["api_name"] for meta in client.module_fields(module) if meta.get("api_name")]
        start = modified_time.start_value
        since = start if start is not None and start > EPOCH else None
        until = window[1] if window else None
        extracted_at = dt.datetime.now(dt.UTC)
        for page in client.walk_records(module, field_names, since, until):
            table, page_rejects = records_to_arrow(
                page, extraction.integration_id, module, extracted_at, extraction.import_id
            )
            extraction.add_rejects(page_rejects)
            extraction.page_done(
                module, fetched=len(page), loaded=0 if table is None else table.num_rows,
                failed=len(page_rejects),
            )
            if table is not None:
                yield table
            if extraction.stopped:
                reason = "stopped: another module hit a fatal error"
                return
        complete = True
    except MalformedPage as error:
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
    finally:
        extraction.module_done(module, complete, reason)


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


@dlt.resource(name="rejects", write_disposition="append", columns=REJECT_COLUMNS)
def rejects(extraction: Extraction) -> Iterator[list[dict[str, Any]]]:
    """Records (and pages) the extractor could not load, with the reason and the raw payload."""
    source = dlt.current.source()
    tables = {table: module for module, table in settings.RECORD_MODULES.items()}
    expected = {tables[name] for name in source.selected_resources if name in tables}
    # record resources run in parallel threads: wait (yielding so dlt keeps collecting their pages)
    while not extraction.all_done(expected):
        time.sleep(0.005)
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
