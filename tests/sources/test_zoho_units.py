"""Pure parts of the Zoho source: record rows, field batches, batch merging, paging state, module names."""
from __future__ import annotations

import datetime as dt

import orjson
import pytest
from requests import Request, Response

from zoho_pipeline.errors import UserError
from zoho_pipeline.sources.zoho import modules_for
from zoho_pipeline.sources.zoho.client import field_batches, merge_batches, parse_zoho_datetime
from zoho_pipeline.sources.zoho.paginator import ZohoPaginator
from zoho_pipeline.sources.zoho.raw_pages import NotARecordPage, decode_record_page, is_raw
from zoho_pipeline.sources.zoho.transform import field_rows, records_to_arrow

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 1, tzinfo=UTC)


def test_zoho_datetimes_become_utc():
    assert parse_zoho_datetime("2024-01-01T10:00:00+05:30") == dt.datetime(2024, 1, 1, 4, 30, tzinfo=UTC)
    assert parse_zoho_datetime("2024-01-01T04:30:00Z") == dt.datetime(2024, 1, 1, 4, 30, tzinfo=UTC)
    assert parse_zoho_datetime("yesterday") is None
    assert parse_zoho_datetime(12) is None


def test_records_to_arrow_keeps_good_rows_and_rejects_the_rest():
    records = [
        {"id": "1", "Modified_Time": "2024-01-01T10:00:00+05:30", "Created_Time": "2023-01-01T00:00:00-07:00",
         "Custom__c": {"nested": [1, 2]}},
        {"Modified_Time": "2024-01-01T10:00:00+05:30"},
        {"id": "3", "Modified_Time": "not a date"},
        {"id": "4", "Modified_Time": "2024-01-02T00:00:00+00:00", "Created_Time": None},
    ]
    table, rejects = records_to_arrow(records, "zi_1", "Contacts", NOW, "imp_1")
    assert table.column("id").to_pylist() == ["1", "4"]
    assert table.column("modified_time").to_pylist()[0] == dt.datetime(2024, 1, 1, 4, 30, tzinfo=UTC)
    assert table.column("created_time").to_pylist() == [dt.datetime(2023, 1, 1, 7, 0, tzinfo=UTC), None]
    assert '"Custom__c":{"nested":[1,2]}' in table.column("record")[0].as_py()
    assert table.column("integration_id").to_pylist() == ["zi_1", "zi_1"]
    assert [(r["record_id"], r["reason"].split(":")[0]) for r in rejects] == [
        (None, "record has no id"), ("3", "Modified_Time is not a datetime")]
    assert all(r["module"] == "Contacts" and r["import_id"] == "imp_1" and r["payload"] for r in rejects)


@pytest.mark.parametrize("extra", [
    [],  # every time is one Arrow reads for the whole page
    [{"id": "5", "Modified_Time": "2024-01-03T00:00:00"}],  # naive: Arrow can't, the dict path decides
    [{"id": "6", "Modified_Time": 20240103}],  # not a string
    [None, 7, {"id": "", "Modified_Time": "2024-01-03T00:00:00+00:00"}],  # not records, empty id
])
def test_raw_record_pages_load_like_parsed_ones(extra):
    """Record pages keep their records as raw JSON (raw_pages.py); rows and rejects match the dict path."""
    records = [
        {"id": "1", "Modified_Time": "2024-01-01T10:00:00+05:30", "Created_Time": "2023-01-01T00:00:00-07:00",
         "Custom__c": {"nested": [1, 2]}, "Name": "Zoë \"quoted\""},
        {"Modified_Time": "2024-01-01T10:00:00+05:30"},
        {"id": 4, "Modified_Time": "2024-01-02T00:00:00Z", "Created_Time": None},
        *extra,
    ]
    body = orjson.dumps({"data": records, "info": {"more_records": False}})
    page = decode_record_page(body)
    assert page["info"] == {"more_records": False} and all(is_raw(record) for record in page["data"])
    raw_table, raw_rejects = records_to_arrow(page["data"], "zi_1", "Contacts", NOW, "imp_1")
    table, rejects = records_to_arrow(records, "zi_1", "Contacts", NOW, "imp_1")
    for column in ("integration_id", "id", "created_time", "modified_time", "_extracted_at"):
        assert raw_table.column(column).to_pylist() == table.column(column).to_pylist(), column
    assert [orjson.loads(text) for text in raw_table.column("record").to_pylist()] == [
        orjson.loads(text) for text in table.column("record").to_pylist()]
    reasons = [(r["record_id"], r["reason"]) for r in rejects]
    assert [(r["record_id"], r["reason"]) for r in raw_rejects] == reasons
    assert [orjson.loads(r["payload"]) for r in raw_rejects] == [orjson.loads(r["payload"]) for r in rejects]


