"""Control API: record changes show up through Zoho's endpoints; custom fields; clock; log; orgs."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.simulator.helpers import get, session

LIST = "/crm/v8/Contacts"


def test_create_update_delete_are_visible_through_the_api(simulator):
    control = simulator.control
    http = session(simulator)
    before = datetime.fromtimestamp(control.now()).astimezone()
    account = get(http, "/crm/v8/Accounts", params={"fields": "Account_Name", "per_page": 1}).json()["data"][
        0
    ]
    created = control.create_record(
        "Contacts", {"Last_Name": "Zeta", "Email": "zeta@example.com", "Account_Name": account["id"]}
    )
    assert created["Account_Name"] == {"name": account["Account_Name"], "id": account["id"]}
    assert created["Full_Name"] == "Zeta" and created["First_Name"] is None
    header = {"If-Modified-Since": (before - timedelta(seconds=1)).isoformat()}
    fresh = get(http, LIST, params={"fields": "Email,Last_Name"}, headers=header).json()["data"]
    assert [r["id"] for r in fresh] == [created["id"]]

    victim = get(http, LIST, params={"fields": "Email", "per_page": 1, "sort_order": "asc"}).json()["data"][0]
    control.advance_clock(5)
    updated = control.update_record("Contacts", victim["id"], {"Email": "changed@example.com"})
    assert datetime.fromisoformat(updated["Modified_Time"]) > before
    fresh = get(http, LIST, params={"fields": "Email"}, headers=header).json()["data"]
    assert {r["id"] for r in fresh} == {created["id"], victim["id"]}

    control.delete_record("Contacts", victim["id"])
    assert get(http, f"{LIST}/{victim['id']}").status_code == 204
    deleted = get(http, "/crm/v8/Contacts/deleted", params={"type": "recycle"}, headers=header).json()["data"]
    assert [d["id"] for d in deleted] == [victim["id"]]
    assert deleted[0]["display_name"] is not None


def test_renaming_an_account_renames_lookups(simulator):
    http = session(simulator)
    contact = next(
        r for r in get(http, LIST, params={"fields": "Account_Name"}).json()["data"] if r["Account_Name"]
    )
    simulator.control.update_record(
        "Accounts", contact["Account_Name"]["id"], {"Account_Name": "Renamed Ltd"}
    )
    again = get(http, f"{LIST}/{contact['id']}").json()["data"][0]
    assert again["Account_Name"]["name"] == "Renamed Ltd"


def test_custom_field_with_values_or_null_and_fields_cap(simulator):
    control = simulator.control
    http = session(simulator)
    control.add_custom_field("Deals", "Partner_Code", "text", fill="values")
    control.add_custom_field("Deals", "Churn_Risk", "picklist", picklist=["Low", "High"], fill="null")
    fields = {
        f["api_name"]: f
        for f in get(http, "/crm/v8/settings/fields", params={"module": "Deals"}).json()["fields"]
    }
    assert fields["Partner_Code"]["custom_field"] is True
    assert [v["actual_value"] for v in fields["Churn_Risk"]["pick_list_values"]] == ["-None-", "Low", "High"]
    data = get(http, "/crm/v8/Deals", params={"fields": "Stage,Partner_Code,Churn_Risk"}).json()["data"]
    assert any(r["Partner_Code"] for r in data) and all(r["Churn_Risk"] is None for r in data)
    # Enough custom fields to pass 50: metadata lists them all, but one call can only ask for 50.
    for i in range(20):
        control.add_custom_field("Deals", f"Extra_{i}", "integer")
    names = [
        f["api_name"]
        for f in get(http, "/crm/v8/settings/fields", params={"module": "Deals"}).json()["fields"]
    ]
    assert len(names) > 50
    assert get(http, "/crm/v8/Deals", params={"fields": ",".join(names[:50])}).status_code == 200
    assert get(http, "/crm/v8/Deals", params={"fields": ",".join(names[:51])}).status_code == 400


def test_request_log_and_reset(simulator):
    http = session(simulator)
    get(http, LIST, params={"fields": "Email", "per_page": 3})
    entries = simulator.control.requests()
    crm = [e for e in entries if e["path"] == LIST]
    assert crm[0]["query"] == {"fields": "Email", "per_page": "3"} and crm[0]["records"] == 3
    assert any(e["path"] == "/oauth/v2/token" for e in entries)
    simulator.control.reset_requests()
    assert simulator.control.requests() == []


def test_two_orgs_are_isolated(simulator):
    other = simulator.add_org(seed=7, counts={"Contacts": 4}, name="Second Co")
    assert other.client_id != simulator.org.client_id
    mine = get(session(simulator), LIST, params={"fields": "Email"}).json()["data"]
    theirs = get(session(simulator, other), LIST, params={"fields": "Email"}).json()["data"]
    assert len(theirs) == other.store.alive_count("Contacts") and not {r["id"] for r in mine} & {
        r["id"] for r in theirs
    }
    assert {o["org_id"] for o in simulator.control.orgs()} == {simulator.org.org_id, other.org_id}


def test_created_note_is_attached_to_its_parent(simulator):
    http = session(simulator)
    deal = get(http, "/crm/v8/Deals", params={"fields": "Deal_Name", "per_page": 1}).json()["data"][0]
    note = simulator.control.create_record(
        "Notes", {"Note_Title": "Called", "Parent_Id": {"module": {"api_name": "Deals"}, "id": deal["id"]}}
    )
    assert note["Parent_Id"]["id"] == deal["id"] and note["Parent_Id"]["name"] == deal["Deal_Name"]
    notes = get(http, f"/crm/v8/Deals/{deal['id']}/Notes", params={"fields": "Note_Title"}).json()["data"]
    assert note["id"] in {n["id"] for n in notes}


def test_log_per_org_includes_its_token_calls(simulator):
    session(simulator)
    paths = {e["path"] for e in simulator.control.requests(org=simulator.org)}
    assert "/oauth/v2/token" in paths


def _note_parents(http) -> list[dict]:
    notes = []
    params = {"fields": "Parent_Id", "per_page": 200}
    while True:
        page = get(http, "/crm/v8/Notes", params=params)
        if page.status_code == 204:
            return notes
        body = page.json()
        notes += [note["Parent_Id"] for note in body["data"]]
        if not body["info"]["more_records"]:
            return notes
        params["page"] = body["info"]["page"] + 1


def test_notes_go_with_their_deleted_parent(make_simulator):
    sim = make_simulator(seed=3, counts={"Contacts": 40, "Deals": 40, "Cases": 40, "Notes": 400})
    http = session(sim)
    alive = {module: {r["id"] for r in get(http, f"/crm/v8/{module}", params={"fields": "id"}).json()["data"]}
             for module in ("Contacts", "Deals", "Cases")}
    parents = _note_parents(http)
    # Generated orgs: no note outlives its parent.
    assert parents and all(parent["id"] in alive[parent["module"]["api_name"]] for parent in parents)

    deal = next(parent for parent in parents if parent["module"]["api_name"] == "Deals")
    before = sum(parent["id"] == deal["id"] for parent in parents)
    sim.control.delete_record("Deals", deal["id"])
    after = _note_parents(http)
    assert len(after) == len(parents) - before and deal["id"] not in {parent["id"] for parent in after}
    deleted_notes = get(http, "/crm/v8/Notes/deleted", params={"type": "all"}).json()["data"]
    assert len(deleted_notes) >= before
