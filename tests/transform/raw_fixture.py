"""A small hand-written Zoho org loaded into zoho_raw.* with dlt, shaped exactly as docs/architecture.md.

Used to test the dbt mapping rules without the extractor and the simulator: every row here exercises
one rule (dedup winner, contacts without email, stage fallback, case status/priority, ticket customer
by email, description ordering, call direction, notes on non-deal parents, deletions, custom fields).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

A = "int-a"
B = "int-b"


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def record_row(integration_id: str, record: dict) -> dict:
    return {
        "integration_id": integration_id,
        "id": record["id"],
        "created_time": _utc(record["Created_Time"]),
        "modified_time": _utc(record["Modified_Time"]),
        "record": record,
        "_extracted_at": datetime(2024, 7, 1, tzinfo=UTC),
    }


def _owner(name="Patricia Boyle", email="p@zylker.com"):
    return {"name": name, "id": "900", "email": email}


def sample_org() -> dict[str, list[dict]]:
    """Raw rows per zoho_raw table."""
    contacts = [
        (
            A,
            {
                "id": "c1",
                "Email": " Ann@Example.com ",
                "First_Name": "Ann",
                "Last_Name": "Old",
                "Phone": "111",
                "Mobile": "999",
                "Title": "CTO",
                "Account_Name": {"name": "Zylker", "id": "acc1"},
                "Favourite_Color__c": "blue",
                "Score__c": 7,
                "Created_Time": "2024-01-01T10:00:00+05:30",
                "Modified_Time": "2024-01-02T10:00:00+05:30",
                "Created_By": _owner(),
                "$state": "save",
            },
        ),
        (
            B,
            {
                "id": "c2",
                "Email": "ann@example.com",
                "First_Name": "Annie",
                "Last_Name": "New",
                "Phone": None,
                "Mobile": "222",
                "Title": "CEO",
                "Account_Name": {"name": "Acme", "id": "acc9"},
                "Loyalty__c": ["gold"],
                "Created_Time": "2024-01-03T00:00:00+00:00",
                "Modified_Time": "2024-01-05T00:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "c3",
                "Email": None,
                "First_Name": "No",
                "Last_Name": "Mail",
                "Phone": "333",
                "Account_Name": None,
                "Favourite_Color__c": None,
                "Created_Time": "2024-01-01T00:00:00-07:00",
                "Modified_Time": "2024-01-01T00:00:00-07:00",
            },
        ),
        (
            A,
            {
                "id": "c4",
                "Email": "  ",
                "First_Name": "Blank",
                "Last_Name": "Mail",
                "Created_Time": "2024-01-01T00:00:00+00:00",
                "Modified_Time": "2024-01-01T00:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "c5",
                "Email": "bob@example.com",
                "First_Name": "Bob",
                "Last_Name": "Gone",
                "Created_Time": "2024-01-01T00:00:00+00:00",
                "Modified_Time": "2024-01-01T00:00:00+00:00",
            },
        ),
    ]
    deals = [
        (
            A,
            {
                "id": "d1",
                "Deal_Name": "Mega Deal",
                "Stage": "Negotiation/Review",
                "Pipeline": "Standard (Standard)",
                "Amount": 25000,
                "Probability": 90,
                "Closing_Date": "2024-07-31",
                "Region__c": "EMEA",
                "Contact_Name": {"name": "Ann", "id": "c1"},
                "Description": "The deal's description",
                "Created_By": _owner(),
                "Created_Time": "2024-05-20T09:00:00+05:30",
                "Modified_Time": "2024-06-01T11:12:13+05:30",
            },
        ),
        (
            A,
            {
                "id": "d2",
                "Deal_Name": "Custom won",
                "Stage": "Signed Off",
                "Pipeline": "Standard (Standard)",
                "Amount": 1,
                "Probability": 100,
                "Closing_Date": None,
                "Contact_Name": {"name": "No", "id": "c3"},
                "Description": "",
                "Created_Time": "2024-05-20T09:00:00+00:00",
                "Modified_Time": "2024-05-21T09:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "d3",
                "Deal_Name": "Lost",
                "Stage": "  closed LOST ",
                "Pipeline": "Standard (Standard)",
                "Amount": None,
                "Contact_Name": None,
                "Description": None,
                "Created_Time": "2024-05-20T09:00:00+00:00",
                "Modified_Time": "2024-05-21T09:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "d4",
                "Deal_Name": "Unknown stage",
                "Stage": "Brand New Stage",
                "Pipeline": "Other",
                "Created_Time": "2024-05-20T09:00:00+00:00",
                "Modified_Time": "2024-05-21T09:00:00+00:00",
            },
        ),
    ]
    cases = [
        (
            A,
            {
                "id": "k1",
                "Subject": "Printer",
                "Status": "On Hold",
                "Priority": "Highest",
                "Case_Number": "1001",
                "Case_Origin": "Email",
                "Related_To": {"name": "No Mail", "id": "c3"},
                "Email": "ann@example.com",
                "Description": "It is broken",
                "Created_By": _owner("Sam", "sam@zylker.com"),
                "Created_Time": "2023-10-24T15:32:55+05:30",
                "Modified_Time": "2023-10-25T09:01:00+05:30",
            },
        ),
        (
            A,
            {
                "id": "k2",
                "Subject": "By email",
                "Status": " escalated",
                "Priority": "normal",
                "Case_Number": "1002",
                "Related_To": None,
                "Email": "ANN@example.com ",
                "Created_Time": "2023-10-24T15:32:55+05:30",
                "Modified_Time": "2023-10-25T09:01:00+05:30",
            },
        ),
        (
            A,
            {
                "id": "k3",
                "Subject": "Odd",
                "Status": "Waiting on Moon",
                "Priority": "",
                "Case_Number": "1003",
                "Related_To": None,
                "Email": "nobody@example.com",
                "Created_Time": "2023-10-24T15:32:55+05:30",
                "Modified_Time": "2023-10-25T09:01:00+05:30",
            },
        ),
        (
            B,
            {
                "id": "k4",
                "Subject": "Closed one",
                "Status": "Closed",
                "Priority": "Bananas",
                "Case_Number": "7",
                "Related_To": None,
                "Email": None,
                "Created_Time": "2023-10-24T15:32:55+05:30",
                "Modified_Time": "2023-10-25T09:01:00+05:30",
            },
        ),
    ]
    notes = [
        (
            A,
            {
                "id": "n1",
                "Note_Title": "Call back",
                "Note_Content": "Discussed price",
                "Parent_Id": {"module": {"api_name": "Deals", "id": "m1"}, "name": "Mega Deal", "id": "d1"},
                "Created_By": _owner(),
                "Created_Time": "2024-05-21T09:00:00+00:00",
                "Modified_Time": "2024-05-21T09:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "n2",
                "Note_Title": None,
                "Note_Content": "Likes golf",
                "Parent_Id": {"module": {"api_name": "Contacts", "id": "m2"}, "name": "Ann", "id": "c1"},
                "Created_Time": "2024-05-21T09:00:00+00:00",
                "Modified_Time": "2024-05-21T09:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "n3",
                "Note_Title": "Account",
                "Note_Content": "Big account",
                "Parent_Id": {"module": {"api_name": "Accounts", "id": "m3"}, "name": "Zylker", "id": "acc1"},
                "Created_Time": "2024-05-21T09:00:00+00:00",
                "Modified_Time": "2024-05-21T09:00:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "n4",
                "Note_Title": "Case note",
                "Note_Content": "Sent a technician",
                "Parent_Id": {"name": "Printer", "id": "k1"},
                "$se_module": "Cases",
                "Created_Time": "2023-10-26T09:00:00+00:00",
                "Modified_Time": "2023-10-26T09:00:00+00:00",
            },
        ),
    ]
    calls = [
        (
            A,
            {
                "id": "call1",
                "Subject": "In",
                "Call_Type": "Inbound",
                "Call_Start_Time": "2021-02-23T13:30:00+05:30",
                "Call_Duration": "10:00",
                "Call_Duration_in_seconds": 600,
                "Who_Id": {"name": "Ann", "id": "c1"},
                "What_Id": {"name": "Mega Deal", "id": "d1"},
                "$se_module": "Deals",
                "Description": "hello",
                "Created_Time": "2021-02-23T13:31:00+05:30",
                "Modified_Time": "2021-02-23T13:31:00+05:30",
            },
        ),
        (
            A,
            {
                "id": "call2",
                "Subject": "Out",
                "Call_Type": " outbound",
                "Call_Start_Time": "2021-02-23T13:30:00+00:00",
                "Call_Duration": "05:30",
                "Who_Id": None,
                "What_Id": {"name": "Zylker", "id": "acc1"},
                "$se_module": "Accounts",
                "Created_Time": "2021-02-23T13:31:00+00:00",
                "Modified_Time": "2021-02-23T13:31:00+00:00",
            },
        ),
        (
            A,
            {
                "id": "call3",
                "Subject": "Missed",
                "Call_Type": "Missed",
                "Call_Start_Time": "2021-02-23T13:30:00+00:00",
                "Call_Duration": "00:00",
                "Call_Duration_in_seconds": 0,
                "Who_Id": {"name": "No", "id": "c3"},
                "Created_Time": "2021-02-23T13:31:00+00:00",
                "Modified_Time": "2021-02-23T13:31:00+00:00",
            },
        ),
    ]
    tasks = [
        (
            A,
            {
                "id": "t1",
                "Subject": "Follow up",
                "Due_Date": "2024-06-10",
                "Status": "Completed",
                "Priority": "High",
                "What_Id": {"name": "Printer", "id": "k1"},
                "$se_module": "Cases",
                "Who_Id": {"name": "Ann", "id": "c1"},
                "Created_Time": "2024-06-03T10:00:00+05:30",
                "Modified_Time": "2024-06-03T10:00:00+05:30",
            },
        ),
        (
            A,
            {
                "id": "t2",
                "Subject": "Later",
                "Due_Date": None,
                "Status": "Not Started",
                "Priority": None,
                "Created_Time": "2024-06-03T10:00:00+05:30",
                "Modified_Time": "2024-06-03T10:00:00+05:30",
            },
        ),
    ]
    events = [
        (
            A,
            {
                "id": "e1",
                "Event_Title": "Demo",
                "Start_DateTime": "2024-06-05T10:00:00+02:00",
                "End_DateTime": "2024-06-05T11:00:00+02:00",
                "Who_Id": {"name": "Annie", "id": "c2"},
                "What_Id": {"name": "Mega Deal", "id": "d1"},
                "$se_module": "Deals",
                "Created_Time": "2024-06-01T10:00:00+00:00",
                "Modified_Time": "2024-06-01T10:00:00+00:00",
            },
        ),
    ]
    rows: dict[str, list[dict]] = {
        "contacts": [record_row(i, r) for i, r in contacts[:4]] + [record_row(A, contacts[4][1])],
        "accounts": [
            record_row(
                A,
                {
                    "id": "acc1",
                    "Account_Name": "Zylker",
                    "Created_Time": "2024-01-01T00:00:00+00:00",
                    "Modified_Time": "2024-01-01T00:00:00+00:00",
                },
            )
        ],
        "deals": [record_row(i, r) for i, r in deals],
        "cases": [record_row(i, r) for i, r in cases],
        "notes": [record_row(i, r) for i, r in notes],
        "calls": [record_row(i, r) for i, r in calls],
        "tasks": [record_row(i, r) for i, r in tasks],
        "events": [record_row(i, r) for i, r in events],
    }
    rows["contacts"][1]["integration_id"] = B
    rows["deleted_records"] = [
        {
            "integration_id": A,
            "module": "Contacts",
            "id": "c5",
            "deleted_at": _utc("2024-02-01T00:00:00+00:00"),
            "deletion_type": "recycle",
            "display_name": "Bob Gone",
        },
    ]
    rows["fields"] = [
        {
            "integration_id": i,
            "module": m,
            "api_name": n,
            "field_label": n,
            "data_type": "text",
            "json_type": "string",
            "is_custom_field": c,
            "lookup_module": None,
        }
        for i, m, n, c in [
            (A, "Contacts", "Favourite_Color__c", True),
            (A, "Contacts", "Score__c", True),
            (A, "Contacts", "Email", False),
            (B, "Contacts", "Loyalty__c", True),
            (A, "Deals", "Region__c", True),
            (A, "Deals", "Deal_Name", False),
        ]
    ]
    rows["deal_stages"] = [
        {
            "integration_id": A,
            "pipeline_name": "Standard (Standard)",
            "stage": s,
            "display_value": s,
            "forecast_type": f,
            "forecast_category": None,
            "sequence_number": n,
        }
        for n, (s, f) in enumerate(
            [
                ("Qualification", "Open"),
                ("Signed Off", "Closed Won"),
                ("Closed Lost", "Closed Lost"),
                ("Brand New Stage", "Open"),
            ]
        )
    ]
    rows["record_counts"] = [
        {"integration_id": A, "module": m, "record_count": n, "counted_at": _utc("2024-07-01T00:00:00+00:00")}
        for m, n in [
            ("Contacts", 3),
            ("Deals", 5),
            ("Cases", 3),
            ("Notes", 4),
            ("Calls", 3),
            ("Tasks", 2),
            ("Events", 1),
        ]
    ]
    rows["rejects"] = [
        {
            "integration_id": A,
            "import_id": "imp1",
            "module": "Deals",
            "record_id": "d99",
            "reason": "bad json",
            "payload": "{}",
            "rejected_at": _utc("2024-07-01T00:00:00+00:00"),
        },
        {
            "integration_id": A,
            "import_id": "imp1",
            "module": "Deals",
            "record_id": "d1",
            "reason": "retried",
            "payload": "{}",
            "rejected_at": _utc("2024-07-01T00:00:00+00:00"),
        },
    ]
    return copy.deepcopy(rows)


PRIMARY_KEYS = {
    "deleted_records": ("integration_id", "module", "id"),
    "fields": ("integration_id", "module", "api_name"),
    "deal_stages": ("integration_id", "pipeline_name", "stage"),
    "record_counts": ("integration_id", "module"),
    "rejects": None,
}
TIMESTAMP_COLUMNS = (
    "created_time",
    "modified_time",
    "_extracted_at",
    "deleted_at",
    "counted_at",
    "rejected_at",
)


def load_raw(
    tables: dict[str, list[dict]],
    pipelines_dir: Path,
    *,
    destination: str = "duckdb",
    duckdb_path: Path | None = None,
    postgres_url: str | None = None,
) -> None:
    """Merge these rows into zoho_raw.* as the extractor would (one dlt load)."""
    import dlt

    if destination == "duckdb":
        dest = dlt.destinations.duckdb(credentials=str(duckdb_path))
    else:
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        credentials = PostgresCredentials(postgres_url)
        if credentials.password is None:  # trust auth: dlt insists on a password field
            credentials.password = ""
        dest = dlt.destinations.postgres(credentials=credentials)
    resources = []
    for table, rows in tables.items():
        key = PRIMARY_KEYS.get(table, ("integration_id", "id"))
        columns = {name: {"data_type": "timestamp", "timezone": True} for name in TIMESTAMP_COLUMNS}
        columns = {name: hint for name, hint in columns.items() if rows and name in rows[0]}
        if table not in PRIMARY_KEYS:
            columns["record"] = {"data_type": "json"}
        for name in ("integration_id", "id", "module", "record_id", "api_name", "stage", "pipeline_name"):
            if rows and name in rows[0]:
                columns[name] = {"data_type": "text", "nullable": name == "record_id"}
        for name in rows[0] if rows else ():
            if name not in columns and all(row.get(name) is None for row in rows):
                columns[name] = {"data_type": "text", "nullable": True}
        resources.append(
            dlt.resource(
                rows,
                name=table,
                write_disposition="append" if key is None else "merge",
                primary_key=key,
                columns=columns,
            )
        )
    pipeline = dlt.pipeline(
        pipeline_name="zoho_raw_fixture",
        destination=dest,
        dataset_name="zoho_raw",
        pipelines_dir=str(pipelines_dir),
    )
    pipeline.run(resources)