def test_a_body_that_is_not_a_record_page_is_refused():
    with pytest.raises(NotARecordPage):
        decode_record_page(b"<html>busy</html>")
    with pytest.raises(NotARecordPage):
        decode_record_page(b'{"data": {"not": "a list"}}')


def test_field_batches_hold_at_most_50_and_lead_with_the_cursor():
    names = ["id"] + [f"F{i}" for i in range(120)] + ["Modified_Time"]
    batches = field_batches(names)
    assert [len(b) for b in batches] == [50, 50, 22]
    assert batches[0][:2] == ["Modified_Time", "Created_Time"]
    assert sum(batches, []).count("F7") == 1 and "id" not in sum(batches, [])


def test_merge_batches_joins_by_id_even_when_pages_disagree():
    first = [[{"id": "a", "x": 1}, {"id": "b", "x": 2}], [{"id": "c", "x": 3}]]
    second = [[{"id": "a", "y": 1}], [{"id": "c", "y": 3}, {"id": "b", "y": 2}]]
    pages = list(merge_batches([iter(first), iter(second)]))
    merged = {r["id"]: r for page in pages for r in page}
    assert merged == {"a": {"id": "a", "x": 1, "y": 1}, "b": {"id": "b", "x": 2, "y": 2},
                      "c": {"id": "c", "x": 3, "y": 3}}
    assert [r["id"] for r in pages[0]] == ["a"]


def _response(info: dict) -> Response:
    response = Response()
    response.status_code = 200
    response.zoho_json = {"data": [], "info": info}
    return response


def test_paginator_follows_page_tokens_from_the_first_page():
    paginator = ZohoPaginator(max_page=2)
    request = Request("GET", "http://x/crm/v8/Contacts", params={"fields": "a"})
    paginator.init_request(request)
    assert request.params["page"] == 1
    paginator.update_state(_response({"more_records": True, "next_page_token": "t1"}), [{}] * 200)
    paginator.update_request(request)
    assert request.params["page_token"] == "t1" and "page" not in request.params
    paginator.update_state(_response({"more_records": True, "next_page_token": "t2"}), [{}] * 200)
    paginator.update_request(request)
    assert request.params["page_token"] == "t2" and "page" not in request.params
    paginator.update_state(_response({"more_records": False, "next_page_token": None}), [{}] * 3)
    assert not paginator.has_next_page


def test_paginator_pages_by_number_where_zoho_gives_no_token():
    paginator = ZohoPaginator(max_page=2)
    request = Request("GET", "http://x/crm/v8/Contacts/deleted", params={"type": "all"})
    paginator.init_request(request)
    paginator.update_state(_response({"more_records": True}), [{}] * 200)
    paginator.update_request(request)
    assert request.params["page"] == 2 and "page_token" not in request.params
    paginator.update_state(_response({"more_records": True}), [{}] * 200)
    assert not paginator.has_next_page  # page 3 is past what `page` reaches


def test_module_names_follow_the_contract():
    everything = ["Contacts", "Accounts", "Deals", "Cases", "Notes", "Calls", "Tasks", "Events"]
    assert modules_for(None) == everything
    assert modules_for(["contacts", "tickets"]) == ["Contacts", "Accounts", "Cases"]
    assert modules_for(["activities"]) == ["Calls", "Tasks", "Events"]
    with pytest.raises(UserError, match="Unknown module"):
        modules_for(["leads"])


def test_custom_fields_come_from_metadata():
    rows = field_rows("zi_1", "Deals", [
        {"api_name": "Stage", "field_label": "Stage", "data_type": "picklist", "json_type": "string",
         "custom_field": False},
        {"api_name": "Looks_Custom__c", "data_type": "text", "json_type": "string", "custom_field": False},
        {"api_name": "Region", "data_type": "lookup", "json_type": "jsonobject", "custom_field": True,
         "lookup": {"module": {"api_name": "Accounts", "id": "1"}}},
    ])
    assert [(r["api_name"], r["is_custom_field"]) for r in rows] == [
        ("Stage", False), ("Looks_Custom__c", False), ("Region", True)]
    assert rows[2]["lookup_module"] == "Accounts"
