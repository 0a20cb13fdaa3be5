"""Metadata answers: /settings/modules, fields, layouts and pipeline, plus /org and /users."""

from __future__ import annotations

from zoho_pipeline.simulator import schema
from zoho_pipeline.simulator.errors import ZohoError, invalid_module, required_param
from zoho_pipeline.simulator.generator import HISTORY_START, format_datetime
from zoho_pipeline.simulator.org import Org
from zoho_pipeline.simulator.records import Page

SETUP_TIME = HISTORY_START - 86400 * 30  # when the org was set up: before any record
# Modules every org lists but that the API does not serve.
UNSUPPORTED_MODULES = (
    ("Home", "Home"),
    ("Reports", "Reports"),
    ("Analytics", "Analytics"),
    ("Feeds", "Feeds"),
)


def _module_entry(
    org: Org, definition: schema.ModuleDef | None, api_name: str, label: str, sequence: int
) -> dict:
    supported = definition is not None
    admin = org.users[0]
    return {
        "api_name": api_name,
        "module_name": definition.module_name if supported else label,
        "singular_label": definition.singular_label if supported else label,
        "plural_label": definition.plural_label if supported else label,
        "actual_singular_label": definition.singular_label if supported else label,
        "actual_plural_label": definition.plural_label if supported else label,
        "id": org.store.record_id("Modules", schema.ID_KINDS.get(api_name, 100 + sequence)),
        "api_supported": supported,
        "generated_type": "default",
        "status": "system_hidden" if api_name == "Notes" else "visible",
        "creatable": supported,
        "editable": supported,
        "deletable": supported,
        "viewable": True,
        "convertable": False,
        "quick_create": supported,
        "show_as_tab": api_name != "Notes",
        "recycle_bin_on_delete": supported,
        "visibility": 1,
        "access_type": "org_based",
        "sequence_number": sequence,
        "parent_module": {},
        "business_card_field_limit": 5,
        "feeds_required": False,
        "presence_sub_menu": False,
        "web_link": None,
        "description": None,
        "arguments": [],
        "profile_count": 1,
        "has_more_profiles": False,
        "profiles": [{"name": "Administrator", "id": org.store.record_id("Org", 11)}],
        "modified_time": format_datetime(SETUP_TIME, 330),
        "modified_by": {"name": admin["name"], "id": admin["id"]},
    }


def modules(org: Org) -> Page:
    entries = [
        _module_entry(org, org.store.modules[name], name, name, i + 1)
        for i, name in enumerate(schema.MODULE_NAMES)
    ]
    entries += [
        _module_entry(org, None, api_name, label, len(entries) + i + 1)
        for i, (api_name, label) in enumerate(UNSUPPORTED_MODULES)
    ]
    return Page(200, {"modules": entries})


def one_module(org: Org, api_name: str) -> Page:
    if api_name not in org.store.modules:
        raise invalid_module()
    return Page(
        200,
        {
            "modules": [
                _module_entry(
                    org,
                    org.store.modules[api_name],
                    api_name,
                    api_name,
                    schema.MODULE_NAMES.index(api_name) + 1,
                )
            ]
        },
    )


def _picklist(org: Org, module: str, field_def: schema.FieldDef, position: int) -> list[dict]:
    values = [value for value in field_def.picklist if value is not None]
    entries = [
        {
            "display_value": "-None-",
            "actual_value": "-None-",
            "reference_value": "-None-",
            "sequence_number": 1,
            "colour_code": None,
            "type": "used",
            "id": org.store.record_id("Fields", 500_000 + position * 100),
        }
    ]
    for i, value in enumerate(values):
        display = schema.STAGE_DISPLAY.get(value, value)
        entries.append(
            {
                "display_value": display,
                "actual_value": value,
                "reference_value": display,
                "sequence_number": i + 2,
                "colour_code": None,
                "type": "used",
                "id": org.store.record_id("Fields", 500_000 + position * 100 + i + 1),
            }
        )
    return entries


