"""Bulk Read (`/crm/bulk/v8/read`) for a module's first full read: CSV files turned into the REST rows.

A Bulk Read job returns up to 200,000 records as one zipped CSV for 50 credits, where the REST walk
needs 1,000 calls and Python-side JSON per record. The CSV is read by an in-memory DuckDB, which
rebuilds each record as the JSON object the REST API would have returned (lookups as `{name, id}`
from dot-notation columns, numbers, booleans and multi-select lists typed from the field metadata),
so the raw tables and everything downstream do not know which path a record came by.

Every job asks only for records modified before a cutoff (Zoho's time when the read began); the
caller walks REST from the cutoff on, so records edited while the jobs ran are read too.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from zoho_pipeline.sources.zoho import settings
from zoho_pipeline.sources.zoho.client import (
    ZohoApiError,
    ZohoClient,
    format_zoho_datetime,
    parse_zoho_datetime,
)
from zoho_pipeline.sources.zoho.transform import RECORD_SCHEMA, REJECT_SCHEMA

USER_LOOKUPS = ("ownerlookup", "userlookup")
_CONVERTING = threading.Lock()


def bulk_fields(
    fields: Sequence[dict[str, Any]], display_fields: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The `fields` a job asks for: every readable field, plus dot-notation columns for lookup names
    (the CSV holds only their ids); and the JSON expression per record key (DuckDB SQL)."""
    columns: list[str] = []
    keys: dict[str, str] = {}
    for meta in fields:
        name, data_type = meta.get("api_name"), meta.get("data_type")
        if not name or name == "id" or data_type == "multiselectlookup":  # not readable in bulk
            continue
        columns.append(name)
        column = _quoted(name)
        if data_type in USER_LOOKUPS:
            columns += [f"{name}.full_name", f"{name}.email"]
            keys[name] = (f"case when {column} is null then null else json_object('name', "
                          f"{_quoted(name + '.full_name')}, 'id', {column}, 'email', "
                          f"{_quoted(name + '.email')}) end")
        elif data_type == "lookup":
            target = ((meta.get("lookup") or {}).get("module") or {}).get("api_name")
            display = display_fields.get(target or "")
            if display:
                columns.append(f"{name}.{display}")
                label = _quoted(f"{name}.{display}")
            else:
                label = "null"
            keys[name] = (f"case when {column} is null then null else "
                          f"json_object('name', {label}, 'id', {column}) end")
        elif name == "Tag":  # tag names, comma-joined; REST answers a list of {name}
            keys[name] = (f"coalesce(to_json(list_transform(string_split({column}, ','), "
                          f"t -> json_object('name', trim(t)))), '[]'::json)")
        elif meta.get("json_type") == "jsonarray":
            keys[name] = f"to_json(string_split({column}, ';'))"
        elif meta.get("json_type") == "integer":
            keys[name] = f"try_cast({column} as bigint)"
        elif meta.get("json_type") == "double":
            keys[name] = f"try_cast({column} as double)"
        elif meta.get("json_type") == "boolean":
            keys[name] = f"case lower({column}) when 'true' then true when 'false' then false end"
        else:
            keys[name] = column
    keys["id"] = '"id"'
    return columns, keys


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def records_sql(csv_files: Sequence[Path], keys: dict[str, str]) -> str:
    """One query over a module's CSV files: the RECORD_SCHEMA columns plus a reject reason and the
    CSV row as JSON for rows that cannot be loaded (no id, a Modified_Time that is not a datetime)."""
    files = ", ".join("'" + str(path).replace("'", "''") + "'" for path in csv_files)
    record = "json_object(" + ", ".join(f"'{key}', {expr}" for key, expr in keys.items()) + ")"
    return f"""
        with checked as (
            select
                *,
                case
                    when "id" is null then 'record has no id'
                    when try_cast("Modified_Time" as timestamptz) is null
                        then 'Modified_Time is not a datetime: ' || coalesce("Modified_Time", 'null')
                    when "Created_Time" is not null and try_cast("Created_Time" as timestamptz) is null
                        then 'Created_Time is not a datetime: ' || "Created_Time"
                end as reject_reason
            from read_csv([{files}], header = true, all_varchar = true, delim = ',', quote = '"',
                          escape = '"', union_by_name = true) as csv_row
        )
        select
            "id" as id,
            try_cast("Created_Time" as timestamptz) as created_time,
            try_cast("Modified_Time" as timestamptz) as modified_time,
            case when reject_reason is null then {record}::varchar end as record,
            reject_reason,
            case when reject_reason is not null
                then to_json(checked)::varchar end as payload
        from checked
    """


