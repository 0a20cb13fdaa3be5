"""The simulated org's modules and fields: API names, data types and picklists as Zoho names them."""

from __future__ import annotations

from dataclasses import dataclass, field

# data_type -> json_type, as in Zoho's field metadata (reference §3.1).
JSON_TYPES = {
    "text": "string",
    "textarea": "string",
    "email": "string",
    "phone": "string",
    "website": "string",
    "picklist": "string",
    "multiselectpicklist": "jsonarray",
    "integer": "integer",
    "bigint": "string",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "date": "string",
    "datetime": "string",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "userlookup": "jsonobject",
    "autonumber": "string",
    "event_reminder": "string",
    "RRULE": "jsonobject",
    "ALARM": "jsonobject",
    "multiselectlookup": "jsonarray",
}

# Types a custom field may have (the control API's add_custom_field accepts these).
CUSTOM_FIELD_TYPES = (
    "text",
    "textarea",
    "picklist",
    "multiselectpicklist",
    "date",
    "datetime",
    "currency",
    "double",
    "boolean",
    "integer",
    "email",
    "phone",
    "website",
    "percent",
)

DEAL_STAGES = (
    # (stage, forecast_type, forecast_category, probability) -- guessed: probabilities (reference §3.3)
    ("Qualification", "Open", "Pipeline", 10),
    ("Needs Analysis", "Open", "Pipeline", 20),
    ("Value Proposition", "Open", "Pipeline", 40),
    ("Id. Decision Makers", "Open", "Pipeline", 60),
    ("Perception Analysis", "Open", "Pipeline", 70),
    ("Proposal/Price Quote", "Open", "Pipeline", 75),
    ("Negotiation/Review", "Open", "Pipeline", 90),
    ("Closed Won", "Closed Won", "Closed", 100),
    ("Closed Lost", "Closed Lost", "Omitted", 0),
    ("Closed Lost to Competition", "Closed Lost", "Omitted", 0),
)
# An org-defined stage that is not one of Zoho's defaults, so mappings must handle unknown stages.
CUSTOM_DEAL_STAGE = ("Contract Sent", "Open", "Pipeline", 85)
STAGE_DISPLAY = {
    "Id. Decision Makers": "Identify Decision Makers",
    "Closed Lost to Competition": "Closed-Lost to Competition",
}
PIPELINE_NAME = "Standard (Standard)"

CASE_STATUSES = ("New", "On Hold", "Escalated", "Closed")
CASE_PRIORITIES = ("High", "Medium", "Low", None)
CALL_TYPES = ("Inbound", "Outbound", "Missed")
TASK_STATUSES = ("Not Started", "Deferred", "In Progress", "Completed", "Waiting for input")
TASK_PRIORITIES = ("High", "Highest", "Low", "Lowest", "Normal")
LEAD_SOURCES = (
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "External Referral",
    "Online Store",
    "Partner",
    "Public Relations",
    "Sales Email Alias",
    "Seminar Partner",
    "Trade Show",
    "Web Download",
    "Web Research",
    "Chat",
)
SALUTATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")
INDUSTRIES = (
    "ASP (Application Service Provider)",
    "Data/Telecom OEM",
    "ERP (Enterprise Resource Planning)",
    "Government/Military",
    "Large Enterprise",
    "ManagementISV",
    "MSP (Management Service Provider)",
    "Network Equipment Enterprise",
    "Non-management ISV",
    "Optical Networking",
    "Service Provider",
    "Small/Medium Enterprise",
    "Storage Equipment",
    "Storage Service Provider",
    "Systems Integrator",
    "Wireless Industry",
)
ACCOUNT_TYPES = (
    "Analyst",
    "Competitor",
    "Customer",
    "Distributor",
    "Integrator",
    "Investor",
    "Other",
    "Partner",
    "Press",
    "Prospect",
    "Reseller",
    "Supplier",
    "Vendor",
)
CASE_ORIGINS = ("Email", "Phone", "Web")
CASE_TYPES = ("Question", "Problem", "Feature Request")
CASE_REASONS = (
    "User did not attend any training",
    "Complex functionality",
    "Existing problem",
    "Instructions not understood",
    "New problem",
)
CALL_PURPOSES = ("Prospecting", "Administrative", "Negotiation", "Demo", "Project", "Desk")
DEAL_TYPES = ("New Business", "Existing Business")
TIERS = ("Bronze", "Silver", "Gold", "Platinum")
LANGUAGES = ("English", "German", "French", "Spanish", "Hindi", "Japanese", "Portuguese")
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
PRODUCTS = ("CRM Suite", "Analytics", "Support Desk", "Mobile App", "API Access", "Training")


