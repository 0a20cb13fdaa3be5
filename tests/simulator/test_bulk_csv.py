"""The bulk CSV's fast path against the reference: each cell through the COQL evaluator, then csv.writer."""

from __future__ import annotations

import csv
import io
import time

import numpy as np

from zoho_pipeline.simulator import Simulator, bulk, coql, schema
from zoho_pipeline.simulator.generator import format_date, format_datetime

COUNTS = {
    "Contacts": 900,
    "Accounts": 60,
    "Deals": 300,
    "Cases": 200,
    "Calls": 200,
    "Tasks": 200,
    "Events": 150,
}
NOW = 1_770_000_000
ODD_TEXTS = ['say "hi", twice', "two\nlines", "carriage\rreturn", "a,b", "", " lead", "tab\there", "Zoë 😀"]


def _reference_csv(org, module: str, columns: list[str], indices) -> str:
    """What download() wrote before the fast path: evaluator.record / evaluator.value and _csv_value."""
    evaluator = coql._Evaluator(org, module)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for index in indices:
        record = evaluator.record(int(index))
        writer.writerow(
            [bulk._csv_value(evaluator.value(int(index), c) if "." in c else record.get(c)) for c in columns]
        )
    return text.getvalue()


def _fast_csv(org, module: str, columns: list[str], indices) -> str:
    return "".join(bulk.csv_text(bulk.rows(org, module, columns, np.asarray(indices)), columns, 97))


def _mutated_org():
    """Generated records plus what the control API can leave behind: odd values, new and deleted records."""
    sim = Simulator(seed=7, counts=COUNTS)
    store = sim.org.store
    store.add_custom_field("Contacts", schema.FieldDef("Nickname__c", "Nickname", "text", custom=True), False)
    store.add_custom_field("Deals", schema.FieldDef("Score__c", "Score", "integer", custom=True), True)
    for position, text in enumerate(ODD_TEXTS):
        store.update("Contacts", 10 + position, {"Last_Name": text, "Title": text, "Nickname__c": text}, NOW)
    odd_types = {"Title": True, "Department": {"x": 1}, "Mobile": ["a", "b"], "Phone": 3.5}
    store.update("Contacts", 30, odd_types, NOW)
    store.update("Contacts", 31, {"Account_Name": store.record_id("Accounts", 3), "Email_Opt_Out": None}, NOW)
    store.update("Accounts", 3, {"Account_Name": 'Quote "and", comma'}, NOW)
    store.create("Contacts", {"Last_Name": "New", "Account_Name": store.record_id("Accounts", 3)}, NOW)
    store.delete("Contacts", 40, NOW)
    return sim


def test_fast_csv_is_the_evaluators_csv_for_every_module():
    org = _mutated_org().org
    for module, definition in org.store.modules.items():
        if not definition.bulk_supported:
            continue
        lookups = [f.api_name for f in definition.fields if f.data_type in ("lookup", "ownerlookup")]
        explicit = ["Tag", "Owner.last_name", "Owner.email", "Created_Time", *lookups]
        explicit += [f"{name}.{sub}" for name in lookups for sub in ("id", "name", "Account_Name")]
        explicit += [f.api_name for f in definition.fields if f.data_type == "multiselectpicklist"]
        indices = np.nonzero(org.store.stores[module].alive_mask())[0]
        for fields in ([], explicit, ["id"]):
            columns = bulk._columns(org, {"module": module, "fields": fields})
            assert _fast_csv(org, module, columns, indices) == _reference_csv(org, module, columns, indices)


def test_download_is_the_evaluators_csv_with_continuation():
    sim = _mutated_org()
    sim.bulk_page_size = 250
    org, fields = sim.org, ["Last_Name", "Account_Name.Account_Name", "Email_Opt_Out", "Modified_Time"]
    since = "2021-01-01T00:00:00Z"
    criteria = {"field": {"api_name": "Modified_Time"}, "comparator": "greater_equal", "value": since}
    job = {"id": "j1", "module": "Contacts", "fields": fields, "criteria": criteria, "page": 1, "after": None}
    job |= {"node": bulk._criteria_node(criteria), "state": "IN PROGRESS", "result": None}
    while True:
        org.bulk_jobs[job["id"]] = job
        bulk._run(sim, org, job)
        job["state"] = "COMPLETED"
        org.bulk_downloads.clear()
        with bulk.zipfile.ZipFile(io.BytesIO(bulk.download(sim, org, job["id"]).body)) as archive:
            assert archive.namelist() == [f"{job['id']}.csv"]
            text = archive.read(f"{job['id']}.csv").decode()
        columns = [*fields, "id"]
        assert text == _reference_csv(org, "Contacts", columns, job["indices"])
        token = job["result"]["next_page_token"]
        if token is None:
            break
        follow = org.bulk_tokens[token]
        job = {**job, "id": f"{job['id']}+", "page": follow["page"], "after": follow["after"], "result": None}


def test_datetime_pieces_match_strftime():
    for epoch in [*range(-90_000, 90_000, 3_607), 1_546_300_799, 1_764_460_800, -300_000_000, 2_000_000_000]:
        for offset in (330, -420, 0, 60, -300, 540, 345, -59):
            expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch + offset * 60))
            assert format_datetime(epoch, offset)[:19] == expected
        assert format_date(epoch) == time.strftime("%Y-%m-%d", time.gmtime(epoch))
