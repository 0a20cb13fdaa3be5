"""Synthetic org data, deterministic by seed: compact per-module arrays plus records built on demand.

Nothing here holds one Python object per record. A module is a few numpy arrays (creation and
modification instants, deletion state, note parents); a record's other values are drawn from small
value pools by a `random.Random` seeded with (org seed, module, index), so the same seed always gives
the same org and a 1,000,000-record org costs a few tens of megabytes.
"""

from __future__ import annotations

import _random
import functools
import time
import unicodedata
from dataclasses import dataclass

import numpy as np

from zoho_pipeline.simulator import schema

# Generated history spans these instants; the simulator's clock starts later (at real time), so
# records changed through the control API are always newer than generated ones.
HISTORY_START = 1546300800  # 2019-01-01T00:00:00Z
HISTORY_END = 1764460800  # 2025-11-30T00:00:00Z

# Users' time zones; each record is shown in one of these, as Zoho shows times in a user's zone.
OFFSET_MINUTES = (330, -420, 0, 60, -300, 540)
_OFFSET_TEXT = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in OFFSET_MINUTES}

UNICODE_FIRST = ("Zoë", "José", "Łukasz", "Søren", "Ñusta", "Chloé", "Jürgen", "Dvořák", "Ólafur", "Nguyễn")
UNICODE_LAST = (
    "Müller",
    "O'Brien",
    "Ørsted",
    "Gómez-Ruiz",
    "Brontë",
    "Kowalczyk-Wiśniewska",
    "Đặng",
    "Świątek",
)
UNICODE_COMPANIES = (
    "Café Olé GmbH",
    "Zürich Präzision AG",
    "東京テック株式会社",
    "Société Générale d'Ingénierie",
    "Smile 😀 Labs",
    "Łódź Logistyka Sp. z o.o.",
)


# Every record formats a few datetimes: strftime costs ~2.5 us, these pieces a fraction of that.
_HOURS = tuple(f"T{h:02d}:" for h in range(24))
_MINUTES_SECONDS = tuple(f"{s // 60:02d}:{s % 60:02d}" for s in range(3600))


@functools.cache
def _day_text(day: int) -> str:
    """'YYYY-MM-DD' of a day since the epoch (strftime's own text; generated dates span some 20,000 days)."""
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


def format_datetime(epoch: int, offset_minutes: int) -> str:
    """Zoho's datetime form: ISO 8601, second precision, the user's UTC offset, no milliseconds."""
    day, second = divmod(epoch + offset_minutes * 60, 86400)
    hour, second = divmod(second, 3600)
    return (
        _day_text(day)
        + _HOURS[hour]
        + _MINUTES_SECONDS[second]
        + (_OFFSET_TEXT.get(offset_minutes) or _offset_text(offset_minutes))
    )