@dataclass(frozen=True)
class FieldDef:
    """One field of a module, enough to answer /settings/fields and to shape record values."""

    api_name: str
    label: str
    data_type: str
    custom: bool = False
    lookup_module: str | None = None
    picklist: tuple[str, ...] = ()
    read_only: bool = False
    mandatory: bool = False
    length: int = 255

    @property
    def json_type(self) -> str:
        return JSON_TYPES.get(self.data_type, "string")


@dataclass
class ModuleDef:
    """One CRM module: its names, scope and fields (custom fields can be added at runtime)."""

    api_name: str
    module_name: str
    singular_label: str
    plural_label: str
    number: int  # stable small number used in synthetic ids
    name_field: str  # the field Zoho shows as the record's name in lookups
    fields: list[FieldDef] = field(default_factory=list)
    bulk_supported: bool = True

    def field(self, api_name: str) -> FieldDef | None:
        for field_def in self.fields:
            if field_def.api_name == api_name:
                return field_def
        return None


def _f(api_name: str, data_type: str = "text", label: str | None = None, **kw) -> FieldDef:
    return FieldDef(api_name, label or api_name.replace("_", " ").replace(" s", ""), data_type, **kw)


def _system_fields() -> list[FieldDef]:
    return [
        _f("Owner", "ownerlookup", "Owner"),
        _f("Created_Time", "datetime", read_only=True),
        _f("Modified_Time", "datetime", read_only=True),
        _f("Created_By", "ownerlookup", read_only=True),
        _f("Modified_By", "ownerlookup", read_only=True),
        _f("Tag", "text", length=2000),
        _f("id", "bigint", "Record Id", read_only=True, length=18),
    ]


def _custom(api_name: str, data_type: str, picklist: tuple[str, ...] = ()) -> FieldDef:
    return FieldDef(api_name, api_name.replace("_", " "), data_type, custom=True, picklist=picklist)


