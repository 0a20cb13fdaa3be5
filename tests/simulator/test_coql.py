"""COQL subset: selection, criteria, ordering, limits, key-set paging, errors, credits."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.simulator.helpers import assert_error, get, session


def _coql(http, query: str):
    return http.post(f"{http.base}/crm/v8/coql", json={"select_query": query}, timeout=30)


@pytest.fixture
def http(simulator):
    return session(simulator)


def test_select_where_order_limit(simulator, http):
    response = _coql(
        http,
        "select Last_Name, Email, Account_Name, Account_Name.Account_Name, Modified_Time "
        "from Contacts where Modified_Time >= '2019-01-01T00:00:00Z' "
        "order by Modified_Time asc, id asc limit 10",
    )
    body = response.json()
    assert set(body["info"]) == {"count", "more_records"} and body["info"]["count"] == 10
    assert body["info"]["more_records"] is True
    rows = body["data"]
    times = [datetime.fromisoformat(r["Modified_Time"]) for r in rows]
    assert times == sorted(times)
    with_account = [r for r in rows if r["Account_Name"]]
    assert with_account and all(set(r["Account_Name"]) == {"id"} for r in with_account)
    assert all(isinstance(r["Account_Name.Account_Name"], str) for r in with_account)
    assert all(
        set(r) == {"Last_Name", "Email", "Account_Name", "Account_Name.Account_Name", "Modified_Time", "id"}
        for r in rows
    )


def test_keyset_paging_walks_every_record_once(simulator, http):
    seen, cursor, last_id = [], "2000-01-01T00:00:00+00:00", "0"
    while True:
        response = _coql(
            http,
            f"select Modified_Time from Deals where ((Modified_Time > '{cursor}') or "
            f"(Modified_Time = '{cursor}' and id > {last_id})) "
            "order by Modified_Time asc, id asc limit 7",
        )
        if response.status_code == 204:
            break
        rows = response.json()["data"]
        seen += [r["id"] for r in rows]
        cursor, last_id = rows[-1]["Modified_Time"], rows[-1]["id"]
    assert len(seen) == len(set(seen)) == simulator.org.store.alive_count("Deals")


def test_operators(http):
    def ids(where):
        response = _coql(http, f"select Stage, Amount from Deals where {where} limit 2000")
        return [] if response.status_code == 204 else response.json()["data"]

    won = ids("Stage = 'Closed Won'")
    assert won and all(r["Stage"] == "Closed Won" for r in won)
    assert all(r["Stage"] != "Closed Won" for r in ids("Stage != 'Closed Won'"))
    assert {r["Stage"] for r in ids("Stage in ('Closed Won', 'Closed Lost')")} <= {
        "Closed Won",
        "Closed Lost",
    }
    assert all(r["Stage"].startswith("Closed") for r in ids("Stage like 'Closed%'"))
    assert all(1000 <= r["Amount"] <= 100000 for r in ids("Amount between 1000 and 100000"))
    assert all(r["Amount"] is None for r in ids("Amount is null"))
    assert all(r["Amount"] is not None for r in ids("Amount is not null"))
    both = ids("(Stage = 'Closed Won' and Amount > 1000)")
    assert all(r["Stage"] == "Closed Won" and r["Amount"] > 1000 for r in both)


def test_limits_offset_and_credits(simulator, http):
    total = simulator.org.store.alive_count("Contacts")
    page = _coql(http, "select Email from Contacts where id is not null limit 5, 10").json()
    assert page["info"]["count"] == 10
    everything = _coql(http, "select Email from Contacts where id is not null limit 2000").json()["data"]
    assert [r["id"] for r in everything[5:15]] == [r["id"] for r in page["data"]]
    assert len(everything) == total
    assert_error(
        _coql(http, "select Email from Contacts where id is not null limit 2001"), 400, "LIMIT_EXCEEDED"
    )
    assert_error(
        _coql(http, "select Email from Contacts where id is not null limit 200 offset 99900"),
        400,
        "LIMIT_EXCEEDED",
    )
    credits = [e["credits"] for e in simulator.control.requests(path="/crm/v8/coql") if e["status"] == 200]
    assert credits == [1, 3]


def test_errors(http):
    assert_error(_coql(http, "select Email from Contacts"), 400, "SYNTAX_ERROR")  # WHERE is mandatory
    assert_error(
        _coql(
            http,
            "select Email from Contacts where id is not null and Email is null and Last_Name is not null",
        ),
        400,
        "SYNTAX_ERROR",
    )  # three criteria need brackets
    assert _coql(
        http,
        "select Email from Contacts where ((id is not null and Email is null) and Last_Name is not null)",
    ).status_code in (200, 204)
    assert_error(_coql(http, "select Nope from Contacts where id is not null"), 400, "INVALID_QUERY")
    assert_error(_coql(http, "select Email from Leads where id is not null"), 400, "INVALID_MODULE")
    assert_error(http.post(f"{http.base}/crm/v8/coql", json={}), 400, "REQUIRED_PARAM_MISSING")
    assert_error(get(http, "/crm/v8/coql"), 400, "INVALID_REQUEST_METHOD")


def test_no_match_is_204(http):
    response = _coql(http, "select Email from Contacts where Modified_Time > '2099-01-01T00:00:00+00:00'")
    assert response.status_code == 204 and response.content == b""
