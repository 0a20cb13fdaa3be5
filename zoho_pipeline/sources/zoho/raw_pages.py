"""Record pages decoded without building Python objects for the records (msgspec `Raw`).

A record page is mostly records that go to the warehouse as JSON text. Decoding each into a dict and
serialising it again cost the importer ~10 µs a record; here each record stays the exact JSON text
Zoho sent, and only `id`, `Modified_Time` and `Created_Time` are read from it.
"""
from __future__ import annotations

from typing import Any

import msgspec
import orjson


class _RecordPage(msgspec.Struct):
    data: list[msgspec.Raw] = msgspec.field(default_factory=list)
    info: dict[str, Any] = msgspec.field(default_factory=dict)


class RecordKeys(msgspec.Struct):
    """What the importer reads from a record; other fields are skipped unread."""

    id: Any = None
    Modified_Time: Any = None
    Created_Time: Any = None


_page_decoder = msgspec.json.Decoder(_RecordPage)
_keys_decoder = msgspec.json.Decoder(RecordKeys)
_keys_list_decoder = msgspec.json.Decoder(list[RecordKeys])


class NotARecordPage(ValueError):
    """The body is not JSON, or not shaped like a record page (parse it the general way)."""


def decode_record_page(content: bytes) -> dict[str, Any]:
    """`{"data": [Raw, ...], "info": {...}}` from a record page's body."""
    try:
        page = _page_decoder.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise NotARecordPage(str(error)) from error
    return {"data": page.data, "info": page.info}


def is_raw(record: Any) -> bool:
    return isinstance(record, msgspec.Raw)


def record_keys(record: Any) -> RecordKeys:
    """id and times of a record, raw or parsed (all None when it is not a JSON object)."""
    if isinstance(record, msgspec.Raw):
        try:
            return _keys_decoder.decode(record)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return RecordKeys()
    if isinstance(record, dict):
        return RecordKeys(record.get("id"), record.get("Modified_Time"), record.get("Created_Time"))
    return RecordKeys()


def raw_records_keys(records: list[msgspec.Raw]) -> list[RecordKeys]:
    """`record_keys` of every raw record of a page, read in one decode (not one call per record)."""
    try:
        return _keys_list_decoder.decode(b"[" + b",".join(records) + b"]")
    except (msgspec.DecodeError, msgspec.ValidationError):  # a record that is not an object
        return [record_keys(record) for record in records]


def as_dict(record: Any) -> Any:
    """A raw record as the parsed JSON value (a dict for any real record); other values unchanged."""
    return orjson.loads(bytes(record)) if is_raw(record) else record