def _module_defs() -> list[ModuleDef]:
    accounts = ModuleDef(
        "Accounts",
        "Accounts",
        "Account",
        "Accounts",
        1,
        "Account_Name",
        [
            _f("Account_Name", mandatory=True),
            _f("Account_Number"),
            _f("Account_Site"),
            _f("Account_Type", "picklist", picklist=ACCOUNT_TYPES),
            _f("Industry", "picklist", picklist=INDUSTRIES),
            _f("Annual_Revenue", "currency"),
            _f("Employees", "integer"),
            _f("Phone", "phone"),
            _f("Fax", "phone"),
            _f("Website", "website"),
            _f("Ticker_Symbol"),
            _f("Rating", "picklist", picklist=("Acquired", "Active", "Market Failed")),
            _f("Parent_Account", "lookup", lookup_module="Accounts"),
            _f("Billing_Street"),
            _f("Billing_City"),
            _f("Billing_State"),
            _f("Billing_Code"),
            _f("Billing_Country"),
            _f("Shipping_City"),
            _f("Shipping_Country"),
            _f("Description", "textarea", length=32000),
            _f("Last_Activity_Time", "datetime", read_only=True),
            _f("Record_Status__s", "picklist", picklist=("Available", "Draft", "Trash")),
            _f("Locked__s", "boolean"),
            _custom("Customer_Tier", "picklist", TIERS),
            _custom("Contract_End_Date", "date"),
            _custom("Regions_Served", "multiselectpicklist", REGIONS),
            _custom("Credit_Limit", "currency"),
            _custom("Is_Partner", "boolean"),
            _custom("Seats_Purchased", "integer"),
            _custom("Health_Score", "double"),
            _custom("Onboarded_At", "datetime"),
        ],
    )
    contacts = ModuleDef(
        "Contacts",
        "Contacts",
        "Contact",
        "Contacts",
        2,
        "Full_Name",
        [
            _f("Email", "email"),
            _f("Secondary_Email", "email"),
            _f("First_Name"),
            _f("Last_Name", mandatory=True),
            _f("Full_Name", read_only=True),
            _f("Salutation", "picklist", picklist=SALUTATIONS),
            _f("Title"),
            _f("Department"),
            _f("Phone", "phone"),
            _f("Mobile", "phone"),
            _f("Home_Phone", "phone"),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Reporting_To", "lookup", lookup_module="Contacts"),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCES),
            _f("Date_of_Birth", "date"),
            _f("Description", "textarea", length=32000),
            _f("Email_Opt_Out", "boolean"),
            _f("Mailing_Street"),
            _f("Mailing_City"),
            _f("Mailing_State"),
            _f("Mailing_Zip"),
            _f("Mailing_Country"),
            _f("Twitter"),
            _f("Last_Activity_Time", "datetime", read_only=True),
            _f("Record_Status__s", "picklist", picklist=("Available", "Draft", "Trash")),
            _f("Locked__s", "boolean"),
            _custom("Customer_Tier", "picklist", TIERS),
            _custom("Renewal_Date", "date"),
            _custom("Preferred_Languages", "multiselectpicklist", LANGUAGES),
            _custom("Lifetime_Value", "currency"),
            _custom("Is_VIP", "boolean"),
            _custom("Support_Score", "integer"),
            _custom("Last_Survey_Time", "datetime"),
            _custom("Discount_Rate", "double"),
        ],
    )
    stage_values = tuple(s[0] for s in DEAL_STAGES) + (CUSTOM_DEAL_STAGE[0],)
    deals = ModuleDef(
        "Deals",
        "Deals",
        "Deal",
        "Deals",
        3,
        "Deal_Name",
        [
            _f("Deal_Name", mandatory=True),
            _f("Stage", "picklist", picklist=stage_values, mandatory=True),
            _f("Pipeline", "picklist", picklist=(PIPELINE_NAME,)),
            _f("Amount", "currency"),
            _f("Closing_Date", "date"),
            _f("Probability", "integer"),
            _f("Expected_Revenue", "currency", read_only=True),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Contact_Name", "lookup", lookup_module="Contacts"),
            _f("Type", "picklist", picklist=DEAL_TYPES),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCES),
            _f("Next_Step"),
            _f("Description", "textarea", length=32000),
            _f(
                "Reason_For_Loss__s",
                "picklist",
                picklist=("Lost to Competitor", "Price", "No Budget", "Other"),
            ),
            _f("Lead_Conversion_Time", "integer", read_only=True),
            _f("Sales_Cycle_Duration", "integer", read_only=True),
            _f("Overall_Sales_Duration", "integer", read_only=True),
            _f("Last_Activity_Time", "datetime", read_only=True),
            _f("Record_Status__s", "picklist", picklist=("Available", "Draft", "Trash")),
            _f("Locked__s", "boolean"),
            _custom("Deal_Category", "picklist", ("Upsell", "Cross-sell", "Renewal", "New Logo")),
            _custom("Renewal_Date", "date"),
            _custom("Products_Interested", "multiselectpicklist", PRODUCTS),
            _custom("Discount_Amount", "currency"),
            _custom("Is_Renewal", "boolean"),
            _custom("Seats", "integer"),
            _custom("Win_Score", "double"),
            _custom("Demo_Time", "datetime"),
            _custom("Competitor", "text"),
        ],
    )
    cases = ModuleDef(
        "Cases",
        "Cases",
        "Case",
        "Cases",
        4,
        "Subject",
        [
            _f("Subject", mandatory=True),
            _f("Status", "picklist", picklist=CASE_STATUSES),
            _f("Priority", "picklist", picklist=CASE_PRIORITIES[:3]),
            _f("Case_Origin", "picklist", picklist=CASE_ORIGINS),
            _f("Type", "picklist", picklist=CASE_TYPES),
            _f("Case_Reason", "picklist", picklist=CASE_REASONS),
            _f("Description", "textarea", length=32000),
            _f("Solution", "textarea", length=32000),
            _f("Internal_Comments", "textarea"),
            _f("No_of_comments", "integer", read_only=True),
            _f("Case_Number", "autonumber", read_only=True),
            _f("Related_To", "lookup", lookup_module="Contacts"),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Deal_Name", "lookup", lookup_module="Deals"),
            _f("Reported_By"),
            _f("Email", "email"),
            _f("Phone", "phone"),
            _f("Record_Status__s", "picklist", picklist=("Available", "Draft", "Trash")),
            _f("Locked__s", "boolean"),
            _custom("Severity_Level", "picklist", ("S1", "S2", "S3", "S4")),
            _custom("SLA_Due_Date", "date"),
            _custom("Affected_Products", "multiselectpicklist", PRODUCTS),
            _custom("Refund_Amount", "currency"),
            _custom("Is_Escalated_Externally", "boolean"),
            _custom("Reopen_Count", "integer"),
            _custom("Resolved_At", "datetime"),
            _custom("Customer_Satisfaction", "double"),
        ],
    )
    notes = ModuleDef(
        "Notes",
        "Notes",
        "Note",
        "Notes",
        5,
        "Note_Title",
        [
            _f("Note_Title", length=120),
            _f("Note_Content", "textarea", length=65535),
            _f("Parent_Id", "lookup", lookup_module=None),
            _f("Record_Status__s", "picklist", picklist=("Available", "Draft", "Trash")),
        ],
        bulk_supported=False,
    )
    calls = ModuleDef(
        "Calls",
        "Calls",
        "Call",
        "Calls",
        6,
        "Subject",
        [
            _f("Subject", mandatory=True),
            _f("Call_Type", "picklist", picklist=CALL_TYPES),
            _f("Call_Start_Time", "datetime"),
            _f("Call_Duration"),
            _f("Call_Duration_in_seconds", "integer", read_only=True),
            _f("Call_Purpose", "picklist", picklist=CALL_PURPOSES),
            _f("Call_Result"),
            _f("Call_Agenda"),
            _f(
                "Outgoing_Call_Status",
                "picklist",
                picklist=("Scheduled", "Completed", "Overdue", "Cancelled"),
            ),
            _f("Who_Id", "lookup", lookup_module="Contacts"),
            _f("What_Id", "lookup", lookup_module=None),
            _f("Caller_ID"),
            _f("Dialled_Number"),
            _f("Description", "textarea", length=32000),
            _custom("Call_Sentiment", "picklist", ("Positive", "Neutral", "Negative")),
            _custom("Callback_Date", "date"),
            _custom("Topics", "multiselectpicklist", PRODUCTS),
            _custom("Call_Cost", "currency"),
            _custom("Is_Recorded", "boolean"),
            _custom("Hold_Seconds", "integer"),
        ],
    )
    tasks = ModuleDef(
        "Tasks",
        "Tasks",
        "Task",
        "Tasks",
        7,
        "Subject",
        [
            _f("Subject", mandatory=True),
            _f("Due_Date", "date"),
            _f("Status", "picklist", picklist=TASK_STATUSES),
            _f("Priority", "picklist", picklist=TASK_PRIORITIES),
            _f("What_Id", "lookup", lookup_module=None),
            _f("Who_Id", "lookup", lookup_module="Contacts"),
            _f("Description", "textarea", length=32000),
            _f("Closed_Time", "datetime", read_only=True),
            _f("Send_Notification_Email", "boolean"),
            _f("Remind_At", "ALARM"),
            _f("Recurring_Activity", "RRULE"),
            _f("Record_Status__s", "picklist", picklist=("Available", "Draft", "Trash")),
            _f("Locked__s", "boolean"),
            _custom("Task_Category", "picklist", ("Follow-up", "Onboarding", "Renewal", "Admin")),
            _custom("Follow_Up_Date", "date"),
            _custom("Channels", "multiselectpicklist", ("Email", "Phone", "Chat")),
            _custom("Estimated_Cost", "currency"),
            _custom("Is_Billable", "boolean"),
            _custom("Effort_Hours", "integer"),
        ],
    )
    events = ModuleDef(
        "Events",
        "Meetings",
        "Meeting",
        "Meetings",
        8,
        "Event_Title",
        [
            _f("Event_Title", mandatory=True),
            _f("Start_DateTime", "datetime", mandatory=True),
            _f("End_DateTime", "datetime", mandatory=True),
            _f("All_day", "boolean"),
            _f("Venue"),
            _f("Participants", "multiselectlookup"),
            _f("Remind_At", "ALARM"),
            _f("Who_Id", "lookup", lookup_module="Contacts"),
            _f("What_Id", "lookup", lookup_module=None),
            _f("Description", "textarea", length=32000),
            _f("Check_In_Time", "datetime", read_only=True),
            _f("Check_In_Status", read_only=True),
            _custom("Meeting_Type", "picklist", ("Discovery", "Demo", "QBR", "Internal")),
            _custom("Follow_Up_Date", "date"),
            _custom(
                "Attendee_Roles", "multiselectpicklist", ("Decision Maker", "Champion", "User", "Finance")
            ),
            _custom("Budget", "currency"),
            _custom("Is_Online", "boolean"),
            _custom("Attendee_Count", "integer"),
        ],
    )
    modules = [accounts, contacts, deals, cases, notes, calls, tasks, events]
    for module in modules:
        module.fields = _system_fields()[:1] + module.fields + _system_fields()[1:]
        assert len(module.fields) <= 50, module.api_name
    return modules