class BulkRead:
    """One module's bulk read: jobs created, polled and downloaded into a temp directory."""

    def __init__(self, client: ZohoClient, module: str) -> None:
        self.client = client
        self.module = module
        self.directory = Path(tempfile.mkdtemp(prefix=f"zoho-bulk-{module.lower()}-"))
        self.files: list[Path] = []
        self.started_at: dt.datetime | None = None  # Zoho's clock when the first job was created

    def download_all(self, columns: Sequence[str], cutoff: dt.datetime) -> None:
        """Run the module's jobs one after another (each ≤ 200,000 records) until Zoho has no more."""
        query: dict[str, Any] = {
            "module": {"api_name": self.module},
            "fields": list(columns),
            "criteria": {"field": {"api_name": "Modified_Time"}, "comparator": "less_than",
                         "value": format_zoho_datetime(cutoff)},
        }
        while True:
            created = self.client.bulk_create({"query": query, "file_type": "csv"})
            if self.started_at is None:
                self.started_at = parse_zoho_datetime(created.get("created_time"))
            result = self._wait(str(created["id"]))
            archive = self.directory / f"{len(self.files)}.zip"
            self.client.bulk_download(result["download_url"], archive)
            self.files.append(self._unzip(archive))
            if not result.get("more_records") or not result.get("next_page_token"):
                return
            query = {"page_token": result["next_page_token"]}

    def _wait(self, job_id: str) -> dict[str, Any]:
        """Poll the job until Zoho says it is done (0.1 s, doubling up to 5 s)."""
        delay = settings.BULK_POLL_FIRST_SECONDS
        deadline = time.monotonic() + settings.BULK_JOB_TIMEOUT_SECONDS
        while True:
            job = self.client.bulk_status(job_id)
            state = job.get("state")
            if state == "COMPLETED":
                return job["result"]
            if state == "FAILURE":
                message = ((job.get("result") or {}).get("error_message") or {}).get("message")
                raise ZohoApiError(f"Zoho's bulk read of {self.module} failed "
                                   f"({message or 'no reason given'}).")
            if time.monotonic() > deadline:
                raise ZohoApiError(f"Zoho's bulk read of {self.module} did not finish within "
                                   f"{settings.BULK_JOB_TIMEOUT_SECONDS // 60} minutes (job {job_id}).")
            time.sleep(delay)
            delay = min(delay * 2, settings.BULK_POLL_MAX_SECONDS)

    def _unzip(self, archive: Path) -> Path:
        with zipfile.ZipFile(archive) as zipped:
            names = [name for name in zipped.namelist() if name.lower().endswith(".csv")]
            if not names:
                raise ZohoApiError(f"Zoho's bulk read result for {self.module} holds no CSV file.")
            target = self.directory / f"{archive.stem}.csv"
            with zipped.open(names[0]) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
        archive.unlink()
        return target

    def tables(
        self, keys: dict[str, str], integration_id: str, import_id: str | None, extracted_at: dt.datetime
    ) -> Iterator[tuple[pa.Table, pa.Table]]:
        """(records, rejects) Arrow tables, a batch at a time, from the downloaded CSV files."""
        if not self.files:
            return
        converted = self._convert(keys)
        for batch in pq.ParquetFile(converted).iter_batches(batch_size=settings.BULK_BATCH_ROWS):
            yield _split(pa.Table.from_batches([batch]), integration_id, import_id, extracted_at, self.module)

    def _convert(self, keys: dict[str, str]) -> Path:
        """The CSV files -> one parquet file of converted rows (DuckDB, outside the GIL). One module at a
        time per process: each conversion may use BULK_DUCKDB_MEMORY, and modules run in parallel."""
        target = self.directory / "records.parquet"
        with _CONVERTING:
            connection = duckdb.connect(config={"memory_limit": settings.BULK_DUCKDB_MEMORY, "threads": 1,
                                                "preserve_insertion_order": False})
            try:
                connection.execute("set TimeZone = 'UTC'")
                connection.execute(f"copy ({records_sql(self.files, keys)}) to '{target}' (format parquet, "
                                   f"row_group_size {settings.BULK_BATCH_ROWS}, row_group_size_bytes '4MB')")
            finally:
                connection.close()
        for path in self.files:
            path.unlink()
        return target

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _split(
    table: pa.Table, integration_id: str, import_id: str | None, extracted_at: dt.datetime, module: str
) -> tuple[pa.Table, pa.Table]:
    """A converted batch -> (good rows in RECORD_SCHEMA, reject rows in REJECT_SCHEMA)."""
    bad = table.column("reject_reason").is_valid()
    good, rejected = table.filter(pc.invert(bad)), table.filter(bad)
    count = good.num_rows
    records = pa.Table.from_arrays(
        [
            pa.array([integration_id] * count, pa.string()),
            good.column("id").cast(pa.string()),
            good.column("created_time").cast(RECORD_SCHEMA.field("created_time").type),
            good.column("modified_time").cast(RECORD_SCHEMA.field("modified_time").type),
            good.column("record"),
            pa.array([extracted_at] * count, RECORD_SCHEMA.field("_extracted_at").type),
        ],
        schema=RECORD_SCHEMA,
    )
    now = dt.datetime.now(dt.UTC)
    rejects = pa.Table.from_pylist(
        [
            {"integration_id": integration_id, "import_id": import_id, "module": module,
             "record_id": row["id"], "reason": row["reject_reason"], "payload": row["payload"],
             "rejected_at": now}
            for row in rejected.select(["id", "reject_reason", "payload"]).to_pylist()
        ],
        schema=REJECT_SCHEMA,
    )
    return records, rejects
