"""The Zoho source end to end: the simulator over real HTTP into a real DuckDB file (and Postgres)."""
from __future__ import annotations

import datetime as dt
import json
import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.sources.conftest import (
    SMALL,
    count,
    credentials_for,
    cursor_state,
    duplicates,
    execute,
    query,
    record_requests,
    start_import_process,
)
from zoho_pipeline.importer import ImportFailed, run_import

RECORD_TABLES = ["contacts", "accounts", "deals", "cases", "notes", "calls", "tasks", "events"]


def alive(sim, module: str, org=None) -> int:
    org = org or sim.org
    return sim.orgs[org.org_id].store.alive_count(module)


def assert_complete(sim, integration_id: str, org=None) -> None:
    """Every alive record of every module is in its table exactly once."""
    for module, table in zip(SMALL, ["contacts", "accounts", "deals", "cases", "notes", "calls", "tasks",
                                     "events"], strict=True):
        if module in (org or sim.org).counts:
            assert count(table, integration_id) >= alive(sim, module, org), table
        assert duplicates(table) == 0, table


def test_full_then_incremental_reads_only_changes(pipeline_home, small_sim):
    sim, creds = small_sim, credentials_for(small_sim)
    summary = run_import("zi_a", credentials=creds)
    assert all(m.complete for m in summary.modules)
    assert summary.failed == 0
    assert {m.module: m.loaded for m in summary.modules}["Contacts"] == alive(sim, "Contacts")
    assert_complete(sim, "zi_a")
    # the raw-table contract: UTC timestamps, the whole record as JSON, integration id on every row
    row = query("select integration_id, id, modified_time, record from zoho_raw.contacts limit 1")[0]
    record = row[3] if isinstance(row[3], dict) else json.loads(row[3])
    assert row[0] == "zi_a" and record["id"] == row[1] and "Modified_Time" in record and "Owner" in record
    assert row[2].utcoffset() == dt.timedelta(0)
    types = dict(query("select column_name, data_type from information_schema.columns "
                       "where table_schema = 'zoho_raw' and table_name = 'contacts'"))
    assert types["record"] == "JSON" and types["modified_time"] == "TIMESTAMP WITH TIME ZONE"
    assert count("record_counts", "zi_a") == 8 and count("fields", "zi_a") > 0 and count("deal_stages") > 0
    assert count("rejects") == 0
    rows_before = {table: count(table) for table in RECORD_TABLES}

    sim.control.advance_clock(60)
    ids = [r[0] for r in query("select id from zoho_raw.contacts order by id limit 3")]
    for record_id in ids:
        sim.control.update_record("Contacts", record_id, {"Title": "Changed"})
    sim.control.reset_requests()
    second = run_import("zi_a", credentials=creds)

    calls = record_requests(sim, "Contacts")
    assert len(calls) == 1  # one page: the 3 changes (and the cursor's own second, re-read on purpose)
    fetched = {m.module: m.fetched for m in second.modules}
    assert 3 <= fetched["Contacts"] <= 5
    assert all(fetched[m] <= 2 for m in fetched if m != "Contacts")
    assert {table: count(table) for table in RECORD_TABLES} == rows_before  # no rows added
    titles = query("select json_extract_string(record, '$.Title') from zoho_raw.contacts "
                   "where id in (?, ?, ?)", tuple(ids))
    assert [t[0] for t in titles] == ["Changed"] * 3
    assert duplicates("contacts") == 0


def test_page_tokens_and_restarting_past_the_page_token_cap(pipeline_home, make_simulator):
    sim = make_simulator(seed=3, counts={"Contacts": 5200, "Deals": 10}, page_token_cap=2400)
    summary = run_import("zi_big", modules=["contacts"], credentials=credentials_for(sim))
    assert count("contacts") == alive(sim, "Contacts") and duplicates("contacts") == 0
    calls = record_requests(sim, "Contacts")
    statuses = [(r["query"].get("page_token") is not None, r["status"]) for r in calls]
    assert (True, 200) in statuses  # walked past 2,000 records by page token
    assert (True, 400) in statuses  # hit PAGINATION_LIMIT_EXCEEDED and restarted from the cursor
    assert all(m.complete for m in summary.modules)


