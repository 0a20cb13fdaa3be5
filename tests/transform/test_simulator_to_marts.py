"""Simulator -> extractor (zoho_pipeline.importer) -> dbt, on DuckDB and Postgres.

Every mapping rule is checked against an oracle computed here in Python from the raw records; a
re-import creates and updates nothing; records changed in Zoho (simulator control API) change their rows.
"""

from __future__ import annotations

import csv
import hashlib

import pytest

from tests.transform import helpers
from zoho_pipeline import settings, transform
from zoho_pipeline.importer import run_import
from zoho_pipeline.sources.zoho.client import ZohoCredentials

INTEGRATION = "int-sim"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _seed(name: str) -> dict[str, str]:
    with open(settings.DBT_PROJECT_DIR / "seeds" / f"{name}.csv") as handle:
        rows = list(csv.reader(handle))[1:]
    return {key.strip().lower(): value for key, value in rows}


def _import(sim):
    org = sim.org
    credentials = ZohoCredentials(
        client_id=org.client_id,
        client_secret=org.client_secret,
        refresh_token=org.refresh_token,
        accounts_url=sim.accounts_url,
        api_domain=sim.api_domain,
    )
    summary = run_import(INTEGRATION, credentials=credentials, record_run=False)
    assert summary.failed == 0
    return summary


def _raw(table: str) -> dict[str, dict]:
    rows = helpers.query(f"select * from {settings.RAW_DATASET}.{table}")
    return {row["id"]: row for row in rows}


def _deleted(module: str) -> set[str]:
    rows = helpers.query(f"select id from {settings.RAW_DATASET}.deleted_records where module = '{module}'")
    return {row["id"] for row in rows}


def _custom_field_keys(module: str, record: dict) -> set[str]:
    rows = helpers.query(
        f"select api_name from {settings.RAW_DATASET}.fields where module = '{module}' and is_custom_field"
    )
    return {"zoho_" + row["api_name"].lower() for row in rows if row["api_name"] in record}


def _email(record: dict) -> str | None:
    value = (record.get("Email") or "").strip().lower()
    return value or None


