"""Synthetic orgs: deterministic by seed, realistic edge cases, compact at any size."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from zoho_pipeline.simulator import Simulator
from zoho_pipeline.simulator.schema import CASE_PRIORITIES, CASE_STATUSES, CUSTOM_DEAL_STAGE, DEAL_STAGES

COUNTS = {
    "Contacts": 400,
    "Accounts": 40,
    "Deals": 120,
    "Cases": 80,
    "Notes": 150,
    "Calls": 60,
    "Tasks": 60,
    "Events": 40,
}


def _all(sim, module):
    store = sim.org.store
    return [store.record(module, i) for i in range(store.stores[module].size)]


def test_same_seed_same_org_other_seed_other_org():
    first, second, other = (
        Simulator(seed=11, counts=COUNTS),
        Simulator(seed=11, counts=COUNTS),
        Simulator(seed=12, counts=COUNTS),
    )
    for module in COUNTS:
        assert _all(first, module) == _all(second, module)
    assert _all(first, "Contacts") != _all(other, "Contacts")


def test_ids_look_like_zoho_ids_and_grow_with_creation():
    sim = Simulator(seed=5, counts=COUNTS)
    contacts = _all(sim, "Contacts")
    assert all(re.fullmatch(r"\d{18,19}", r["id"]) for r in contacts)
    created = [datetime.fromisoformat(r["Created_Time"]) for r in contacts]
    assert created == sorted(created)
    assert all(
        datetime.fromisoformat(r["Modified_Time"]) >= datetime.fromisoformat(r["Created_Time"])
        for r in contacts
    )


def test_contacts_edge_cases():
    contacts = _all(Simulator(seed=5, counts=COUNTS), "Contacts")
    emails = [r["Email"] for r in contacts]
    assert any(e is None for e in emails)
    normalised = Counter(e.strip().lower() for e in emails if e)
    shared = {e for e, n in normalised.items() if n > 1}
    assert shared
    variants = [e for e in emails if e and e.strip().lower() in shared and e != e.strip().lower()]
    assert variants  # same address in another case or with spaces
    assert any(not r["Last_Name"].isascii() or not (r["First_Name"] or "").isascii() for r in contacts)
    assert any(r["Description"] and len(r["Description"]) > 5000 for r in contacts)
    assert all(set(r["Owner"]) == {"name", "id", "email"} for r in contacts)


def test_timestamps_span_years_and_offsets():
    contacts = _all(Simulator(seed=5, counts=COUNTS), "Contacts")
    stamps = [r["Created_Time"] for r in contacts]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", s) for s in stamps)
    assert len({s[:4] for s in stamps}) >= 5
    assert {s[-6:] for s in stamps} >= {"+05:30", "-07:00", "+00:00", "+01:00"}


def test_every_stage_status_priority_and_links():
    sim = Simulator(seed=5, counts=COUNTS)
    deals = _all(sim, "Deals")
    assert {d["Stage"] for d in deals} == {s[0] for s in DEAL_STAGES} | {CUSTOM_DEAL_STAGE[0]}
    cases = _all(sim, "Cases")
    assert {c["Status"] for c in cases} == set(CASE_STATUSES)
    assert {c["Priority"] for c in cases} == set(CASE_PRIORITIES)
    assert any(c["Related_To"] for c in cases)
    contact_emails = {r["Email"].strip().lower() for r in _all(sim, "Contacts") if r["Email"]}
    assert any(
        not c["Related_To"] and c["Email"] and c["Email"].strip().lower() in contact_emails for c in cases
    )
    notes = _all(sim, "Notes")
    assert {n["Parent_Id"]["module"]["api_name"] for n in notes} == {"Contacts", "Deals", "Cases"}
    calls = _all(sim, "Calls")
    assert {c["Call_Type"] for c in calls} == {"Inbound", "Outbound", "Missed"}
    for module in ("Calls", "Tasks", "Events"):
        records = _all(sim, module)
        assert any(r["Who_Id"] for r in records)
        linked = [r for r in records if r["What_Id"]]
        assert linked and all(r["$se_module"] in {"Deals", "Cases", "Accounts"} for r in linked)
    deal = next(d for d in deals if d["Account_Name"])
    account_index = sim.org.store.index_of("Accounts", deal["Account_Name"]["id"])
    assert sim.org.store.record("Accounts", account_index)["Account_Name"] == deal["Account_Name"]["name"]


def test_some_records_deleted_and_value_shapes():
    sim = Simulator(seed=5, counts=COUNTS)
    assert sim.org.store.alive_count("Contacts") < COUNTS["Contacts"]
    deal = _all(sim, "Deals")[0]
    assert isinstance(deal["Amount"], (float, type(None))) and re.fullmatch(
        r"\d{4}-\d\d-\d\d", deal["Closing_Date"]
    )
    contact = _all(sim, "Contacts")[0]
    assert isinstance(contact["Preferred_Languages"], (list, type(None)))


def test_size_spreads_records_and_big_orgs_stay_compact():
    import tracemalloc

    tracemalloc.start()
    sim = Simulator(seed=1, size=200_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    counts = sim.org.counts
    assert sum(counts.values()) == 200_000 and counts["Contacts"] > counts["Accounts"]
    assert peak < 80 * 2**20  # arrays only: a few tens of megabytes for 200k records
    last = sim.org.store.stores["Contacts"].size - 1
    assert sim.org.store.record("Contacts", last)["id"]
