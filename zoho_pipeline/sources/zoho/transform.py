"""Pure transforms from Zoho JSON to raw-table rows (no I/O): records become Arrow tables.

Records go to dlt as Arrow tables (see `_module_records`) so dlt skips its row-by-row normaliser; `record`
holds the whole record as JSON text, typed `json` by the resource's column hints.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

import orjson
import pyarrow as pa

from zoho_pipeline.sources.zoho.client import parse_zoho_datetime
from zoho_pipeline.sources.zoho.raw_pages import as_dict, is_raw, raw_records_keys

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

RECORD_SCHEMA = pa.schema(
    [
        pa.field("integration_id", pa.string(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        ("created_time", UTC_TIMESTAMP),
        ("modified_time", UTC_TIMESTAMP),
        ("record", pa.string()),
        ("_extracted_at", UTC_TIMESTAMP),
    ]
)

# dlt column hints for the record tables (docs/architecture.md).
RECORD_COLUMNS: dict[str, dict[str, Any]] = {
    "integration_id": {"data_type": "text", "nullable": False},
    "id": {"data_type": "text", "nullable": False},
    "created_time": {"data_type": "timestamp", "timezone": True},
    "modified_time": {"data_type": "timestamp", "timezone": True, "dedup_sort": "desc"},
    "record": {"data_type": "json"},
    "_extracted_at": {"data_type": "timestamp", "timezone": True},
}

REJECT_SCHEMA = pa.schema(
    [
        pa.field("integration_id", pa.string(), nullable=False),
        ("import_id", pa.string()),
        pa.field("module", pa.string(), nullable=False),
        ("record_id", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.string()),
        ("rejected_at", UTC_TIMESTAMP),
    ]
)

REJECT_COLUMNS: dict[str, dict[str, Any]] = {
    "integration_id": {"data_type": "text", "nullable": False},
    "import_id": {"data_type": "text"},
    "module": {"data_type": "text", "nullable": False},
    "record_id": {"data_type": "text"},
    "reason": {"data_type": "text"},
    "payload": {"data_type": "text"},
    "rejected_at": {"data_type": "timestamp", "timezone": True},
}


def reject_row(
    integration_id: str, import_id: str | None, module: str, record_id: str | None,
    reason: str, payload: Any,
) -> dict[str, Any]:
    """One row of `rejects`; the payload is kept as text exactly as far as it can be."""
    if isinstance(payload, bytes):
        text = payload.decode("utf-8", errors="replace")
    elif isinstance(payload, str):
        text = payload
    else:
        text = orjson.dumps(payload, default=str).decode()
    return {
        "integration_id": integration_id,
        "import_id": import_id,
        "module": module,
        "record_id": None if record_id is None else str(record_id),
        "reason": reason,
        "payload": text,
        "rejected_at": dt.datetime.now(dt.UTC),
    }


def records_to_arrow(
    records: Iterable[Any],
    integration_id: str,
    module: str,
    extracted_at: dt.datetime,
    import_id: str | None = None,
) -> tuple[pa.Table | None, list[dict[str, Any]]]:
    """A page of Zoho records (raw JSON or dicts) -> (Arrow table of good rows, reject rows for the rest)."""
    records = list(records)
    if records and all(is_raw(record) for record in records):
        converted = _raw_records_to_arrow(records, integration_id, module, extracted_at, import_id)
        if converted is not None:
            return converted
        records = [as_dict(record) for record in records]  # a time Arrow can't read: decided one by one
    return _parsed_records_to_arrow(records, integration_id, module, extracted_at, import_id)


def _raw_records_to_arrow(
    records: list[Any], integration_id: str, module: str, extracted_at: dt.datetime, import_id: str | None
) -> tuple[pa.Table | None, list[dict[str, Any]]] | None:
    """Raw records as they came (their JSON text kept), times parsed by Arrow for the whole page.
    None when a time is not a string Arrow reads as a datetime (the dict path words the reject)."""
    ids: list[str] = []
    created: list[str | None] = []
    modified: list[str] = []
    kept: list[Any] = []
    rejects: list[dict[str, Any]] = []
    for record, keys in zip(records, raw_records_keys(records), strict=True):
        if keys.id is None or keys.id == "":
            rejects.append(reject_row(integration_id, import_id, module, None, "record has no id",
                                      bytes(record)))
            continue
        if not isinstance(keys.Modified_Time, str) or not isinstance(keys.Created_Time, str | None):
            return None
        ids.append(str(keys.id))
        modified.append(keys.Modified_Time)
        created.append(keys.Created_Time)
        kept.append(record)
    if not ids:
        return None, rejects
    try:
        modified_times = pa.array(modified, pa.string()).cast(UTC_TIMESTAMP)
        created_times = pa.array(created, pa.string()).cast(UTC_TIMESTAMP)
        texts = _json_texts(kept)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return _record_table(integration_id, ids, created_times, modified_times, texts, extracted_at), rejects


def _json_texts(records: list[Any]) -> pa.StringArray:
    """Raw records' JSON text as one Arrow string array: the page's bytes are copied once, not once a
    record. ArrowInvalid when a record is not UTF-8."""
    offsets = pa.array([0, *accumulate(map(len, records))], pa.int32())
    texts = pa.StringArray.from_buffers(len(records), offsets.buffers()[1], pa.py_buffer(b"".join(records)))
    texts.validate(full=True)
    return texts


def _parsed_records_to_arrow(
    records: list[Any], integration_id: str, module: str, extracted_at: dt.datetime, import_id: str | None
) -> tuple[pa.Table | None, list[dict[str, Any]]]:
    ids: list[str] = []
    created: list[dt.datetime | None] = []
    modified: list[dt.datetime] = []
    bodies: list[str] = []
    rejects: list[dict[str, Any]] = []
    dumps = orjson.dumps
    for record in records:
        record_id = record.get("id") if isinstance(record, dict) else None
        if record_id is None or record_id == "":
            rejects.append(reject_row(integration_id, import_id, module, None, "record has no id", record))
            continue
        modified_time = parse_zoho_datetime(record.get("Modified_Time"))
        if modified_time is None:
            reason = f"Modified_Time is not a datetime: {record.get('Modified_Time')!r}"
            rejects.append(reject_row(integration_id, import_id, module, record_id, reason, record))
            continue
        raw_created = record.get("Created_Time")
        created_time = parse_zoho_datetime(raw_created)
        if created_time is None and raw_created is not None:
            reason = f"Created_Time is not a datetime: {raw_created!r}"
            rejects.append(reject_row(integration_id, import_id, module, record_id, reason, record))
            continue
        try:
            body = dumps(record).decode()
        except (TypeError, orjson.JSONEncodeError) as error:
            rejects.append(reject_row(integration_id, import_id, module, record_id, f"not JSON: {error}",
                                      repr(record)))
            continue
        ids.append(str(record_id))
        created.append(created_time)
        modified.append(modified_time)
        bodies.append(body)
    if not ids:
        return None, rejects
    table = _record_table(
        integration_id, ids, pa.array(created, UTC_TIMESTAMP), pa.array(modified, UTC_TIMESTAMP),
        pa.array(bodies, pa.string()), extracted_at,
    )
    return table, rejects


def _record_table(
    integration_id: str, ids: list[str], created: pa.Array, modified: pa.Array, bodies: pa.Array,
    extracted_at: dt.datetime,
) -> pa.Table:
    count = len(ids)
    return pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(integration_id, pa.string()), count),
            pa.array(ids, pa.string()),
            created,
            modified,
            bodies,
            pa.repeat(pa.scalar(extracted_at, UTC_TIMESTAMP), count),  # ~80x faster than from a list
        ],
        schema=RECORD_SCHEMA,
    )


def field_rows(integration_id: str, module: str, fields: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/settings/fields` entries -> `fields` rows; custom fields straight from `custom_field`."""
    rows = []
    for meta in fields:
        lookup = (meta.get("lookup") or {}).get("module") or {}
        rows.append(
            {
                "integration_id": integration_id,
                "module": module,
                "api_name": meta.get("api_name"),
                "field_label": meta.get("field_label") or meta.get("display_label"),
                "data_type": meta.get("data_type"),
                "json_type": meta.get("json_type"),
                "is_custom_field": bool(meta.get("custom_field")),
                "lookup_module": lookup.get("api_name") if isinstance(lookup, dict) else None,
            }
        )
    return rows