def test_a_record_edited_during_the_first_import_lands_once_in_its_newest_version(
    pipeline_home, make_simulator
):
    sim = make_simulator(seed=4, counts={"Contacts": 1000, "Deals": 10})
    # The walk reads oldest first; the third page is slow, and meanwhile the oldest contact is edited,
    # so the walk meets it twice: on page 1, and again at the end with its new Modified_Time.
    sim.control.set_faults([{"kind": "slow", "path": "/crm/v8/Contacts", "after": 2, "seconds": 2}])
    oldest = sim.org.store.stores["Contacts"].view("Modified_Time", False, None).indices[0]
    record_id = sim.org.store.record_id("Contacts", int(oldest))
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_import, "zi_e", modules=["contacts"], credentials=credentials_for(sim))
        deadline = time.monotonic() + 60
        while len(record_requests(sim, "Contacts")) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        sim.control.advance_clock(60)
        sim.control.update_record("Contacts", record_id, {"Title": "Edited during the walk"})
        summary = running.result(timeout=120)

    contacts = {m.module: m for m in summary.modules}["Contacts"]
    assert contacts.fetched == alive(sim, "Contacts") + 1  # the edited record was read twice
    assert count("contacts") == alive(sim, "Contacts") and duplicates("contacts") == 0
    assert query("select json_extract_string(record, '$.Title') from zoho_raw.contacts where id = ?",
                 (record_id,)) == [("Edited during the walk",)]
    # A first load appends: dlt's staging copy of the records was skipped.
    staged = query("select count(*) from information_schema.tables "
                   "where table_schema = 'zoho_raw_staging' and table_name = 'contacts'")
    assert staged == [(0,)]


@pytest.mark.parametrize("home", ["pipeline_home", pytest.param("postgres_home", marks=pytest.mark.postgres)])
def test_rows_repeated_by_an_interrupted_import_are_removed_by_the_next(home, request, small_sim):
    request.getfixturevalue(home)
    creds = credentials_for(small_sim)
    run_import("zi_r", modules=["contacts"], credentials=creds)
    record_id, modified = query("select id, modified_time from zoho_raw.contacts order by id limit 1")[0]
    # What an import stopped between its load and its clean-up can leave: an older and an equal copy.
    for shift in ("- interval '1 day'", ""):
        execute("insert into zoho_raw.contacts (integration_id, id, created_time, modified_time, record, "
                f"_extracted_at) select integration_id, id, created_time, modified_time {shift}, "
                "record, _extracted_at from zoho_raw.contacts where integration_id = 'zi_r' and id = ? "
                "limit 1", (record_id,))
    assert duplicates("contacts") == 1

    run_import("zi_r", modules=["contacts"], credentials=creds)
    assert duplicates("contacts") == 0 and count("contacts") == alive(small_sim, "Contacts")
    assert query("select modified_time from zoho_raw.contacts where id = ?", (record_id,)) == [(modified,)]