def _offset_text(minutes: int) -> str:
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_date(epoch: int) -> str:
    return _day_text(epoch // 86400)


@dataclass(frozen=True)
class Pools:
    """Small value pools built once with Faker; records only index into them."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    cities: tuple[str, ...]
    states: tuple[str, ...]
    countries: tuple[str, ...]
    streets: tuple[str, ...]
    titles: tuple[str, ...]
    departments: tuple[str, ...]
    phones: tuple[str, ...]
    sentences: tuple[str, ...]
    words: tuple[str, ...]
    domains: tuple[str, ...]
    long_text: str


@functools.lru_cache(maxsize=1)
def pools() -> Pools:
    """The value pools (the same for every org: the seed picks from them, so orgs stay deterministic)."""
    from faker import Faker

    fake = Faker(["en_US", "de_DE", "fr_FR", "es_ES", "ja_JP", "hi_IN"])
    fake.seed_instance(20240601)
    en = Faker("en_US")
    en.seed_instance(20240602)

    def uniq(make, n):
        return tuple(dict.fromkeys(make() for _ in range(n)))

    sentences = uniq(fake.sentence, 300)
    return Pools(
        first_names=uniq(fake.first_name, 400) + UNICODE_FIRST,
        last_names=uniq(fake.last_name, 400) + UNICODE_LAST,
        companies=uniq(fake.company, 300) + UNICODE_COMPANIES,
        cities=uniq(fake.city, 200),
        states=uniq(en.state_abbr, 50),
        countries=(
            "United States",
            "India",
            "Germany",
            "France",
            "United Kingdom",
            "Japan",
            "Spain",
            "Brazil",
            "Australia",
            "Canada",
        ),
        streets=uniq(fake.street_address, 200),
        titles=uniq(en.job, 150),
        departments=("Sales", "Marketing", "Support", "Finance", "Engineering", "Operations", "Legal", "HR"),
        phones=uniq(en.phone_number, 300),
        sentences=sentences,
        words=uniq(en.word, 300),
        domains=uniq(en.free_email_domain, 8) + uniq(en.domain_name, 40),
        long_text=" ".join(sentences) * 4,  # ~20-30k characters, for "very long value" records
    )


@dataclass
class ModuleArrays:
    """The only per-record state kept for a generated module."""

    created: np.ndarray  # int64 epoch seconds, ascending with index (ids grow with creation time)
    modified: np.ndarray  # int64 epoch seconds, >= created
    deleted_time: np.ndarray  # int64 epoch seconds, 0 = alive
    deleted_type: np.ndarray  # int8: 0 alive, 1 recycle bin, 2 permanently deleted
    parent_module: np.ndarray | None = None  # Notes only: index into NOTE_PARENTS (-1: none)
    parent_index: np.ndarray | None = None  # Notes only


NOTE_PARENTS = ("Contacts", "Deals", "Cases")


def build_arrays(seed: int, module: schema.ModuleDef, count: int, counts: dict[str, int]) -> ModuleArrays:
    """Vectorised timestamps, deletions and (for Notes) parents for one module."""
    rng = np.random.default_rng([seed, module.number])
    created = np.sort(rng.integers(HISTORY_START, HISTORY_END - 86400, count, dtype=np.int64))
    span = HISTORY_END - created
    # About a quarter of records were never edited after creation (Modified_Time == Created_Time).
    edited = rng.random(count) > 0.25
    modified = created + (rng.random(count) ** 2 * span * edited).astype(np.int64)
    deleted_time = np.zeros(count, dtype=np.int64)
    deleted_type = np.zeros(count, dtype=np.int8)
    if count >= 10 and module.api_name != "Accounts":
        n_deleted = max(1, count // 200)
        victims = rng.choice(count, n_deleted, replace=False)
        deleted_time[victims] = np.minimum(
            modified[victims] + rng.integers(60, 30 * 86400, n_deleted), HISTORY_END
        )
        deleted_type[victims] = np.where(rng.random(n_deleted) < 0.7, 1, 2)
    arrays = ModuleArrays(created, modified, deleted_time, deleted_type)
    if module.api_name == "Notes":
        available = [i for i, name in enumerate(NOTE_PARENTS) if counts.get(name, 0) > 0]
        if available and count:
            parent_module = np.array(available, dtype=np.int8)[rng.integers(0, len(available), count)]
            # Cover every parent module even in tiny orgs.
            parent_module[: len(available)] = available
            sizes = np.array([counts.get(name, 0) for name in NOTE_PARENTS], dtype=np.int64)
            # A note is (nearly always) written after its parent: creation times are sorted draws over the
            # same years, so a parent from the first (note's position) share of its module came first.
            written_after = (np.arange(count) + 0.5) / count
            parent_index = (rng.random(count) * written_after * sizes[parent_module]).astype(np.int32)
        else:
            parent_module = np.full(count, -1, dtype=np.int8)
            parent_index = np.zeros(count, dtype=np.int32)
        arrays.parent_module, arrays.parent_index = parent_module, parent_index
    return arrays


def _cover(index: int, values: tuple, rnd: _random.Random):
    """The first len(values) records take each value once, so tiny orgs still show every value."""
    if index < len(values):
        return values[index]
    return values[int(rnd.random() * len(values))]


@functools.lru_cache(maxsize=4096)
def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in folded if ch.isalnum())


class RecordFactory:
    """Builds one record's generated values from (seed, module, index); the store adds overlays.

    `lookup(module, index)` and `record_id(module, index)` come from the store so lookups show the
    current name of the referenced record (including renames made through the control API).
    """

    def __init__(self, seed: int, counts: dict[str, int], users: list[dict], lookup, record_id) -> None:
        self.seed = seed
        self.counts = counts
        self.users = users
        self.pools = pools()
        self.lookup = lookup
        self.record_id = record_id
        self._key_base = (seed & 0xFFFFFFFF) * 1_000_003
        # Per-org cache: lookups of the same records (names, contact emails) recur across modules.
        self.cached_name = functools.lru_cache(maxsize=65536)(self._name)
        self._module_traits: dict[tuple[str, int], tuple] = {}
        self._tag_id = record_id("Tags", 1)

    def rnd(self, number: int, index: int, salt: int = 0) -> _random.Random:
        # The C generator behind random.Random, seeded once: random.Random(n) seeds in __new__ and
        # again in __init__ (the same state, twice the cost). Records only call .random().
        return _random.Random((self._key_base + number * 7919 + salt) * 10_000_019 + index)

    # -- names --------------------------------------------------------------------------------------------
    # A record's name comes first in its random stream, so a lookup elsewhere can compute it alone
    # (and cache it) while record() draws it as the start of the same stream: one seeding per record.

    def _contact_prefix(self, rnd: _random.Random, index: int) -> tuple:
        p, r = self.pools, rnd.random
        last_names = p.last_names
        first = p.first_names[int(r() * len(p.first_names))]
        last = last_names[int(r() * len(last_names))]
        long_roll = r()
        has_first = r() > 0.03
        domain = p.domains[int(r() * len(p.domains))]
        kind = r()
        other_roll = r()
        variant = int(r() * 3)
        if long_roll < 0.002 or index % 997 == 5:
            last = last + "-" + "-".join(last_names[(index + k * 31) % len(last_names)] for k in range(12))
        return first, last, has_first, domain, kind, other_roll, variant

    def _base_email(self, index: int) -> str:
        first, last, _, domain, *_ = self._contact_prefix(self.rnd(2, index), index)
        local = f"{ascii_fold(first)}.{ascii_fold(last)}".strip(".") or "contact"
        return f"{local[:60]}{index % 97}@{domain}"

    def _contact_identity(self, rnd: _random.Random, index: int) -> tuple[str | None, str, str | None]:
        """(First_Name, Last_Name, Email): email may be None, shared with another contact, or oddly typed."""
        first, last, has_first, domain, kind, other_roll, variant = self._contact_prefix(rnd, index)
        if index < 3:
            kind = (0.5, 0.01, 0.04)[index]  # cover: plain, no email, shared email
        local = f"{ascii_fold(first)}.{ascii_fold(last)}".strip(".") or "contact"
        email = f"{local[:60]}{index % 97}@{domain}"
        if kind < 0.03:
            email = None
        elif kind < 0.07 and index > 0:
            base = self._base_email(int(other_roll * index))
            email = (base.upper(), f"  {base.title()} ", f" {base}")[
                variant
            ]  # same address, typed differently
        return (first if has_first else None), last, email

    def _name_from(self, module: str, rnd: _random.Random, index: int):
        p = self.pools
        r = rnd.random
        if module == "Contacts":
            return self._contact_identity(rnd, index)
        if module == "Accounts":
            company = p.companies[int(r() * len(p.companies))]
            return company if index < len(p.companies) else f"{company} {index // len(p.companies)}"
        if module == "Deals":
            company = p.companies[int(r() * len(p.companies))]
            return f"{company} - {p.words[int(r() * len(p.words))].title()} deal"
        if module == "Cases":
            return p.sentences[int(r() * len(p.sentences))].rstrip(".")
        if module == "Notes":
            title = p.sentences[int(r() * len(p.sentences))][:120]
            return None if r() < 0.2 else title
        if module == "Calls":
            return ("Call with ", "Follow-up call: ", "Demo call: ")[int(r() * 3)] + p.words[
                int(r() * len(p.words))
            ]
        if module == "Tasks":
            return ("Send proposal to ", "Follow up with ", "Prepare contract for ")[
                int(r() * 3)
            ] + p.companies[int(r() * len(p.companies))]
        if module == "Events":
            return ("Meeting with ", "Quarterly review: ", "Workshop: ")[int(r() * 3)] + p.companies[
                int(r() * len(p.companies))
            ]
        return None

    def _name(self, module: str, index: int):
        return self._name_from(module, self.rnd(schema.ID_KINDS[module], index), index)

    def name(self, module: str, index: int) -> str | None:
        """The generated display name of a record (what lookups to it show)."""
        value = self.cached_name(module, index)
        if module == "Contacts":
            first, last, _ = value
            return f"{first} {last}" if first else last
        return value

    def contact_email(self, index: int) -> str | None:
        return self.cached_name("Contacts", index)[2]

    # -- whole records ----------------------------------------------------------------------------------

    def _traits(self, module: schema.ModuleDef) -> tuple:
        key = (module.api_name, len(module.fields))
        traits = self._module_traits.get(key)
        if traits is None:
            traits = self._module_traits[key] = (
                getattr(self, "_" + module.api_name.lower()),
                module.field("Record_Status__s") is not None,
                module.field("Locked__s") is not None,
                tuple((f.api_name, self._value_maker(f)) for f in module.fields if f.custom),
            )
        return traits

    def record(self, module: schema.ModuleDef, index: int, arrays: ModuleArrays) -> dict:
        """Every field of the module except id/times (the store adds those from its arrays)."""
        rnd = self.rnd(module.number, index)
        build, has_status, has_lock, custom_fields = self._traits(module)
        name = self._name_from(module.api_name, rnd, index)  # first in the stream: see _name_from
        r = rnd.random
        users = self.users
        n_users = len(users)
        record = {
            "Owner": users[int(r() * n_users)],
            "Created_By": users[int(r() * n_users)],
            "Modified_By": users[int(r() * n_users)],
            "Tag": [] if r() < 0.85 else [{"name": "VIP", "id": self._tag_id, "color_code": "#F17574"}],
        }
        record.update(build(index, rnd, arrays, name))
        if has_status:
            record["Record_Status__s"] = "Available"
        if has_lock:
            record["Locked__s"] = False
        created = int(arrays.created[index])
        for api_name, make_value in custom_fields:
            record[api_name] = make_value(r, created)
        return record

    def _value_maker(self, field_def: schema.FieldDef):
        """One small function per field type, chosen once per module rather than per value."""
        data_type = field_def.data_type
        words = self.pools.words
        values = tuple(v for v in field_def.picklist if v is not None) or ("A", "B")
        n_values = len(values)

        def picklist(r, created):
            return None if r() < 0.12 else values[int(r() * n_values)]

        def multiselect(r, created):
            if r() < 0.12:
                return None
            chosen = {int(r() * len(values)) for _ in range(1 + int(r() * 3))}
            return [values[i] for i in sorted(chosen)]

        def date(r, created):
            return None if r() < 0.12 else format_date(created + int(r() * 400 * 86400))

        def datetime_(r, created):
            return (
                None
                if r() < 0.12
                else format_datetime(created + int(r() * 200 * 86400), OFFSET_MINUTES[int(r() * 6)])
            )

        def currency(r, created):
            return None if r() < 0.12 else round(r() * 50000, 2)

        def double(r, created):
            return None if r() < 0.12 else round(r() * 100, 2)

        def boolean(r, created):
            return None if r() < 0.12 else r() < 0.4

        def integer(r, created):
            return None if r() < 0.12 else int(r() * 500)

        def email(r, created):
            return None if r() < 0.12 else self._base_email(int(r() * 1000))

        def text(r, created):
            return None if r() < 0.12 else words[int(r() * len(words))].title()

        return {
            "picklist": picklist,
            "multiselectpicklist": multiselect,
            "date": date,
            "datetime": datetime_,
            "currency": currency,
            "double": double,
            "percent": double,
            "boolean": boolean,
            "integer": integer,
            "email": email,
        }.get(data_type, text)

    def _lookup(self, module: str, rnd: _random.Random, probability: float = 1.0) -> dict | None:
        count = self.counts.get(module, 0)
        if not count or rnd.random() >= probability:
            return None
        return self.lookup(module, int(rnd.random() * count))

    def _description(self, rnd: _random.Random, index: int) -> str | None:
        roll = rnd.random()
        if roll < 0.3 and index % 150 != 7:
            return None
        if roll < 0.31 or index % 150 == 7:  # a very long value in every small org too
            return self.pools.long_text[: 5000 + int(rnd.random() * 15000)]
        s, r = self.pools.sentences, rnd.random
        return " ".join([s[int(r() * len(s))] for _ in range(1 + int(r() * 3))])

    def _pick(self, rnd: _random.Random, values: tuple):
        return values[int(rnd.random() * len(values))]

    def _accounts(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        p, r = self.pools, rnd.random
        return {
            "Account_Name": name,
            "Account_Number": str(10_000 + index),
            "Account_Site": self._pick(rnd, p.cities),
            "Account_Type": self._pick(rnd, schema.ACCOUNT_TYPES),
            "Industry": self._pick(rnd, schema.INDUSTRIES) if r() < 0.8 else None,
            "Annual_Revenue": round(r() * 10_000_000, 2) if r() < 0.7 else None,
            "Employees": int(r() * 5000),
            "Phone": self._pick(rnd, p.phones),
            "Fax": None,
            "Website": f"https://www.{self._pick(rnd, p.domains)}",
            "Ticker_Symbol": None,
            "Rating": self._pick(rnd, ("Acquired", "Active", "Market Failed")),
            "Parent_Account": self.lookup("Accounts", int(r() * index)) if index and r() < 0.1 else None,
            "Billing_Street": self._pick(rnd, p.streets),
            "Billing_City": self._pick(rnd, p.cities),
            "Billing_State": self._pick(rnd, p.states),
            "Billing_Code": f"{int(r() * 99999):05d}",
            "Billing_Country": self._pick(rnd, p.countries),
            "Shipping_City": self._pick(rnd, p.cities),
            "Shipping_Country": self._pick(rnd, p.countries),
            "Description": self._description(rnd, index),
            "Last_Activity_Time": self._activity_time(rnd, arrays, index),
        }

    def _activity_time(self, rnd: _random.Random, arrays: ModuleArrays, index: int) -> str | None:
        created, modified = int(arrays.created[index]), int(arrays.modified[index])
        if rnd.random() < 0.3:
            return None
        return format_datetime(created + int(rnd.random() * (modified - created + 1)), self.offset(rnd))

    @staticmethod
    def offset(rnd: _random.Random) -> int:
        return OFFSET_MINUTES[int(rnd.random() * len(OFFSET_MINUTES))]

    def _contacts(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        # The most read module: picks are written out rather than calling _pick (the same draws).
        p, r = self.pools, rnd.random
        first, last, email = name
        phones = p.phones
        return {
            "Email": email,
            "Secondary_Email": None if r() < 0.9 else self._base_email(index + 1),
            "First_Name": first,
            "Last_Name": last,
            "Full_Name": f"{first} {last}" if first else last,
            "Salutation": schema.SALUTATIONS[int(r() * len(schema.SALUTATIONS))] if r() < 0.5 else None,
            "Title": p.titles[int(r() * len(p.titles))] if r() < 0.7 else None,
            "Department": p.departments[int(r() * len(p.departments))] if r() < 0.6 else None,
            "Phone": phones[int(r() * len(phones))] if r() < 0.8 else None,
            "Mobile": phones[int(r() * len(phones))] if r() < 0.5 else None,
            "Home_Phone": None,
            "Account_Name": self._lookup("Accounts", rnd, 0.85),
            "Reporting_To": self.lookup("Contacts", int(r() * index)) if index and r() < 0.08 else None,
            "Lead_Source": schema.LEAD_SOURCES[int(r() * len(schema.LEAD_SOURCES))] if r() < 0.7 else None,
            "Date_of_Birth": format_date(int(-300_000_000 + r() * 1_200_000_000)) if r() < 0.3 else None,
            "Description": self._description(rnd, index),
            "Email_Opt_Out": r() < 0.1,
            "Mailing_Street": p.streets[int(r() * len(p.streets))],
            "Mailing_City": p.cities[int(r() * len(p.cities))],
            "Mailing_State": p.states[int(r() * len(p.states))],
            "Mailing_Zip": f"{int(r() * 99999):05d}",
            "Mailing_Country": p.countries[int(r() * len(p.countries))],
            "Twitter": None if r() < 0.8 else ascii_fold(first or last)[:15] or None,
            "Last_Activity_Time": self._activity_time(rnd, arrays, index),
        }

    def _deals(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        r = rnd.random
        stage = _cover(index, schema.DEAL_STAGES + (schema.CUSTOM_DEAL_STAGE,), rnd)
        amount = round(500 + r() * 250_000, 2) if r() < 0.9 else None
        probability = stage[3]
        created = int(arrays.created[index])
        return {
            "Deal_Name": name,
            "Stage": stage[0],
            "Pipeline": schema.PIPELINE_NAME,
            "Amount": amount,
            "Closing_Date": format_date(created + int(r() * 180 * 86400)),
            "Probability": probability,
            "Expected_Revenue": None if amount is None else round(amount * probability / 100, 2),
            "Account_Name": self._lookup("Accounts", rnd, 0.9),
            "Contact_Name": self._lookup("Contacts", rnd, 0.75),
            "Type": self._pick(rnd, schema.DEAL_TYPES + (None,)),
            "Lead_Source": self._pick(rnd, schema.LEAD_SOURCES) if r() < 0.6 else None,
            "Next_Step": self._pick(rnd, self.pools.sentences) if r() < 0.4 else None,
            "Description": self._description(rnd, index),
            "Reason_For_Loss__s": "Lost to Competitor"
            if stage[0] == "Closed Lost to Competition"
            else (self._pick(rnd, ("Price", "No Budget", "Other")) if stage[0] == "Closed Lost" else None),
            "Lead_Conversion_Time": None,
            "Sales_Cycle_Duration": int(r() * 120) if stage[1] != "Open" else None,
            "Overall_Sales_Duration": int(r() * 200) if stage[1] != "Open" else None,
            "Last_Activity_Time": self._activity_time(rnd, arrays, index),
        }

    def _cases(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        p, r = self.pools, rnd.random
        status = _cover(index, schema.CASE_STATUSES, rnd)
        priority = _cover(index, schema.CASE_PRIORITIES, rnd)
        n_contacts = self.counts.get("Contacts", 0)
        link = r()
        related, email = None, None
        if n_contacts and link < 0.65:
            contact = int(r() * n_contacts)
            related = self.lookup("Contacts", contact)
            email = self.contact_email(contact)
        elif n_contacts and (link < 0.85 or index == 1):
            # Only an email address that matches a contact (typed by the customer, maybe differently).
            email = self.contact_email(int(r() * n_contacts)) or self._base_email(int(r() * n_contacts))
        elif r() < 0.5:
            email = f"{self._pick(rnd, p.words)}{index}@{self._pick(rnd, p.domains)}"
        return {
            "Subject": name,
            "Status": status,
            "Priority": priority,
            "Case_Origin": self._pick(rnd, schema.CASE_ORIGINS),
            "Type": self._pick(rnd, schema.CASE_TYPES),
            "Case_Reason": self._pick(rnd, schema.CASE_REASONS) if r() < 0.6 else None,
            "Description": self._description(rnd, index),
            "Solution": self._pick(rnd, p.sentences) if status == "Closed" else None,
            "Internal_Comments": None,
            "No_of_comments": int(r() * 6),
            "Case_Number": str(1000 + index),
            "Related_To": related,
            "Account_Name": self._lookup("Accounts", rnd, 0.5),
            "Deal_Name": self._lookup("Deals", rnd, 0.2),
            "Reported_By": None,
            "Email": email,
            "Phone": self._pick(rnd, p.phones) if r() < 0.3 else None,
        }

    def _notes(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        parent = None
        module_index = int(arrays.parent_module[index])
        if module_index >= 0:
            parent_module = NOTE_PARENTS[module_index]
            target = self.lookup(parent_module, int(arrays.parent_index[index]))
            parent = {
                "module": {
                    "api_name": parent_module,
                    "id": self.record_id("Modules", schema.ID_KINDS[parent_module]),
                },
                "name": target["name"],
                "id": target["id"],
            }
        roll = rnd.random()
        s = self.pools.sentences
        content = (
            self.pools.long_text[:8000]
            if roll < 0.01
            else " ".join(s[int(rnd.random() * len(s))] for _ in range(1 + int(rnd.random() * 4)))
        )
        return {"Note_Title": name, "Note_Content": content, "Parent_Id": parent}

    def _what(
        self, rnd: _random.Random, modules: tuple[str, ...], probability: float
    ) -> tuple[dict | None, str | None]:
        if rnd.random() >= probability:
            return None, None
        module = modules[int(rnd.random() * len(modules))]
        target = self._lookup(module, rnd)
        return (target, module) if target else (None, None)

    def _calls(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        r = rnd.random
        call_type = _cover(index, schema.CALL_TYPES, rnd)
        what, se_module = self._what(rnd, ("Deals", "Cases", "Accounts"), 0.5)
        seconds = 0 if call_type == "Missed" else 30 + int(r() * 3600)
        created = int(arrays.created[index])
        return {
            "Subject": name,
            "Call_Type": call_type,
            "Call_Start_Time": format_datetime(created + int(r() * 86400), self.offset(rnd)),
            "Call_Duration": f"{seconds // 60:02d}:{seconds % 60:02d}",
            "Call_Duration_in_seconds": seconds,
            "Call_Purpose": self._pick(rnd, schema.CALL_PURPOSES) if r() < 0.7 else None,
            "Call_Result": None
            if call_type == "Missed"
            else self._pick(rnd, ("Interested", "Not interested", "Requested more info", None)),
            "Call_Agenda": None,
            "Outgoing_Call_Status": self._pick(rnd, ("Completed", "Scheduled"))
            if call_type == "Outbound"
            else None,
            "Who_Id": self._lookup("Contacts", rnd, 0.85),
            "What_Id": what,
            "$se_module": se_module,
            "Caller_ID": self._pick(rnd, self.pools.phones) if call_type != "Outbound" else None,
            "Dialled_Number": self._pick(rnd, self.pools.phones) if call_type == "Outbound" else None,
            "Description": self._description(rnd, index),
        }

    def _tasks(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        r = rnd.random
        status = _cover(index, schema.TASK_STATUSES, rnd)
        what, se_module = self._what(rnd, ("Deals", "Cases", "Accounts"), 0.7)
        created, modified = int(arrays.created[index]), int(arrays.modified[index])
        offset = self.offset(rnd)
        return {
            "Subject": name,
            "Due_Date": format_date(created + int(r() * 30 * 86400)),
            "Status": status,
            "Priority": _cover(index, schema.TASK_PRIORITIES, rnd),
            "What_Id": what,
            "$se_module": se_module,
            "Who_Id": self._lookup("Contacts", rnd, 0.6),
            "Description": self._description(rnd, index),
            "Closed_Time": format_datetime(modified, offset) if status == "Completed" else None,
            "Send_Notification_Email": r() < 0.2,
            "Remind_At": None
            if r() < 0.7
            else {
                "ALARM": f"FREQ=NONE;ACTION=EMAIL;TRIGGER=DATE-TIME:{format_datetime(created + 3600, offset)}"
            },
            "Recurring_Activity": None,
        }

    def _events(self, index: int, rnd: _random.Random, arrays: ModuleArrays, name) -> dict:
        r = rnd.random
        what, se_module = self._what(rnd, ("Deals", "Cases", "Accounts"), 0.6)
        who = self._lookup("Contacts", rnd, 0.7)
        start = int(arrays.created[index]) + int(r() * 14 * 86400)
        offset = self.offset(rnd)
        participants = []
        if who:
            participants.append(
                {
                    "name": who["name"],
                    "Email": None,
                    "invited": True,
                    "type": "contact",
                    "participant": who["id"],
                    "status": "not_known",
                }
            )
        return {
            "Event_Title": name,
            "Start_DateTime": format_datetime(start, offset),
            "End_DateTime": format_datetime(start + 1800 * (1 + int(r() * 4)), offset),
            "All_day": r() < 0.05,
            "Venue": self._pick(rnd, self.pools.cities) if r() < 0.5 else None,
            "Participants": participants,
            "Remind_At": None,
            "Who_Id": who,
            "What_Id": what,
            "$se_module": se_module,
            "Description": self._description(rnd, index),
            "Check_In_Time": None,
            "Check_In_Status": None,
        }
