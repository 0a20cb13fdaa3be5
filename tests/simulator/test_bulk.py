"""Bulk Read: 201 create, state transitions, zip with one CSV, continuation past bulk_page_size."""

from __future__ import annotations

import csv
import io
import zipfile

from tests.simulator.helpers import assert_error, get, oas_schema, session


def _create(http, query: dict):
    return http.post(f"{http.base}/crm/bulk/v8/read", json={"query": query}, timeout=30)


def _run_job(http, query: dict) -> tuple[dict, list[dict]]:
    created = _create(http, query)
    assert created.status_code == 201, created.text
    job_id = created.json()["data"][0]["details"]["id"]
    states = []
    while True:
        job = get(http, f"/crm/bulk/v8/read/{job_id}").json()["data"][0]
        states.append(job["state"])
        if job["state"] == "COMPLETED":
            break
    assert states == ["IN PROGRESS", "COMPLETED"]
    download = get(http, job["result"]["download_url"])
    assert download.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.namelist() == [f"{job_id}.csv"]
        rows = list(csv.DictReader(io.StringIO(archive.read(f"{job_id}.csv").decode())))
    return job, rows


def test_bulk_read_whole_module_with_continuation(make_simulator):
    sim = make_simulator(counts={"Contacts": 120, "Accounts": 5}, bulk_page_size=50)
    http = session(sim)
    created = _create(
        http,
        {
            "module": {"api_name": "Contacts"},
            "fields": ["Last_Name", "Email", "Account_Name", "Email_Opt_Out", "Modified_Time"],
        },
    )
    body = created.json()
    success = oas_schema("bulk_read.json", "Success_Response")
    assert set(success["required"]) <= set(body["data"][0])
    assert body["data"][0]["details"]["state"] == "ADDED" and body["data"][0]["code"] == "ADDED_SUCCESSFULLY"
    ids, query = (
        [],
        {
            "module": {"api_name": "Contacts"},
            "fields": ["Last_Name", "Email", "Account_Name", "Email_Opt_Out", "Modified_Time"],
        },
    )
    while True:
        job, rows = _run_job(http, query)
        assert set(oas_schema("bulk_read.json", "Result")["required"]) <= set(job["result"])
        assert job["result"]["count"] == len(rows) <= 50
        ids += [row["id"] for row in rows]
        assert list(rows[0]) == ["Last_Name", "Email", "Account_Name", "Email_Opt_Out", "Modified_Time", "id"]
        assert {row["Email_Opt_Out"] for row in rows} <= {"true", "false"}
        assert all(
            row["Account_Name"] == "" or row["Account_Name"].isdigit() for row in rows
        )  # lookups as ids
        if not job["result"]["more_records"]:
            break
        query = {"page_token": job["result"]["next_page_token"]}
    assert len(ids) == len(set(ids)) == sim.org.store.alive_count("Contacts")
    assert ids == sorted(ids, key=int)
    credits = [(e["path"], e["credits"]) for e in sim.control.requests(path="/crm/bulk/v8/read")]
    assert [c for p, c in credits if p == "/crm/bulk/v8/read"] == [50, 50, 50, 50]


def test_bulk_read_criteria(simulator):
    http = session(simulator)
    criteria = {
        "group_operator": "and",
        "group": [
            {"field": {"api_name": "Stage"}, "comparator": "equal", "value": "Closed Won"},
            {
                "field": {"api_name": "Modified_Time"},
                "comparator": "greater_equal",
                "value": "2019-01-01T00:00:00+00:00",
            },
        ],
    }
    _, rows = _run_job(
        http,
        {
            "module": {"api_name": "Deals"},
            "fields": ["Stage", "Account_Name.Account_Name"],
            "criteria": criteria,
        },
    )
    assert rows and {row["Stage"] for row in rows} == {"Closed Won"}


def test_bulk_read_errors(simulator):
    http = session(simulator)
    no_type = http.post(f"{http.base}/crm/bulk/v8/read", data=b'{"query":{}}', timeout=30)
    assert_error(no_type, 415, "MEDIA_TYPE_NOT_SUPPORTED")
    assert_error(_create(http, {"module": {"api_name": "Notes"}}), 400, "MODULE_NOT_SUPPORTED")
    assert_error(get(http, "/crm/bulk/v8/read/123"), 404, "RESOURCE_NOT_FOUND")