def test_date_range_imports_a_window_and_leaves_the_cursor_alone(pipeline_home, small_sim):
    sim, creds = small_sim, credentials_for(small_sim)
    run_import("zi_w", credentials=creds)
    cursor = cursor_state("zi_w", "contacts")
    assert cursor is not None
    sim.control.advance_clock(120)
    record_id = query("select id from zoho_raw.contacts limit 1")[0][0]
    sim.control.update_record("Contacts", record_id, {"Title": "In the window"})
    today = dt.datetime.fromtimestamp(sim.control.now(), dt.UTC).date()

    summary = run_import("zi_w", modules=["contacts"], date_from=today, date_to=today, credentials=creds)
    assert {m.module: m.loaded for m in summary.modules}["Contacts"] == 1
    assert cursor_state("zi_w", "contacts") == cursor  # the live cursor did not move
    assert query("select json_extract_string(record, '$.Title') from zoho_raw.contacts where id = ?",
                 (record_id,))[0][0] == "In the window"

    # a window on a fresh integration loads only that window and creates no cursor
    modified = sorted(r[0] for r in query("select modified_time from zoho_raw.contacts"))
    day = modified[len(modified) // 2].date()
    run_import("zi_w2", modules=["contacts"], date_from=day, date_to=day, credentials=creds)
    expected = sum(1 for m in modified if m.date() == day)
    assert count("contacts", "zi_w2") == expected
    assert cursor_state("zi_w2", "contacts") is None
    # the next live import still reads everything
    run_import("zi_w2", modules=["contacts"], credentials=creds)
    assert count("contacts", "zi_w2") == count("contacts", "zi_w") and duplicates("contacts") == 0


def test_full_reimport_duplicates_nothing(pipeline_home, small_sim):
    creds = credentials_for(small_sim)
    run_import("zi_f", credentials=creds)
    before = {table: count(table) for table in RECORD_TABLES}
    cursor = cursor_state("zi_f", "deals")
    summary = run_import("zi_f", full=True, credentials=creds)
    assert {m.table: m.fetched for m in summary.modules}["deals"] == alive(small_sim, "Deals")
    assert {table: count(table) for table in RECORD_TABLES} == before
    assert cursor_state("zi_f", "deals") == cursor


def test_deleted_records_are_marked_not_lost(pipeline_home, small_sim):
    sim, creds = small_sim, credentials_for(small_sim)
    run_import("zi_d", credentials=creds)
    recycled, purged = [r[0] for r in query("select id from zoho_raw.deals order by id limit 2")]
    sim.control.advance_clock(30)
    sim.control.delete_record("Deals", recycled)
    sim.control.delete_record("Deals", purged, permanent=True)
    run_import("zi_d", modules=["deals"], credentials=creds)
    rows = dict(query("select id, deletion_type from zoho_raw.deleted_records where module = 'Deals' "
                      "and id in (?, ?)", (recycled, purged)))
    assert rows == {recycled: "recycle", purged: "permanent"}
    assert query("select count(*) from zoho_raw.deleted_records where deleted_at is null")[0][0] == 0
    assert query("select count(*) from zoho_raw.deals where id in (?, ?)", (recycled, purged))[0][0] == 2


def test_custom_field_added_between_runs(pipeline_home, small_sim):
    sim, creds = small_sim, credentials_for(small_sim)
    run_import("zi_c", modules=["contacts"], credentials=creds)
    sim.control.add_custom_field("Contacts", "Loyalty_Tier", data_type="picklist",
                                 picklist=["Gold", "Silver"])
    sim.control.advance_clock(30)
    record_id = query("select id from zoho_raw.contacts limit 1")[0][0]
    sim.control.update_record("Contacts", record_id, {"Loyalty_Tier": "Gold"})
    run_import("zi_c", modules=["contacts"], credentials=creds)
    assert query("select is_custom_field from zoho_raw.fields where module = 'Contacts' "
                 "and api_name = 'Loyalty_Tier'") == [(True,)]
    assert query("select json_extract_string(record, '$.Loyalty_Tier') from zoho_raw.contacts where id = ?",
                 (record_id,)) == [("Gold",)]


def test_module_with_more_than_50_fields_is_read_in_field_batches(pipeline_home, small_sim):
    """Past 50 fields each page is asked for in two calls; the halves are merged into whole records."""
    sim, creds = small_sim, credentials_for(small_sim)
    names = [f"Extra_{i:02d}" for i in range(15)]
    for name in names:
        sim.control.add_custom_field("Contacts", name)
    record_id = sim.orgs[sim.org.org_id].store.record_id("Contacts", 3)
    sim.control.update_record("Contacts", record_id, {"Extra_14": "last batch"})
    sim.control.reset_requests()
    run_import("zi_f", modules=["contacts"], credentials=creds)
    calls = [r for r in sim.requests() if r["path"] == "/crm/v8/Contacts"]
    assert len({r["query"]["fields"] for r in calls}) == 2  # two field batches per page
    assert count("contacts") == alive(sim, "Contacts") and duplicates("contacts") == 0
    row = query("select json_extract_string(record, '$.Extra_14'), json_extract_string(record, '$.Email') "
                "from zoho_raw.contacts where id = ?", (record_id,))
    assert row[0][0] == "last batch" and row[0][1]


def record_compression() -> set[str]:
    return {row[0] for row in query("select compression from pragma_storage_info('zoho_raw.contacts') "
                                    "where column_name = 'record' and compression != 'Constant'")}


def test_a_new_warehouse_keeps_the_raw_json_compressed(pipeline_home, small_sim):
    run_import("zi_z", modules=["contacts"], credentials=credentials_for(small_sim))
    assert record_compression() == {"ZSTD"}


def test_a_warehouse_made_before_string_compression_still_loads(pipeline_home, small_sim):
    import duckdb

    duckdb.connect(str(pipeline_home / "warehouse.duckdb")).close()  # DuckDB's default storage format
    run_import("zi_o", modules=["contacts"], credentials=credentials_for(small_sim))
    assert count("contacts") == alive(small_sim, "Contacts")
    assert "ZSTD" not in record_compression()


def test_token_invalidated_mid_run_is_refreshed_once(pipeline_home, small_sim):
    sim = small_sim
    sim.control.set_faults([{"kind": "invalid_token", "path": "/crm/v8/Deals", "after": 0, "count": 1}])
    sim.control.reset_requests()
    summary = run_import("zi_t", credentials=credentials_for(sim))
    assert all(m.complete for m in summary.modules)
    assert_complete(sim, "zi_t")
    token_calls = [r for r in sim.control.requests() if r["path"] == "/oauth/v2/token"]
    assert len(token_calls) == 2  # the first token, and one refresh after 401 INVALID_TOKEN


def test_token_expiring_during_the_import(pipeline_home, make_simulator):
    sim = make_simulator(seed=5, counts={"Contacts": 1000, "Deals": 10}, token_ttl=600)
    advanced = []

    def expire_token_after_first_page(module, processed, successful, failed):
        if not advanced:
            advanced.append(sim.control.advance_clock(3600))  # Zoho's clock passes the token's expiry

    sim.control.reset_requests()
    summary = run_import("zi_e", modules=["contacts"], progress=expire_token_after_first_page,
                         credentials=credentials_for(sim))
    assert advanced and all(m.complete for m in summary.modules)
    assert count("contacts") == alive(sim, "Contacts") and duplicates("contacts") == 0
    assert len([r for r in sim.control.requests() if r["path"] == "/oauth/v2/token"]) == 2


def test_429_5xx_dropped_connection_and_cut_off_body_storms(pipeline_home, small_sim):
    sim = small_sim
    sim.control.set_faults([
        {"kind": "429", "path": "/crm/v8/Contacts", "count": 3},
        {"kind": "500", "rate": 0.15, "seed": 4, "count": 12},
        {"kind": "drop", "path": "/crm/v8/Deals", "count": 2},
        {"kind": "cut_off", "path": "/crm/v8/Cases", "count": 2},
    ])
    summary = run_import("zi_s", credentials=credentials_for(sim))
    assert all(m.complete for m in summary.modules) and summary.failed == 0
    assert_complete(sim, "zi_s")
    requests = sim.control.requests()
    statuses = [r["status"] for r in requests]
    assert statuses.count(429) == 3 and 500 in statuses
    case_pages = math.ceil(alive(sim, "Cases") / 200)
    assert len([r for r in requests if r["path"] == "/crm/v8/Cases"]) == case_pages + 2  # cut off: again


def test_modules_are_read_at_the_same_time(pipeline_home, small_sim):
    """Record modules are fetched in parallel threads: their page requests overlap in time."""
    sim = small_sim
    modules = ["Contacts", "Deals", "Cases", "Calls"]
    sim.control.set_faults([{"kind": "slow", "path": f"/crm/v8/{module}", "seconds": 0.4, "count": None}
                            for module in modules])
    run_import("zi_par", modules=["contacts", "deals", "tickets", "activities"],
               credentials=credentials_for(sim))
    pages = [(r["path"], r["time"], r["time"] + r["duration"]) for r in sim.requests()
             if r["path"] in {f"/crm/v8/{module}" for module in modules}]
    assert len({path for path, _, _ in pages}) == len(modules)
    overlapping = {
        frozenset((a_path, b_path))
        for a_path, a_start, a_end in pages for b_path, b_start, b_end in pages
        if a_path != b_path and a_start < b_end and b_start < a_end
    }
    assert len(overlapping) >= 2  # one at a time would give none


def test_credits_exhausted_stops_with_a_clear_error_and_keeps_what_loaded(pipeline_home, make_simulator):
    sim = make_simulator(seed=6, counts={"Contacts": 3000, "Deals": 10}, daily_credits=8)
    with pytest.raises(ImportFailed, match="API limit is used up"):
        run_import("zi_x", modules=["contacts"], credentials=credentials_for(sim))
    loaded = count("contacts")
    assert 0 < loaded < alive(sim, "Contacts")
    assert cursor_state("zi_x", "contacts") is not None  # the next run resumes from here


def test_malformed_page_is_rejected_and_nothing_is_lost(pipeline_home, small_sim):
    sim = small_sim
    sim.control.set_faults([{"kind": "malformed_json", "path": "/crm/v8/Contacts", "after": 0, "count": 1}])
    summary = run_import("zi_m", credentials=credentials_for(sim))
    assert all(m.complete for m in summary.modules)
    assert {m.module: m.failed for m in summary.modules}["Contacts"] == 1
    rejects = query("select module, record_id, reason, payload from zoho_raw.rejects")
    assert len(rejects) == 1 and rejects[0][0] == "Contacts" and rejects[0][1] is None
    assert "not JSON" in rejects[0][2] and rejects[0][3]
    assert count("contacts") == alive(sim, "Contacts")  # the page was re-requested


def test_page_that_stays_malformed_stops_its_module_and_the_next_run_resumes(pipeline_home, make_simulator):
    sim = make_simulator(seed=8, counts={"Contacts": 700, "Deals": 20})
    creds = credentials_for(sim)
    always_bad_after_two = {"kind": "malformed_json", "path": "/crm/v8/Contacts", "after": 2, "count": None}
    sim.control.set_faults([always_bad_after_two])
    summary = run_import("zi_p", modules=["contacts"], credentials=creds)
    contacts = {m.module: m for m in summary.modules}["Contacts"]
    assert not contacts.complete and contacts.failed >= 1
    assert count("contacts") == 400  # the two good pages; the cursor stays before the bad one
    assert query("select module, record_id from zoho_raw.rejects") == [("Contacts", None)]  # one row
    assert {m.module: m.complete for m in summary.modules}["Accounts"]
    sim.control.clear_faults()
    run_import("zi_p", modules=["contacts"], credentials=creds)
    assert count("contacts") == alive(sim, "Contacts") and duplicates("contacts") == 0


def test_revoked_refresh_token_gives_a_clear_error(pipeline_home, small_sim):
    sim, creds = small_sim, credentials_for(small_sim)
    sim.control.revoke(creds.refresh_token)
    with pytest.raises(ImportFailed) as failure:
        run_import("zi_r", credentials=creds)
    message = str(failure.value)
    assert "zoho-pipeline connect" in message and "\n" not in message


def test_refresh_token_revoked_mid_import_keeps_what_loaded(pipeline_home, make_simulator):
    sim = make_simulator(seed=9, counts={"Contacts": 1200, "Deals": 10})
    sim.control.set_faults([{"kind": "revoke_refresh_token", "path": "/crm/v8/Contacts", "after": 2}])
    with pytest.raises(ImportFailed, match="zoho-pipeline connect"):
        run_import("zi_rv", modules=["contacts"], credentials=credentials_for(sim))
    partial = count("contacts")
    assert partial >= 400
    new_token = sim.control.issue_refresh_token()
    creds = credentials_for(sim)
    creds.refresh_token = new_token if isinstance(new_token, str) else new_token["refresh_token"]
    run_import("zi_rv", modules=["contacts"], credentials=creds)
    assert count("contacts") == alive(sim, "Contacts") and duplicates("contacts") == 0


def test_killed_import_resumes_without_loss_or_duplicates(pipeline_home, make_simulator):
    sim = make_simulator(seed=10, counts={"Contacts": 6000, "Deals": 2000, "Notes": 2000})
    creds = credentials_for(sim)
    process = start_import_process("zi_k", creds)
    deadline = time.monotonic() + 60
    while len(record_requests(sim, "Contacts")) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.wait()
    assert process.returncode != 0
    run_import("zi_k", credentials=creds)
    for module, table in (("Contacts", "contacts"), ("Deals", "deals"), ("Notes", "notes")):
        assert count(table) == alive(sim, module)
        assert duplicates(table) == 0


def test_two_integrations_import_at_once_into_one_duckdb(pipeline_home, make_simulator):
    import_two_integrations_at_once(make_simulator)


@pytest.mark.postgres
def test_two_first_imports_at_once_into_one_postgres(postgres_home, make_simulator):
    # Both find zoho_raw empty: without the warehouse lock both CREATE the same tables, and one fails.
    import_two_integrations_at_once(make_simulator)


def import_two_integrations_at_once(make_simulator):
    sim = make_simulator(seed=12, counts={"Contacts": 3000, "Deals": 500})
    other = sim.add_org(seed=13, counts={"Contacts": 2500, "Deals": 700}, name="Other Co")
    first = start_import_process("zi_one", credentials_for(sim))
    second = start_import_process("zi_two", credentials_for(sim, other))
    for process in (first, second):
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-2000:]
    assert count("contacts", "zi_one") == alive(sim, "Contacts")
    assert count("contacts", "zi_two") == alive(sim, "Contacts", other)
    assert count("deals", "zi_two") == alive(sim, "Deals", other)
    assert duplicates("contacts") == 0


