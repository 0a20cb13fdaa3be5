"""Bulk Read for a big module's first read: same rows as the REST walk, incremental by REST afterwards."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.sources.conftest import (
    SMALL,
    count,
    credentials_for,
    cursor_state,
    duplicates,
    query,
    record_requests,
)
from zoho_pipeline.importer import run_import
from zoho_pipeline.sources.zoho import settings as source_settings
from zoho_pipeline.sources.zoho.bulk import BulkRead, bulk_fields

BULK_TABLES = {"Contacts": "contacts", "Accounts": "accounts", "Deals": "deals", "Cases": "cases"}


@pytest.fixture
def bulk_everything(monkeypatch):
    """Bulk Read on, from the first record (the real threshold is 10,000 records, too many for a test)."""
    monkeypatch.setenv("SOURCES__ZOHO__BULK_READ", "true")
    monkeypatch.setattr(source_settings, "BULK_MIN_RECORDS", 1)


def bulk_creates(sim, org=None) -> list[dict]:
    return [r for r in sim.control.requests(org=org)
            if r["path"] == source_settings.BULK_PATH and r["method"] == "POST"]


def records(table: str, integration_id: str) -> dict[str, tuple]:
    rows = query(f"select id, created_time, modified_time, record::varchar from zoho_raw.{table} "
                 "where integration_id = ?", (integration_id,))
    return {row[0]: (row[1], row[2], _without_tag_details(json.loads(row[3]))) for row in rows}


def _without_tag_details(record: dict) -> dict:
    # the bulk CSV names a record's tags; their ids and colours are org settings, not in the file
    if isinstance(record.get("Tag"), list):
        record["Tag"] = [{"name": tag.get("name")} for tag in record["Tag"]]
    return record


def test_first_read_by_bulk_gives_the_rows_the_rest_walk_gives(pipeline_home, make_simulator,
                                                                  bulk_everything, monkeypatch):
    sim = make_simulator(seed=11, counts={**SMALL, "Contacts": 900, "Deals": 300}, bulk_page_size=400)
    by_bulk = run_import("zi_bulk", credentials=credentials_for(sim))
    jobs = list(sim.org.bulk_jobs.values())
    assert {job["module"] for job in jobs} == set(BULK_TABLES)  # Notes and activities stay on REST
    assert sum(job["module"] == "Contacts" for job in jobs) == 3  # 900 records, 400 a job
    assert by_bulk.failed == 0

    monkeypatch.setenv("SOURCES__ZOHO__BULK_READ", "false")
    sim.control.reset_requests()
    run_import("zi_rest", credentials=credentials_for(sim))
    assert not bulk_creates(sim)

    for table in list(BULK_TABLES.values()) + ["notes", "calls"]:
        bulk_rows, rest_rows = records(table, "zi_bulk"), records(table, "zi_rest")
        assert len(bulk_rows) == count(table, "zi_rest") > 0, table
        assert bulk_rows == rest_rows, table
        assert duplicates(table) == 0


def test_after_a_bulk_read_the_next_import_reads_only_changes_by_rest(pipeline_home, make_simulator,
                                                                        bulk_everything):
    sim = make_simulator(seed=12, counts={"Contacts": 300, "Deals": 50})
    run_import("zi_b", modules=["contacts", "deals"], credentials=credentials_for(sim))
    cursor = cursor_state("zi_b", "contacts")
    assert cursor is not None

    contact = sim.control.create_record("Contacts", {"Last_Name": "Bulkafter", "Email": "after@bulk.example"})
    sim.control.reset_requests()
    run_import("zi_b", modules=["contacts", "deals"], credentials=credentials_for(sim))
    assert not bulk_creates(sim)
    assert len(record_requests(sim, "Contacts")) == 1  # one REST page with the change
    rows = query("select record->>'$.Last_Name' from zoho_raw.contacts where id = ?", (str(contact["id"]),))
    assert rows == [("Bulkafter",)]
    assert count("contacts", "zi_b") == sim.orgs[sim.org.org_id].store.alive_count("Contacts")
    assert duplicates("contacts") == 0


def test_record_edited_while_the_bulk_jobs_run_is_read_in_the_same_import(pipeline_home, make_simulator,
                                                                          bulk_everything, monkeypatch):
    sim = make_simulator(seed=13, counts={"Contacts": 200})
    original_download = BulkRead.download_all
    edited = {}

    def edit_after_the_jobs(self, columns, cutoff):
        original_download(self, columns, cutoff)
        sim.control.advance_clock(5)
        values = {"Last_Name": "During", "Email": "during@bulk.example"}
        edited["record"] = sim.control.create_record("Contacts", values)

    monkeypatch.setattr(BulkRead, "download_all", edit_after_the_jobs)
    run_import("zi_d", modules=["contacts"], credentials=credentials_for(sim))
    rows = query("select count(*) from zoho_raw.contacts where id = ?", (str(edited["record"]["id"]),))
    assert rows == [(1,)]
    assert count("contacts", "zi_d") == sim.orgs[sim.org.org_id].store.alive_count("Contacts")


def test_connection_without_the_bulk_scope_reads_by_rest(pipeline_home, make_simulator, bulk_everything):
    sim = make_simulator(seed=14, counts={"Contacts": 250})
    scopes = ["ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.org.READ", "ZohoCRM.users.READ",
              "ZohoCRM.coql.READ"]
    token = sim.control.issue_refresh_token(scopes=scopes)
    credentials = credentials_for(sim)
    credentials.refresh_token = token
    summary = run_import("zi_s", modules=["contacts"], credentials=credentials)
    assert [r["status"] for r in bulk_creates(sim)] == [401]
    assert summary.failed == 0
    assert count("contacts", "zi_s") == sim.orgs[sim.org.org_id].store.alive_count("Contacts") > 200
    assert len(record_requests(sim, "Contacts")) == 2  # ~250 records: two REST pages


def test_csv_rows_that_cannot_be_loaded_become_rejects(tmp_path):
    fields = [{"api_name": "Last_Name", "data_type": "text", "json_type": "string"},
              {"api_name": "Seats", "data_type": "integer", "json_type": "integer"},
              {"api_name": "Modified_Time", "data_type": "datetime", "json_type": "string"},
              {"api_name": "Created_Time", "data_type": "datetime", "json_type": "string"}]
    _, keys = bulk_fields(fields, {})
    read = BulkRead(client=None, module="Contacts")
    csv = read.directory / "0.csv"
    csv.write_text("Last_Name,Seats,Modified_Time,Created_Time,id\n"
                   "Good,7,2024-05-01T10:00:00+05:30,2024-04-01T10:00:00+05:30,11\n"
                   "NoId,1,2024-05-01T10:00:00+05:30,2024-04-01T10:00:00+05:30,\n"
                   "BadTime,2,yesterday,2024-04-01T10:00:00+05:30,13\n")
    read.files.append(csv)
    try:
        extracted = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
        [(good, rejects)] = list(read.tables(keys, "zi_r", "imp_1", extracted))
    finally:
        read.close()
    assert good.column("id").to_pylist() == ["11"]
    assert json.loads(good.column("record")[0].as_py()) == {
        "Last_Name": "Good", "Seats": 7, "Modified_Time": "2024-05-01T10:00:00+05:30",
        "Created_Time": "2024-04-01T10:00:00+05:30", "id": "11"}
    assert good.column("modified_time")[0].as_py() == dt.datetime(2024, 5, 1, 4, 30, tzinfo=dt.UTC)
    assert sorted(rejects.column("reason").to_pylist()) == [
        "Modified_Time is not a datetime: yesterday", "record has no id"]
    assert all("Seats" in json.loads(payload) for payload in rejects.column("payload").to_pylist())
    assert set(rejects.column("import_id").to_pylist()) == {"imp_1"}
    assert not read.directory.exists()


def test_bulk_read_into_postgres(postgres_home, make_simulator, bulk_everything):
    sim = make_simulator(seed=15, counts={"Contacts": 150, "Deals": 40})
    summary = run_import("zi_pg", modules=["contacts", "deals"], credentials=credentials_for(sim))
    # no Accounts in this org
    assert {job["module"] for job in sim.org.bulk_jobs.values()} == {"Contacts", "Deals"}
    assert summary.failed == 0
    store = sim.orgs[sim.org.org_id].store
    assert count("contacts", "zi_pg") == store.alive_count("Contacts")
    assert count("deals", "zi_pg") == store.alive_count("Deals")
    # jsonb, lookups rebuilt as objects with the contact's name
    named = query("select count(*) from zoho_raw.deals where record->'Contact_Name'->>'name' is not null")
    linked = query("select count(*) from zoho_raw.deals where record->'Contact_Name'->>'id' is not null")
    assert named == linked and linked[0][0] > 0