def field_entry(org: Org, module: str, field_def: schema.FieldDef, position: int) -> dict:
    """One field's metadata with the keys Zoho's OAS (fields.json) lists as required."""
    field_id = org.field_id(module, field_def.api_name)
    lookup = {}
    if field_def.data_type == "lookup" and field_def.lookup_module:
        target = field_def.lookup_module
        lookup = {
            "module": {"api_name": target, "id": org.store.record_id("Modules", schema.ID_KINDS[target])},
            "display_label": target,
            "api_name": None,
            "id": None,
            "query_details": {},
            "revalidate_filter_during_edit": False,
            "show_fields": None,
        }
    elif field_def.data_type in ("lookup",):
        lookup = {"module": None, "display_label": None, "api_name": None, "id": None}  # What_Id / Parent_Id
    currency = {"rounding_option": "normal", "precision": 2} if field_def.data_type == "currency" else {}
    created = format_datetime(SETUP_TIME + (86400 * 400 if field_def.custom else 0), 330)
    return {
        "associated_module": None,
        "data_type": field_def.data_type,
        "operation_type": {
            "web_update": not field_def.read_only,
            "api_create": not field_def.read_only,
            "web_create": True,
            "api_update": not field_def.read_only,
        },
        "system_mandatory": field_def.mandatory,
        "webhook": True,
        "blueprint_supported": False,
        "virtual_field": False,
        "field_read_only": field_def.read_only,
        "customizable_properties": [],
        "read_only": field_def.read_only,
        "custom_field": field_def.custom,
        "businesscard_supported": True,
        "filterable": True,
        "visible": True,
        "available_in_user_layout": True,
        "display_field": field_def.api_name == org.store.modules[module].name_field,
        "pick_list_values_sorted_lexically": False,
        "sortable": field_def.api_name in ("id", "Created_Time", "Modified_Time"),
        "layout_associations": [],
        "separator": False,
        "searchable": True,
        "enable_colour_code": False,
        "mass_update": not field_def.read_only,
        "json_type": field_def.json_type,
        "created_source": "crm" if field_def.custom else "default",
        "type": "used",
        "display_label": field_def.label,
        "column_name": None,
        "api_name": field_def.api_name,
        "display_type": -1,
        "ui_type": 1,
        "colour_code_enabled_by_system": False,
        "length": field_def.length,
        "decimal_place": 2 if field_def.data_type in ("currency", "double", "percent") else None,
        "quick_sequence_number": position + 1,
        "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
        "rollup_summary": {},
        "refer_from_field": None,
        "created_time": created,
        "modified_time": created,
        "show_type": 7,
        "category": 0,
        "id": field_id,
        "multi_module_lookup": {},
        "sharing_properties": None,
        "currency": currency,
        "file_upolad_optionlist": [],
        "lookup": lookup,
        "profiles": [
            {"permission_type": "read_write", "name": "Administrator", "id": org.store.record_id("Org", 11)}
        ],
        "view_type": {"view": True, "edit": not field_def.read_only, "quick_create": False, "create": True},
        "unique": {},
        "sub_module": None,
        "subform": None,
        "external": None,
        "formula": {},
        "convert_mapping": {},
        "multiselectlookup": {},
        "multiuserlookup": {},
        "autonumber": {},
        "auto_number": {"prefix": "", "suffix": "", "start_number": 1000}
        if field_def.data_type == "autonumber"
        else {},
        "pick_list_values": _picklist(org, module, field_def, position)
        if field_def.data_type in ("picklist", "multiselectpicklist")
        else [],
        "crypt": None,
        "tooltip": None,
        "history_tracking": None,
        "association_details": None,
        "allowed_modules": None,
        "additional_column": None,
        "field_label": field_def.label,
        "common.picklist": False,
        "hipaa_compliance_enabled": False,
        "hipaa_compliance": None,
        "_update_existing_records": False,
        "number_separator": False,
        "textarea": {"type": "large"} if field_def.data_type == "textarea" else None,
        "static_field": False,
    }


def fields(org: Org, query: dict[str, str]) -> Page:
    module = query.get("module")
    if not module:
        raise required_param("module")
    if module not in org.store.modules:
        raise invalid_module()
    definition = org.store.modules[module]
    return Page(200, {"fields": [field_entry(org, module, f, i) for i, f in enumerate(definition.fields)]})


def layout_id(org: Org, module: str) -> str:
    return org.store.record_id("Layouts", schema.ID_KINDS[module])


def layouts(org: Org, query: dict[str, str]) -> Page:
    module = query.get("module")
    if not module:
        raise required_param("module")
    if module not in org.store.modules:
        raise invalid_module()
    admin = org.users[0]
    definition = org.store.modules[module]
    section_fields = [
        {
            "api_name": f.api_name,
            "id": org.field_id(module, f.api_name),
            "field_label": f.label,
            "data_type": f.data_type,
        }
        for f in definition.fields
    ]
    layout = {
        "id": layout_id(org, module),
        "name": "Standard",
        "display_label": "Standard",
        "api_name": "Standard",
        "status": "active",
        "visible": True,
        "source": "crm",
        "mode": None,
        "generated_type": "default",
        "has_more_profiles": False,
        "show_business_card": True,
        "created_for": None,
        "convert_mapping": {},
        "subform_properties": None,
        "actions_allowed": {
            "edit": True,
            "rename": True,
            "clone": True,
            "downgrade": False,
            "delete": False,
            "deactivate": False,
            "set_layout_permissions": True,
        },
        "created_time": format_datetime(SETUP_TIME, 330),
        "modified_time": format_datetime(SETUP_TIME, 330),
        "created_by": {"name": admin["name"], "id": admin["id"]},
        "modified_by": {"name": admin["name"], "id": admin["id"]},
        "profiles": [{"name": "Administrator", "id": org.store.record_id("Org", 11), "default": True}],
        "sections": [
            {
                "display_label": f"{definition.singular_label} Information",
                "sequence_number": 1,
                "column_count": 2,
                "name": f"{definition.singular_label} Information",
                "fields": section_fields,
            }
        ],
    }
    return Page(200, {"layouts": [layout]})