def module_defs() -> dict[str, ModuleDef]:
    """A fresh set of module definitions for one org (custom fields added later stay in that org)."""
    return {module.api_name: module for module in _module_defs()}


MODULE_NAMES = ("Accounts", "Contacts", "Deals", "Cases", "Notes", "Calls", "Tasks", "Events")
# Realistic spread of a total `size` over the modules.
SIZE_SHARES = {
    "Contacts": 0.24,
    "Accounts": 0.06,
    "Deals": 0.12,
    "Cases": 0.08,
    "Notes": 0.20,
    "Calls": 0.10,
    "Tasks": 0.12,
    "Events": 0.08,
}
DEFAULT_COUNTS = {
    "Contacts": 50,
    "Accounts": 10,
    "Deals": 30,
    "Cases": 20,
    "Notes": 60,
    "Calls": 20,
    "Tasks": 20,
    "Events": 10,
}


# Synthetic ids are org prefix + kind number + index; the kind number keeps ids unique across kinds.
ID_KINDS = {
    "Users": 0,
    "Accounts": 1,
    "Contacts": 2,
    "Deals": 3,
    "Cases": 4,
    "Notes": 5,
    "Calls": 6,
    "Tasks": 7,
    "Events": 8,
    "Tags": 20,
    "Modules": 21,
    "Fields": 22,
    "Layouts": 23,
    "Pipelines": 24,
    "Jobs": 25,
    "Org": 26,
}
