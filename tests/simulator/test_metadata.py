"""Metadata endpoints against Zoho's OAS: modules, fields, layouts, pipeline, org."""

from __future__ import annotations

from tests.simulator.helpers import assert_error, get, oas_schema, session
from zoho_pipeline.simulator.schema import DEAL_STAGES, MODULE_NAMES


def test_modules_lists_our_modules_as_api_supported(simulator):
    http = session(simulator)
    modules = get(http, "/crm/v8/settings/modules").json()["modules"]
    supported = {m["api_name"] for m in modules if m["api_supported"]}
    assert supported == set(MODULE_NAMES)
    events = next(m for m in modules if m["api_name"] == "Events")
    assert events["module_name"] == "Meetings"
    notes = next(m for m in modules if m["api_name"] == "Notes")
    assert notes["status"] == "system_hidden" and notes["show_as_tab"] is False


def test_fields_metadata_has_oas_keys_and_custom_fields(simulator):
    http = session(simulator)
    required = set(oas_schema("fields.json", "fields")["required"])
    picklist_keys = set(oas_schema("fields.json", "pick_list_values")["required"])
    for module in MODULE_NAMES:
        fields = get(http, "/crm/v8/settings/fields", params={"module": module}).json()["fields"]
        assert len(fields) <= 50
        for field in fields:
            assert required <= set(field), required - set(field)
            for value in field["pick_list_values"]:
                assert picklist_keys <= set(value)
        if module != "Notes":
            custom = [f for f in fields if f["custom_field"]]
            assert {f["data_type"] for f in custom} >= {"picklist", "date", "currency", "boolean", "integer"}
    deals = {
        f["api_name"]: f
        for f in get(http, "/crm/v8/settings/fields", params={"module": "Deals"}).json()["fields"]
    }
    assert deals["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert deals["Amount"]["currency"] == {"rounding_option": "normal", "precision": 2}
    assert deals["Amount"]["json_type"] == "double" and deals["Owner"]["json_type"] == "jsonobject"
    stages = [v["actual_value"] for v in deals["Stage"]["pick_list_values"]]
    assert {s[0] for s in DEAL_STAGES} <= set(stages)
    assert_error(get(http, "/crm/v8/settings/fields"), 400, "REQUIRED_PARAM_MISSING")
    assert_error(get(http, "/crm/v8/settings/fields", params={"module": "Nope"}), 400, "INVALID_MODULE")


def test_layouts_and_pipeline_stages(simulator):
    http = session(simulator)
    layouts = get(http, "/crm/v8/settings/layouts", params={"module": "Deals"}).json()["layouts"]
    layout_id = layouts[0]["id"]
    pipeline = get(http, "/crm/v8/settings/pipeline", params={"layout_id": layout_id}).json()["pipeline"]
    maps_required = set(oas_schema("pipeline.json", "maps")["required"])
    standard = pipeline[0]
    assert set(oas_schema("pipeline.json", "pipeline")["required"]) <= set(standard)
    for stage in standard["maps"]:
        assert maps_required <= set(stage)
    by_value = {m["actual_value"]: m for m in standard["maps"]}
    assert by_value["Id. Decision Makers"]["display_value"] == "Identify Decision Makers"
    assert by_value["Closed Lost to Competition"]["forecast_type"] == "Closed Lost"
    assert by_value["Closed Won"]["forecast_category"]["name"] == "Closed"
    assert "Contract Sent" in by_value  # the org's own stage
    assert_error(get(http, "/crm/v8/settings/pipeline"), 400, "REQUIRED_PARAM_MISSING")
    body = assert_error(
        get(http, "/crm/v8/settings/pipeline", params={"layout_id": "1"}), 400, "INVALID_DATA"
    )
    assert body["details"] == {"param_name": "layout_id"}


def test_org_reports_edition(make_simulator):
    sim = make_simulator(edition="professional")
    org = get(session(sim), "/crm/v8/org").json()["org"][0]
    assert set(oas_schema("org.json", "License_Details")["required"]) <= set(org["license_details"])
    assert org["license_details"]["paid_type"] == "professional"