def _check_every_mapping_rule() -> None:
    contacts = _raw("contacts")
    deleted_contacts = _deleted("Contacts")

    # Customers: one per normalized email, one per contact without; the newest live contact wins.
    customer_of = {}
    for contact_id, row in contacts.items():
        email = _email(row["record"])
        customer_of[contact_id] = md5(f"email:{email}") if email else md5(f"{INTEGRATION}:{contact_id}")
    customers = helpers.mart("customers", "customer_id")
    assert set(customers) == set(customer_of.values())
    for customer_id, customer in customers.items():
        members = [contacts[c] for c, owner in customer_of.items() if owner == customer_id]
        winner = max(members, key=lambda r: (r["id"] not in deleted_contacts, r["modified_time"], r["id"]))
        record = winner["record"]
        assert customer["email"] == _email(record)
        assert customer["first_name"] == record.get("First_Name")
        assert customer["last_name"] == record.get("Last_Name")
        assert customer["job_title"] == record.get("Title")
        assert customer["company"] == (record.get("Account_Name") or {}).get("name")
        phone = (record.get("Phone") or "").strip() or (record.get("Mobile") or "").strip() or None
        assert customer["phone"] == phone
        assert set(customer["custom_fields"]) == _custom_field_keys("Contacts", record)
        for key, value in customer["custom_fields"].items():
            api_name = next(k for k in record if "zoho_" + k.lower() == key)
            assert value == record[api_name]  # as Zoho gave it
        assert customer["is_deleted"] == all(m["id"] in deleted_contacts for m in members)
    sources = helpers.mart("customer_sources")
    assert sorted(r["zoho_contact_id"] for r in sources) == sorted(contacts)

    # Conversations: deal stage (seed, else forecast type), case status and priority, customers.
    stage_status, case_status, priority = (
        _seed("deal_stage_status"),
        _seed("case_status_status"),
        _seed("priority_priority"),
    )
    forecast = {
        row["stage"].strip().lower(): row["forecast_type"]
        for row in helpers.query(f"select stage, forecast_type from {settings.RAW_DATASET}.deal_stages")
    }
    conversations = {(r["source"], r["zoho_record_id"]): r for r in helpers.mart("conversations")}
    deals, cases = _raw("deals"), _raw("cases")
    assert len(conversations) == len(deals) + len(cases)
    emails = {_email(r["record"]): customer_of[c] for c, r in contacts.items() if _email(r["record"])}
    for deal_id, row in deals.items():
        record, conversation = row["record"], conversations[("deal", deal_id)]
        stage = (record.get("Stage") or "").strip().lower()
        expected = stage_status.get(stage) or (
            "closed" if forecast.get(stage) in ("Closed Won", "Closed Lost") else "open"
        )
        assert conversation["status"] == expected, (deal_id, record.get("Stage"))
        assert conversation["priority"] is None
        contact = (record.get("Contact_Name") or {}).get("id")
        assert conversation["customer_id"] == customer_of.get(contact)
        assert conversation["subject"] == record.get("Deal_Name")
        assert conversation["metadata"] == {
            "dealAmount": record.get("Amount"),
            "closingDate": record.get("Closing_Date"),
            "stage": record.get("Stage"),
            "probability": record.get("Probability"),
        }
        assert set(conversation["custom_fields"]) == _custom_field_keys("Deals", record)
    for case_id, row in cases.items():
        record, conversation = row["record"], conversations[("ticket", case_id)]
        assert conversation["status"] == case_status.get((record.get("Status") or "").strip().lower(), "open")
        assert conversation["priority"] == priority.get(
            (record.get("Priority") or "").strip().lower(), "medium"
        )
        related = (record.get("Related_To") or {}).get("id")
        expected = customer_of.get(related) or emails.get(_email(record))
        assert conversation["customer_id"] == expected, case_id

    # Messages: a non-empty Description first, at the record's created time; notes on deals and cases.
    messages = helpers.mart("messages")
    by_conversation = {}
    for message in messages:
        by_conversation.setdefault(message["conversation_id"], []).append(message)
    for (source, record_id), conversation in conversations.items():
        record = (deals if source == "deal" else cases)[record_id]["record"]
        found = by_conversation.get(conversation["conversation_id"], [])
        descriptions = [m for m in found if m["kind"] == "description"]
        if (record.get("Description") or "").strip():
            assert [m["body"] for m in descriptions] == [record["Description"]]
            assert descriptions[0]["created_at"] == conversation["created_at"]
        else:
            assert descriptions == []
    notes = _raw("notes")
    note_rows = {m["zoho_note_id"]: m for m in messages if m["kind"] == "note"}
    customer_notes = {r["zoho_note_id"]: r for r in helpers.mart("customer_notes")}
    for note_id, row in notes.items():
        parent = row["record"].get("Parent_Id") or {}
        module = (parent.get("module") or {}).get("api_name") or row["record"].get("$se_module")
        if module in ("Deals", "Cases"):
            assert note_rows[note_id]["conversation_id"] == md5(f"{INTEGRATION}:{parent['id']}")
            assert note_rows[note_id]["created_at"] == row["created_time"]  # at the note's created time
        else:
            assert customer_notes[note_id]["customer_id"] == (
                customer_of.get(parent.get("id")) if module == "Contacts" else None
            )
    assert len(note_rows) + len(customer_notes) == len(notes)  # nothing dropped

    # Calls: direction from Call_Type.
    calls = _raw("calls")
    for row in helpers.mart("call_logs"):
        call_type = (calls[row["zoho_call_id"]]["record"].get("Call_Type") or "").strip().lower()
        assert row["direction"] == call_type
    # Tasks and meetings.
    tasks = _raw("tasks")
    for row in helpers.mart("tasks"):
        if row["kind"] == "task":
            record = tasks[row["zoho_record_id"]]["record"]
            assert row["status"] == ("completed" if record.get("Status") == "Completed" else "open")
            assert row["priority"] == priority.get((record.get("Priority") or "").strip().lower(), "medium")
    # Reconciliation: every raw row is in the marts.
    for row in helpers.mart("reconciliation"):
        if row["is_reconciled"]:
            assert row["raw_rows"] == row["mart_rows"] + row["transform_rejected_rows"], row


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_simulator_org_through_the_marts(backend, request, make_simulator):
    request.getfixturevalue("postgres_home" if backend == "postgres" else "pipeline_home")
    sim = make_simulator(seed=11)
    _import(sim)
    first = transform.run_transform()
    assert first.customers.created > 0 and first.conversations.created > 0 and first.messages.created > 0
    _check_every_mapping_rule()

    # A re-import with nothing changed in Zoho creates and updates nothing.
    _import(sim)
    again = transform.run_transform()
    assert again.customers == again.conversations == again.messages == transform.MartChanges(0, 0)

    # Records changed in Zoho change their rows.
    deal = next(r for r in helpers.mart("conversations") if r["source"] == "deal" and r["status"] != "closed")
    contact = helpers.mart("customer_sources")[0]
    sim.control.advance_clock(120)
    sim.control.update_record(
        "Deals", deal["zoho_record_id"], {"Stage": "Closed Won", "Deal_Name": "Renamed deal"}
    )
    sim.control.update_record("Contacts", contact["zoho_contact_id"], {"Email": "moved@example.com"})
    _import(sim)
    changed = transform.run_transform()
    row = next(r for r in helpers.mart("conversations") if r["conversation_id"] == deal["conversation_id"])
    assert (row["status"], row["subject"]) == ("closed", "Renamed deal")
    assert row["updated_at"] > deal["updated_at"]
    assert md5("email:moved@example.com") in helpers.mart("customers", "customer_id")
    assert changed.customers.created == 1
    assert changed.conversations.updated >= 1
    _check_every_mapping_rule()

    # The incremental result equals a full rebuild.
    incremental = helpers.business_state()
    transform.run_transform(full_refresh=True)
    assert helpers.business_state() == incremental


def test_staging_built_before_a_column_was_added_is_restaged(pipeline_home, make_simulator):
    import duckdb

    def staged_custom_fields() -> dict[str, int]:
        with duckdb.connect(str(settings.duckdb_path()), read_only=True) as connection:
            sql = "select count(custom_fields) from zoho_staging.stg_zoho__{}"
            return {model: connection.execute(sql.format(model)).fetchone()[0]
                    for model in ("contacts", "deals", "cases")}

    sim = make_simulator(seed=12, counts={"Contacts": 120, "Accounts": 10, "Deals": 40, "Cases": 20})
    _import(sim)
    transform.run_transform()
    built, staged = helpers.business_state(), staged_custom_fields()
    assert all(staged.values())

    # the staging tables of an older version, before custom fields were parsed in staging
    with duckdb.connect(str(settings.duckdb_path())) as connection:
        for model in staged:
            connection.execute(f"alter table zoho_staging.stg_zoho__{model} drop column custom_fields")
    transform.run_transform()
    assert staged_custom_fields() == staged
    assert helpers.business_state() == built