@pytest.mark.postgres
def test_postgres_full_incremental_window_and_rejects(postgres_home, small_sim):
    sim, creds = small_sim, credentials_for(small_sim)
    sim.control.set_faults([{"kind": "malformed_json", "path": "/crm/v8/Deals", "count": 1}])
    run_import("zi_pg", credentials=creds)
    assert_complete(sim, "zi_pg")
    types = dict(query("select column_name, data_type from information_schema.columns "
                       "where table_schema = 'zoho_raw' and table_name = 'contacts'"))
    assert types["record"] == "jsonb" and types["modified_time"] == "timestamp with time zone"
    assert count("rejects") == 1
    cursor = cursor_state("zi_pg", "contacts")
    sim.control.advance_clock(60)
    record_id = query("select id from zoho_raw.contacts limit 1")[0][0]
    sim.control.update_record("Contacts", record_id, {"Title": "pg"})
    sim.control.reset_requests()
    run_import("zi_pg", credentials=creds)
    assert len(record_requests(sim, "Contacts")) == 1
    assert query("select record->>'Title' from zoho_raw.contacts where id = ?", (record_id,)) == [("pg",)]
    assert cursor_state("zi_pg", "contacts") > cursor
    assert duplicates("contacts") == 0
    day = dt.datetime.fromtimestamp(sim.control.now(), dt.UTC).date()
    before = cursor_state("zi_pg", "contacts")
    run_import("zi_pg", modules=["contacts"], date_from=day, date_to=day, credentials=creds)
    assert cursor_state("zi_pg", "contacts") == before and duplicates("contacts") == 0
