"""GET /crm/v8/{Module}: fields, paging (page, page_token), sort orders, If-Modified-Since, 204/304."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.simulator.helpers import all_fields, assert_error, get, oas_schema, session

LIST = "/crm/v8/Contacts"


def _times(data, key="Modified_Time"):
    return [datetime.fromisoformat(record[key]) for record in data]


def _walk(http, path, params, headers=None):
    """Follow next_page_token from the first page; returns (records, responses)."""
    records, responses = [], []
    params = dict(params)
    while True:
        response = get(http, path, params=params, headers=headers)
        responses.append(response)
        if response.status_code != 200:
            return records, responses
        body = response.json()
        records += body["data"]
        if not body["info"]["more_records"]:
            return records, responses
        params = {
            **{k: v for k, v in params.items() if k != "page"},
            "page_token": body["info"]["next_page_token"],
        }


@pytest.fixture(scope="module")
def big(request):
    from zoho_pipeline.simulator import Simulator

    sim = Simulator(seed=3, counts={"Contacts": 2600, "Accounts": 20}, page_token_cap=2400).start()
    request.addfinalizer(sim.stop)
    return sim


def test_only_requested_fields_plus_id_and_nulls_kept(simulator):
    http = session(simulator)
    body = get(http, LIST, params={"fields": "Email,Account_Name,Twitter", "per_page": 50}).json()
    assert all(set(record) == {"Email", "Account_Name", "Twitter", "id"} for record in body["data"])
    assert any(record["Twitter"] is None for record in body["data"])  # null fields present as null
    assert any(record["Account_Name"] is None for record in body["data"])
    account = next(r["Account_Name"] for r in body["data"] if r["Account_Name"])
    assert set(account) == {"name", "id"}


def test_info_block_has_every_key_of_zoho_info(simulator):
    http = session(simulator)
    info = get(http, LIST, params={"fields": "Email", "per_page": 10}).json()["info"]
    assert set(info) == set(oas_schema("record.json", "Info")["properties"])
    assert info["count"] == 10 and info["per_page"] == 10 and info["more_records"] is True
    assert info["sort_by"] == "id" and info["sort_order"] == "desc" and info["page"] == 1
    assert info["next_page_token"] and info["previous_page_token"] is None and info["page_token_expiry"]


def test_fields_required_and_capped_at_50(simulator):
    http = session(simulator)
    body = assert_error(get(http, LIST), 400, "REQUIRED_PARAM_MISSING")
    assert body["details"] == {"param_name": "fields"}
    many = ",".join(f"Field_{i}" for i in range(51))
    body = assert_error(get(http, LIST, params={"fields": many}), 400, "LIMIT_EXCEEDED")
    assert body["details"] == {"limit": 50, "param_name": "fields"}


def test_per_page_max_200_and_sort_by_validated(simulator):
    http = session(simulator)
    assert_error(get(http, LIST, params={"fields": "Email", "per_page": 201}), 400, "INVALID_DATA")
    body = assert_error(get(http, LIST, params={"fields": "Email", "sort_by": "Email"}), 400, "INVALID_DATA")
    assert body["details"]["supported_values"] == ["id", "Created_Time", "Modified_Time"]
    assert_error(
        get(http, LIST, params={"fields": "Email", "page": 1, "page_token": "x"}),
        400,
        "AMBIGUITY_DURING_PROCESSING",
    )


def test_unknown_module_and_url(simulator):
    http = session(simulator)
    body = assert_error(get(http, "/crm/v8/Leads", params={"fields": "Email"}), 400, "INVALID_MODULE")
    assert body["details"] == {"resource_path_index": 0}
    assert_error(get(http, "/crm/v8/Contacts/1/2/3/4"), 404, "INVALID_URL_PATTERN")


@pytest.mark.parametrize("sort_by", ["id", "Created_Time", "Modified_Time"])
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_sort_orders(simulator, sort_by, sort_order):
    http = session(simulator)
    data = get(
        http,
        LIST,
        params={"fields": "Created_Time,Modified_Time", "sort_by": sort_by, "sort_order": sort_order},
    ).json()["data"]
    keys = [int(r["id"]) for r in data] if sort_by == "id" else _times(data, sort_by)
    assert keys == sorted(keys, reverse=sort_order == "desc")
    assert len(data) == simulator.org.store.alive_count("Contacts")


def test_discrete_pages_stop_at_2000_and_tokens_go_on(big):
    http = session(big)
    params = {"fields": "Last_Name", "sort_order": "asc"}
    page10 = get(http, LIST, params={**params, "page": 10}).json()
    assert page10["info"]["more_records"] is True and len(page10["data"]) == 200
    body = assert_error(
        get(http, LIST, params={**params, "page": 11}), 400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    )
    assert body["details"] == {"limit": 2000}
    # Zoho's recipe: take page 10's token and continue without `page`.
    after = get(http, LIST, params={**params, "page_token": page10["info"]["next_page_token"]}).json()
    assert int(after["data"][0]["id"]) > int(page10["data"][-1]["id"])
    assert after["info"]["previous_page_token"] == page10["info"]["next_page_token"]


def test_token_walk_reaches_every_record_once_then_the_cap(big):
    http = session(big)
    records, responses = _walk(http, LIST, {"fields": "Last_Name"})
    alive = big.org.store.alive_count("Contacts")
    assert alive > 2400
    # page_token_cap=2400: the walk gets 2400 records, then PAGINATION_LIMIT_EXCEEDED.
    assert len(records) == 2400 == len({r["id"] for r in records})
    body = assert_error(responses[-1], 400, "PAGINATION_LIMIT_EXCEEDED")
    assert body["details"] == {"param_name": "page_token"}


def test_page_token_bound_to_params(big):
    http = session(big)
    first = get(http, LIST, params={"fields": "Last_Name"}).json()
    token = first["info"]["next_page_token"]
    for changed in (
        {"fields": "Email"},
        {"fields": "Last_Name", "per_page": 100},
        {"fields": "Last_Name", "sort_by": "Modified_Time"},
        {"fields": "Last_Name", "sort_order": "asc"},
    ):
        body = assert_error(
            get(http, LIST, params={**changed, "page_token": token}), 400, "TOKEN_BOUND_DATA_MISMATCH"
        )
        assert body["details"] == {"param_name": "page_token"}
    changed_header = {"If-Modified-Since": "2020-01-01T00:00:00+00:00"}
    assert_error(
        get(http, LIST, params={"fields": "Last_Name", "page_token": token}, headers=changed_header),
        400,
        "TOKEN_BOUND_DATA_MISMATCH",
    )
    assert get(http, LIST, params={"fields": "Last_Name", "page_token": token}).status_code == 200


def test_page_token_expires_after_24_hours_and_is_per_org(big):
    http = session(big)
    token = get(http, LIST, params={"fields": "Last_Name"}).json()["info"]["next_page_token"]
    other = big.add_org(seed=9, counts={"Contacts": 5})
    other_http = session(big, other)
    assert_error(
        get(other_http, LIST, params={"fields": "Last_Name", "page_token": token}), 400, "INVALID_DATA"
    )
    big.control.advance_clock(86401)
    http = session(big)  # the old access token expired too
    body = assert_error(
        get(http, LIST, params={"fields": "Last_Name", "page_token": token}), 400, "EXPIRED_VALUE"
    )
    assert body["message"] == "Page token expired"


def test_if_modified_since_filters_and_answers_304(simulator):
    http = session(simulator)
    data = get(http, LIST, params={"fields": "Modified_Time", "sort_by": "Modified_Time"}).json()["data"]
    cutoff = _times(data)[len(data) // 2]
    header = {"If-Modified-Since": cutoff.isoformat()}
    recent = get(http, LIST, params={"fields": "Modified_Time"}, headers=header)
    assert recent.status_code == 200
    times = _times(recent.json()["data"])
    assert times and min(times) >= cutoff
    assert len(times) == sum(t >= cutoff for t in _times(data))
    future = {"If-Modified-Since": "2099-01-01T00:00:00+05:30"}
    not_modified = get(http, LIST, params={"fields": "Modified_Time"}, headers=future)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert_error(
        get(http, LIST, params={"fields": "Email"}, headers={"If-Modified-Since": "yesterday"}),
        400,
        "INVALID_DATA",
    )


def test_empty_module_answers_204_without_body(make_simulator):
    sim = make_simulator(counts={"Contacts": 0, "Deals": 3})
    response = get(session(sim), LIST, params={"fields": "Email"})
    assert response.status_code == 204 and response.content == b""


def test_single_record_and_unknown_id(simulator):
    http = session(simulator)
    first = get(http, LIST, params={"fields": "Email", "per_page": 1}).json()["data"][0]
    one = get(http, f"{LIST}/{first['id']}").json()
    assert "info" not in one and len(one["data"]) == 1
    record = one["data"][0]
    assert record["id"] == first["id"] and set(record) >= set(all_fields(simulator, "Contacts").split(","))
    assert get(http, f"{LIST}/1234567890123456789").status_code == 204


def test_count_and_notes_endpoints(simulator):
    http = session(simulator)
    count = get(http, "/crm/v8/Contacts/actions/count").json()
    assert count == {"count": simulator.org.store.alive_count("Contacts")}
    notes = get(http, "/crm/v8/Notes", params={"fields": "Parent_Id,Note_Title"}).json()
    assert notes["info"]["sort_order"] == "asc"
    parent = notes["data"][0]["Parent_Id"]
    assert set(parent) == {"module", "name", "id"} and set(parent["module"]) == {"api_name", "id"}
    of_record = get(
        http,
        f"/crm/v8/{parent['module']['api_name']}/{parent['id']}/Notes",
        params={"fields": "Note_Title,Parent_Id"},
    )
    assert of_record.status_code == 200
    assert all(n["Parent_Id"]["id"] == parent["id"] for n in of_record.json()["data"])


def test_deleted_records(simulator):
    http = session(simulator)
    body = get(http, "/crm/v8/Contacts/deleted", params={"type": "all"}).json()
    assert body["data"] and set(body["info"]) == {"per_page", "count", "page", "more_records"}
    required = set(oas_schema("record.json", "Deleted_Record")["properties"])
    for entry in body["data"]:
        assert set(entry) == required
        if entry["type"] == "permanent":
            assert entry["deleted_by"] is None and entry["display_name"] is None
    kinds = {e["type"] for e in body["data"]}
    for kind in kinds:
        only = get(http, "/crm/v8/Contacts/deleted", params={"type": kind}).json()["data"]
        assert {e["type"] for e in only} == {kind}
    assert_error(get(http, "/crm/v8/Contacts/deleted", params={"type": "gone"}), 400, "PATTERN_NOT_MATCHED")
    # Deleted records are not listed.
    listed = {r["id"] for r in get(http, LIST, params={"fields": "Email"}).json()["data"]}
    assert not listed & {e["id"] for e in body["data"]}
    future = {"If-Modified-Since": "2099-01-01T00:00:00+00:00"}
    assert get(http, "/crm/v8/Contacts/deleted", headers=future).status_code == 304


def test_ids_parameter_and_unknown_cvid(simulator):
    http = session(simulator)
    some = get(http, LIST, params={"fields": "Email", "per_page": 5}).json()["data"]
    chosen = [some[0]["id"], some[3]["id"]]
    body = get(http, LIST, params={"fields": "Email", "ids": ",".join(chosen)}).json()
    assert [r["id"] for r in body["data"]] == chosen and body["info"]["more_records"] is False
    assert_error(get(http, LIST, params={"fields": "Email", "cvid": "123"}), 400, "INVALID_DATA")