def deal_stage_rows(integration_id: str, pipelines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/settings/pipeline` entries -> one `deal_stages` row per pipeline stage."""
    rows = []
    for pipeline in pipelines:
        name = pipeline.get("actual_value") or pipeline.get("display_value")
        for stage in pipeline.get("maps") or []:
            category = stage.get("forecast_category")
            rows.append(
                {
                    "integration_id": integration_id,
                    "pipeline_name": name,
                    "stage": stage.get("actual_value") or stage.get("display_value"),
                    "display_value": stage.get("display_value"),
                    "forecast_type": stage.get("forecast_type"),
                    "forecast_category": category.get("name") if isinstance(category, dict) else category,
                    "sequence_number": stage.get("sequence_number"),
                }
            )
    return rows


def deleted_rows(integration_id: str, module: str, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/{module}/deleted` entries -> `deleted_records` rows (deleted_at in UTC)."""
    rows = []
    for entry in entries:
        if entry.get("id") is None:
            continue
        rows.append(
            {
                "integration_id": integration_id,
                "module": module,
                "id": str(entry["id"]),
                "deleted_at": parse_zoho_datetime(entry.get("deleted_time")),
                "deletion_type": entry.get("type"),
                "display_name": entry.get("display_name"),
            }
        )
    return rows


def _text(*names: str) -> dict[str, dict[str, Any]]:
    return {name: {"data_type": "text"} for name in names}


# Column types for the metadata tables, so a column that is null on every row still exists.
FIELD_COLUMNS = {
    **_text("integration_id", "module", "api_name", "field_label", "data_type", "json_type", "lookup_module"),
    "is_custom_field": {"data_type": "bool"},
}
DEAL_STAGE_COLUMNS = {
    **_text("integration_id", "pipeline_name", "stage", "display_value", "forecast_type"),
    **_text("forecast_category"),
    "sequence_number": {"data_type": "bigint"},
}
DELETED_COLUMNS = {
    **_text("integration_id", "module", "id", "deletion_type", "display_name"),
    "deleted_at": {"data_type": "timestamp", "timezone": True},
}
COUNT_COLUMNS = {
    **_text("integration_id", "module"),
    "record_count": {"data_type": "bigint"},
    "counted_at": {"data_type": "timestamp", "timezone": True},
}
