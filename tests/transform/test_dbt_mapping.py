"""The dbt project on a hand-written raw org (tests/transform/raw_fixture.py), on DuckDB and Postgres.

One test per backend runs: full build -> every mapping rule checked on the marts -> a re-run changes
nothing -> changes in Zoho (a contact changing email, a deal changing stage, a description emptied, a
deletion) -> the incremental build equals a full rebuild.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
from datetime import UTC, datetime

import pytest

from tests.transform import helpers
from tests.transform.raw_fixture import A, B, load_raw, record_row, sample_org
from zoho_pipeline import settings, transform
from zoho_pipeline.errors import UserError


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


ANN = md5("email:ann@example.com")


def _load(rows) -> None:
    load_raw(
        rows,
        settings.pipelines_dir(),
        destination=settings.destination(),
        duckdb_path=settings.duckdb_path() if settings.destination() == "duckdb" else None,
        postgres_url=settings.postgres_url() if settings.destination() == "postgres" else None,
    )


def _check_mapping_rules() -> None:
    customers = helpers.mart("customers", "customer_id")
    sources = {(r["integration_id"], r["zoho_contact_id"]): r for r in helpers.mart("customer_sources")}
    # Every contact exactly once; same normalized email across accounts -> one customer.
    assert len(sources) == 5
    assert sources[(A, "c1")]["customer_id"] == sources[(B, "c2")]["customer_id"] == ANN
    # The most recently modified contact (c2, in the other Zoho account) gives the values.
    ann = customers[ANN]
    assert (ann["email"], ann["first_name"], ann["last_name"], ann["company"], ann["job_title"]) == (
        "ann@example.com",
        "Annie",
        "New",
        "Acme",
        "CEO",
    )
    assert ann["phone"] == "222"  # Phone empty -> Mobile
    assert ann["custom_fields"] == {"zoho_loyalty__c": ["gold"]}
    assert ann["created_at"] == datetime(2024, 1, 1, 4, 30, tzinfo=UTC)  # earliest contact, in UTC
    # Contacts without an email (null or blank) are one customer each.
    assert sources[(A, "c3")]["customer_id"] == md5(f"{A}:c3")
    assert sources[(A, "c4")]["customer_id"] == md5(f"{A}:c4")
    assert customers[md5(f"{A}:c3")]["custom_fields"] == {"zoho_favourite_color__c": None}
    # Deleted in Zoho: kept, flagged.
    assert customers[md5("email:bob@example.com")]["is_deleted"] is True
    assert len(customers) == 4

    conversations = {r["zoho_record_id"]: r for r in helpers.mart("conversations")}
    assert conversations["d1"]["status"] == "pending"  # seed
    assert conversations["d2"]["status"] == "closed"  # not in seed, forecast type Closed Won
    assert conversations["d3"]["status"] == "closed"  # seed, trimmed and case-insensitive
    assert conversations["d4"]["status"] == "open"  # unknown everywhere
    assert conversations["d1"]["priority"] is None
    assert conversations["d1"]["customer_id"] == ANN
    assert conversations["d1"]["metadata"] == {
        "dealAmount": 25000,
        "closingDate": "2024-07-31",
        "stage": "Negotiation/Review",
        "probability": 90,
    }
    assert conversations["d1"]["custom_fields"] == {"zoho_region__c": "EMEA"}
    assert (conversations["k1"]["status"], conversations["k1"]["priority"]) == ("pending", "urgent")
    assert (conversations["k2"]["status"], conversations["k2"]["priority"]) == ("open", "medium")
    assert (conversations["k3"]["status"], conversations["k3"]["priority"]) == ("open", "medium")
    assert (conversations["k4"]["status"], conversations["k4"]["priority"]) == ("closed", "medium")
    assert conversations["k1"]["customer_id"] == md5(f"{A}:c3")  # Related_To wins over Email
    assert conversations["k2"]["customer_id"] == ANN  # no Related_To: by the case's Email
    assert conversations["k3"]["customer_id"] is None  # nobody has that email
    assert conversations["k1"]["metadata"] == {
        "zohoStatus": "On Hold",
        "zohoPriority": "Highest",
        "caseNumber": "1001",
        "caseOrigin": "Email",
    }

    messages = sorted(
        (
            m
            for m in helpers.mart("messages")
            if m["conversation_id"] == conversations["d1"]["conversation_id"]
        ),
        key=lambda m: (m["created_at"], m["kind"] != "description"),
    )
    assert [m["kind"] for m in messages] == ["description", "note"]
    assert messages[0]["created_at"] == conversations["d1"]["created_at"]
    assert messages[0]["body"] == "The deal's description"
    assert messages[1]["zoho_note_id"] == "n1"
    assert {m["zoho_note_id"] for m in helpers.mart("messages")} == {None, "n1", "n4"}  # n4: $se_module Cases

    notes = {r["zoho_note_id"]: r for r in helpers.mart("customer_notes")}
    assert notes["n2"]["customer_id"] == ANN
    assert (notes["n3"]["parent_module"], notes["n3"]["customer_id"]) == ("Accounts", None)

    calls = {r["zoho_call_id"]: r for r in helpers.mart("call_logs")}
    assert {k: (v["direction"], v["duration_seconds"]) for k, v in calls.items()} == {
        "call1": ("inbound", 600),
        "call2": ("outbound", 330),
        "call3": ("missed", 0),
    }
    assert calls["call1"]["conversation_id"] == conversations["d1"]["conversation_id"]
    assert calls["call2"]["conversation_id"] is None  # What_Id is an account

    tasks = {r["zoho_record_id"]: r for r in helpers.mart("tasks")}
    assert (tasks["t1"]["kind"], tasks["t1"]["status"], tasks["t1"]["priority"]) == (
        "task",
        "completed",
        "high",
    )
    assert tasks["t1"]["due_at"] == datetime(2024, 6, 10, tzinfo=UTC)
    assert (tasks["t2"]["status"], tasks["t2"]["priority"]) == ("open", "medium")
    assert (tasks["e1"]["kind"], tasks["e1"]["due_at"], tasks["e1"]["ends_at"]) == (
        "meeting",
        datetime(2024, 6, 5, 8, tzinfo=UTC),
        datetime(2024, 6, 5, 9, tzinfo=UTC),
    )

    reconciliation = {(r["integration_id"], r["module"]): r for r in helpers.mart("reconciliation")}
    deals = reconciliation[(A, "Deals")]
    assert (deals["raw_rows"], deals["mart_rows"], deals["extract_rejected_rows"]) == (4, 4, 1)


def _change_things_in_zoho():
    """A second load: what an incremental import brings after edits in Zoho."""
    later = datetime(2024, 8, 1, tzinfo=UTC)
    org = sample_org()

    def changed(table, record_id, **values):
        row = next(r for r in org[table] if r["id"] == record_id)
        record = copy.deepcopy(row["record"])
        record.update(values)
        record["Modified_Time"] = "2024-08-01T00:00:00+00:00"
        new = record_row(row["integration_id"], record)
        new["_extracted_at"] = later
        return new

    return {
        "contacts": [
            changed("contacts", "c2", Email="annie@new.example.com"),  # leaves Ann's customer (now c1 only)
            changed("contacts", "c3", Email="bob@example.com"),  # joins deleted Bob's customer, revives it
        ],
        "deals": [
            changed("deals", "d1", Stage="Closed Won", Description=""),  # status and emptied description
        ],
        "cases": [changed("cases", "k3", Email="annie@new.example.com")],
        "deleted_records": [
            {
                "integration_id": A,
                "module": "Notes",
                "id": "n1",
                "deleted_at": later,
                "deletion_type": "recycle",
                "display_name": None,
            },
        ],
    }


def _check_incremental_equals_full_rebuild() -> None:
    incremental = helpers.business_state()
    rebuilt = transform.run_transform(full_refresh=True)
    assert helpers.business_state() == incremental
    # Each rebuilt row is compared with its previous version: nothing new, nothing changed.
    assert rebuilt.customers == rebuilt.conversations == rebuilt.messages == transform.MartChanges(0, 0)


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_mapping_rules_and_incremental_builds(backend, request):
    request.getfixturevalue("postgres_home" if backend == "postgres" else "pipeline_home")
    _load(sample_org())

    first = transform.run_transform()
    assert (first.customers.created, first.conversations.created, first.messages.created) == (4, 8, 4)
    _check_mapping_rules()

    again = transform.run_transform()
    assert again.customers == again.conversations == again.messages == transform.MartChanges(0, 0)

    _load(_change_things_in_zoho())
    changed = transform.run_transform()
    conversations = {r["zoho_record_id"]: r for r in helpers.mart("conversations")}
    assert conversations["d1"]["status"] == "closed"
    assert conversations["k3"]["customer_id"] == md5("email:annie@new.example.com")
    customers = helpers.mart("customers", "customer_id")
    assert customers[ANN]["first_name"] == "Ann"  # c1 is the only contact left
    assert customers[md5("email:annie@new.example.com")]["first_name"] == "Annie"
    bob = customers[md5("email:bob@example.com")]
    assert (bob["first_name"], bob["is_deleted"]) == ("No", False)  # live c3 wins over deleted c5
    assert md5(f"{A}:c3") not in customers  # c3's own customer is gone
    messages = {m["zoho_note_id"] or m["kind"] + m["conversation_id"]: m for m in helpers.mart("messages")}
    assert "description" + conversations["d1"]["conversation_id"] not in messages
    assert messages["n1"]["is_deleted"] is True
    # Changes counted per row: Annie new; Ann, Bob updated; c3's own customer deleted (not counted).
    assert changed.customers == transform.MartChanges(created=1, updated=2)
    # d1 (stage), k3 (its email now has a customer), d2 and k1 (their contact c3 moved to Bob's customer).
    assert changed.conversations == transform.MartChanges(created=0, updated=4)
    assert changed.messages == transform.MartChanges(
        created=0, updated=1
    )  # n1 deleted; d1's description dropped
    _check_incremental_equals_full_rebuild()


def test_dbt_unit_tests_of_the_mapping_rules(pipeline_home):
    _load(sample_org())
    result = transform.run_unit_tests()
    unit_tests = [r for r in result.result.results if r.node.resource_type == "unit_test"]
    assert len(unit_tests) >= 11
    assert all(str(r.status) == "pass" for r in unit_tests)


def test_source_freshness_from_dlt_loads(pipeline_home):
    _load(sample_org())
    result = transform.run_dbt("source freshness")
    statuses = {r.node.name: str(r.status) for r in result.result.results}
    assert statuses["contacts"] == "pass" and statuses["_dlt_loads"] == "pass"


def test_build_failure_names_the_failing_test(pipeline_home, tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(
        settings.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
    )
    (project / "tests" / "assert_always_fails.sql").write_text("select 1 as broken\n")
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", project)
    _load(sample_org())
    with pytest.raises(UserError, match="assert_always_fails"):
        transform.run_transform()
