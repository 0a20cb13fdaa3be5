"""`--preload`: records built and encoded before serving answer exactly as records built on demand."""

from __future__ import annotations

import json

import numpy as np

from tests.simulator.helpers import all_fields, get, session
from zoho_pipeline.simulator import Simulator
from zoho_pipeline.simulator.preload import preloaded_page
from zoho_pipeline.simulator.records import known_fields

COUNTS = {"Accounts": 40, "Contacts": 450, "Deals": 120, "Cases": 90, "Notes": 200, "Calls": 80}


def _pages(sim: Simulator, module: str, fields: str) -> list[str]:
    """Every page of a module's walk, its records as JSON text in the order the keys came."""
    http = session(sim)
    params = {"fields": fields, "sort_by": "Modified_Time", "sort_order": "asc"}
    pages = []
    while True:
        body = get(http, f"/crm/v8/{module}", params=params).json()
        pages.append(json.dumps(body["data"], ensure_ascii=False))
        if not body["info"]["more_records"]:
            return pages
        params = {**params, "page_token": body["info"]["next_page_token"]}


def _started(preload: bool) -> Simulator:
    sim = Simulator(seed=11, counts=COUNTS)
    if preload:
        sim.preload(workers=2)  # forked workers, as `zoho-pipeline simulator --preload` uses
    return sim.start()


def test_preloaded_pages_are_the_pages_built_on_demand():
    with _started(preload=True) as preloaded, _started(preload=False) as on_demand:
        store = preloaded.org.store
        for module in COUNTS:
            fields = all_fields(preloaded, module)
            wanted = known_fields(preloaded.org, module, fields.split(","))
            first_page = store.stores[module].view("Modified_Time", False, None).indices[:200]
            assert preloaded_page(store, module, wanted, first_page) is not None, module  # served preloaded
            assert _pages(preloaded, module, fields) == _pages(on_demand, module, fields), module
        # Other field sets are built on demand, from the same records.
        some = "Last_Name,Email,Account_Name"
        assert preloaded_page(store, "Contacts", some.split(","), np.arange(3)) is None
        assert _pages(preloaded, "Contacts", some) == _pages(on_demand, "Contacts", some)


def test_a_change_through_the_control_api_drops_the_preloaded_records():
    with _started(preload=True) as sim:
        contacts = [r for r in _all_records(sim, "Contacts") if r["Account_Name"]]
        account_id = contacts[0]["Account_Name"]["id"]
        sim.control.update_record("Accounts", account_id, {"Account_Name": "Renamed Account Ltd"})

        after = {r["id"]: r for r in _all_records(sim, "Contacts")}
        # A lookup shows the current name of the record it points to, in every record that has it.
        linked = [c for c in contacts if c["Account_Name"]["id"] == account_id]
        assert all(after[c["id"]]["Account_Name"]["name"] == "Renamed Account Ltd" for c in linked)
        assert sim.org.store.preloaded is None  # dropped: pages are built on demand again


def _all_records(sim: Simulator, module: str) -> list[dict]:
    return [record for page in _pages(sim, module, all_fields(sim, module)) for record in json.loads(page)]