def pipeline(org: Org, query: dict[str, str]) -> Page:
    requested = query.get("layout_id")
    if not requested:
        raise required_param("layout_id")
    deals_layout = layout_id(org, "Deals")
    if requested not in {layout_id(org, m) for m in schema.MODULE_NAMES}:
        raise ZohoError(400, "INVALID_DATA", "Invalid layoutid", {"param_name": "layout_id"})
    if requested != deals_layout:
        return Page(204)  # a layout without pipelines
    categories = {"Pipeline": 6787, "Closed": 6789, "Omitted": 6791}
    maps = []
    for i, (stage, forecast_type, category, _probability) in enumerate(
        schema.DEAL_STAGES + (schema.CUSTOM_DEAL_STAGE,)
    ):
        maps.append(
            {
                "display_value": schema.STAGE_DISPLAY.get(stage, stage),
                "actual_value": stage,
                "sequence_number": i + 1,
                "id": org.store.record_id("Pipelines", 100 + i),
                "colour_code": None,
                "forecast_type": forecast_type,
                "forecast_category": {
                    "name": category,
                    "id": org.store.record_id("Pipelines", categories[category]),
                },
            }
        )
    entry = {
        "display_value": schema.PIPELINE_NAME,
        "actual_value": schema.PIPELINE_NAME,
        "default": True,
        "child_available": False,
        "parent": None,
        "id": org.store.record_id("Pipelines", 1),
        "maps": maps,
    }
    return Page(200, {"pipeline": [entry]})


def org_info(org: Org) -> Page:
    admin = org.users[0]
    body = {
        "country": "India",
        "photo_id": None,
        "city": "Chennai",
        "description": None,
        "mc_status": False,
        "gapps_enabled": False,
        "translation_enabled": True,
        "street": None,
        "domain_name": f"org{org.org_id}",
        "alias": None,
        "currency": "US Dollar - USD",
        "id": org.store.record_id("Org", 1),
        "state": None,
        "fax": None,
        "zip": None,
        "currency_symbol": "$",
        "mobile": None,
        "currency_locale": "en_US",
        "primary_zuid": admin["id"],
        "zia_portal_id": None,
        "time_zone": "Asia/Kolkata",
        "zgid": org.org_id,
        "country_code": "IN",
        "deletable_org_account": False,
        "license_details": {
            "paid_expiry": "2027-12-31T00:00:00+05:30",
            "users_license_purchased": len(org.users),
            "trial_type": None,
            "trial_expiry": None,
            "paid": org.edition != "free",
            "paid_type": org.edition,
            "trial_action": None,
        },
        "hierarchy_preferences": {"type": "Role_Hierarchy", "strictly_reporting": False},
        "phone": None,
        "company_name": org.name,
        "privacy_settings": True,
        "primary_email": admin["email"],
        "iso_code": "USD",
        "hipaa_compliance_enabled": False,
        "lite_users_enabled": False,
        "max_per_page": 200,
        "ezgid": org.org_id,
        "call_icon": None,
        "oauth_presence": True,
        "zia_zgid": None,
        "checkin_preferences": {"restricted_event_types": None},
        "type": "production",
    }
    return Page(200, {"org": [body]})


def users(org: Org) -> Page:
    entries = [
        {
            "id": user["id"],
            "full_name": user["name"],
            "email": user["email"],
            "status": "active",
            "role": {
                "name": "CEO" if i == 0 else "Manager",
                "id": org.store.record_id("Org", 20 + min(i, 1)),
            },
            "profile": {
                "name": "Administrator" if i == 0 else "Standard",
                "id": org.store.record_id("Org", 11 + min(i, 1)),
            },
            "time_zone": "Asia/Kolkata",
            "confirm": True,
        }
        for i, user in enumerate(org.users)
    ]
    return Page(
        200,
        {
            "users": entries,
            "info": {"per_page": 200, "count": len(entries), "page": 1, "more_records": False},
        },
        records=len(entries),
    )
