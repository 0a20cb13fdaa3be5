"""One org's records: generated arrays plus an overlay of changes made through the control API.

Reads never materialise a module: listing works on sorted numpy key arrays ("views"), and only the
records on the page being served are built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from zoho_pipeline.simulator import schema
from zoho_pipeline.simulator.generator import (
    NOTE_PARENTS,
    OFFSET_MINUTES,
    ModuleArrays,
    RecordFactory,
    build_arrays,
    format_datetime,
)

SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
_INDEX_BITS = 31  # composite sort key = epoch << 31 | index: unique, and index order is id order


@dataclass
class View:
    """Alive records of a module in one sort order, optionally only those modified since an instant."""

    keys: np.ndarray  # ascending int64 keys (negated for descending order)
    indices: np.ndarray  # record indices in the same order


class ModuleStore:
    """One module's arrays and overlay."""

    def __init__(self, definition: schema.ModuleDef, arrays: ModuleArrays) -> None:
        self.definition = definition
        self.arrays = arrays
        self.generated = len(arrays.created)  # indices >= this were created through the control API
        self.overrides: dict[int, dict] = {}  # index -> field values set through the control API
        self.offsets: dict[int, int] = {}  # created records' UTC offset
        self.deleted_by: dict[int, int] = {}
        self.version = 0
        self._views: OrderedDict[tuple, View] = OrderedDict()
        self._views_lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.arrays.created)

    def alive_mask(self) -> np.ndarray:
        return self.arrays.deleted_time == 0

    def view(self, sort_by: str, descending: bool, modified_since: int | None) -> View:
        cache_key = (self.version, sort_by, descending, modified_since)
        with self._views_lock:
            found = self._views.get(cache_key)
        if found is not None:
            return found
        arrays = self.arrays
        mask = arrays.deleted_time == 0
        if modified_since is not None:
            mask &= arrays.modified >= modified_since  # guessed: If-Modified-Since is inclusive
        indices = np.nonzero(mask)[0].astype(np.int64)
        if sort_by == "id":
            keys = indices.copy()
        else:
            column = arrays.created if sort_by == "Created_Time" else arrays.modified
            keys = (column[indices] << _INDEX_BITS) | indices
        if descending:
            keys = -keys
        order = np.argsort(keys, kind="stable")
        view = View(keys[order], indices[order])
        with self._views_lock:
            self._views[cache_key] = view
            while len(self._views) > 8:
                self._views.popitem(last=False)
        return view

    def changed(self) -> None:
        with self._views_lock:
            self.version += 1
            self._views.clear()


class OrgStore:
    """All modules of one org, with ids, lookups and control-API mutations."""

    def __init__(self, seed: int, counts: dict[str, int], id_prefix: int, users: list[dict]) -> None:
        self.seed = seed
        self.id_prefix = id_prefix
        self.modules = schema.module_defs()
        self.counts = {name: int(counts.get(name, 0)) for name in schema.MODULE_NAMES}
        self.users = users
        self.lock = threading.RLock()
        self.factory = RecordFactory(seed, self.counts, users, self.lookup, self.record_id)
        self.stores = {
            name: ModuleStore(
                self.modules[name], build_arrays(seed, self.modules[name], self.counts[name], self.counts)
            )
            for name in schema.MODULE_NAMES
        }
        self._delete_notes_of_deleted_parents()
        self._null_fields: dict[str, set[str]] = {}  # custom fields added as null for existing records
        self.preloaded = None  # preload.PreloadedRecords, when the simulator was started with --preload

    @property
    def revision(self) -> int:
        """Grows with every change made through the control API, to any module."""
        return sum(store.version for store in self.stores.values())

    def _delete_notes_of_deleted_parents(self) -> None:
        """Zoho deletes a record's notes with it (guessed: at the same time, with the same deletion type)."""
        notes = self.stores["Notes"].arrays
        if notes.parent_module is None:
            return
        for number, parent in enumerate(NOTE_PARENTS):
            parents = self.stores[parent].arrays
            if not len(parents.deleted_time):
                continue
            on_parent = notes.parent_module == number
            parent_deleted = np.zeros(len(notes.created), dtype=np.int64)
            parent_deleted[on_parent] = parents.deleted_time[notes.parent_index[on_parent]]
            cascade = (parent_deleted > 0) & (notes.deleted_time == 0)
            # A note cannot outlive its parent nor be deleted before it was last modified.
            notes.deleted_time[cascade] = np.maximum(parent_deleted[cascade], notes.modified[cascade])
            notes.deleted_type[cascade] = parents.deleted_type[notes.parent_index[cascade]]

    # -- ids --------------------------------------------------------------------------------------------

    def record_id(self, kind: str, index: int) -> str:
        """Zoho-like 18/19-digit id: org prefix, a kind number, then the index (ids grow with creation)."""
        return str(self.id_prefix * 10**11 + schema.ID_KINDS[kind] * 10**9 + index * 7 + 1)

    def index_of(self, module: str, record_id: str) -> int | None:
        if not record_id.isdigit():
            return None
        rest = int(record_id) - self.id_prefix * 10**11 - schema.ID_KINDS[module] * 10**9 - 1
        if rest < 0 or rest % 7 or rest // 7 >= self.stores[module].size:
            return None
        return rest // 7

    # -- reading ----------------------------------------------------------------------------------------

    def lookup(self, module: str, index: int) -> dict:
        """A lookup value {"name","id"} with the referenced record's current name."""
        store = self.stores[module]
        override = store.overrides.get(index)
        name_field = store.definition.name_field
        if override and name_field in override:
            name = override[name_field]
        elif module == "Contacts" and override and ("First_Name" in override or "Last_Name" in override):
            name = self.record(module, index).get("Full_Name")
        elif index >= store.generated:
            name = (override or {}).get(name_field)
        else:
            name = self.factory.name(module, index)
        return {"name": name, "id": self.record_id(module, index)}

    def offset_of(self, module: str, index: int) -> int:
        store = self.stores[module]
        if index in store.offsets:
            return store.offsets[index]
        return OFFSET_MINUTES[
            (index * 2654435761 + self.seed + store.definition.number) % len(OFFSET_MINUTES)
        ]

    def record(self, module: str, index: int) -> dict:
        """The full record as Zoho would return it (all fields, lookups as {"name","id"})."""
        store = self.stores[module]
        definition = store.definition
        arrays = store.arrays
        if index < store.generated:
            record = self.factory.record(definition, index, arrays)
        else:
            record = {field_def.api_name: None for field_def in definition.fields}
            record["Tag"] = []
        override = store.overrides.get(index)
        for api_name in self._null_fields.get(module, ()):
            record[api_name] = None
        if override:
            record.update(override)
            if module == "Contacts" and ("First_Name" in override or "Last_Name" in override):
                first, last = record.get("First_Name"), record.get("Last_Name")
                record["Full_Name"] = " ".join(part for part in (first, last) if part)
        offset = self.offset_of(module, index)
        record["Created_Time"] = format_datetime(int(arrays.created[index]), offset)
        record["Modified_Time"] = format_datetime(int(arrays.modified[index]), offset)
        record["id"] = self.record_id(module, index)
        return record

    def is_alive(self, module: str, index: int) -> bool:
        return bool(self.stores[module].arrays.deleted_time[index] == 0)

    def alive_count(self, module: str) -> int:
        return int(np.count_nonzero(self.stores[module].alive_mask()))

    def notes_of(self, module: str, index: int) -> np.ndarray:
        """Indices of alive notes attached to one record."""
        arrays = self.stores["Notes"].arrays
        if module not in NOTE_PARENTS:
            mask = np.zeros(len(arrays.created), dtype=bool)
        else:
            mask = (arrays.parent_module == NOTE_PARENTS.index(module)) & (arrays.parent_index == index)
        mask &= arrays.deleted_time == 0
        return np.nonzero(mask)[0]

    # -- control-API mutations --------------------------------------------------------------------------

    def create(self, module: str, values: dict, now: int) -> dict:
        with self.lock:
            store = self.stores[module]
            index = store.size
            old = store.arrays
            notes = old.parent_module is not None
            # A new arrays object, swapped in at once: readers see either the old or the new module.
            store.arrays = ModuleArrays(
                np.append(old.created, np.int64(now)),
                np.append(old.modified, np.int64(now)),
                np.append(old.deleted_time, np.int64(0)),
                np.append(old.deleted_type, np.int8(0)),
                np.append(old.parent_module, np.int8(-1)) if notes else None,
                np.append(old.parent_index, np.int32(0)) if notes else None,
            )
            owner = self.users[0]
            store.overrides[index] = {
                "Owner": owner,
                "Created_By": owner,
                "Modified_By": owner,
                **self._normalise(module, values),
            }
            store.offsets[index] = 0
            if notes:
                self._set_note_parent(store, index, values.get("Parent_Id"))
            store.changed()
            return self.record(module, index)

    def update(self, module: str, index: int, values: dict, now: int) -> dict:
        with self.lock:
            store = self.stores[module]
            overrides = store.overrides.setdefault(index, {})
            overrides.update(self._normalise(module, values))
            overrides["Modified_By"] = self.users[0]
            if store.arrays.parent_module is not None and "Parent_Id" in values:
                self._set_note_parent(store, index, values["Parent_Id"])
            store.arrays.modified[index] = max(now, int(store.arrays.created[index]))
            store.changed()
            return self.record(module, index)

    def delete(self, module: str, index: int, now: int, permanent: bool = False) -> None:
        """Delete a record, and its notes with it, as Zoho does."""
        with self.lock:
            victims = [(module, index)] + [("Notes", int(note)) for note in self.notes_of(module, index)]
            for victim_module, victim_index in victims:
                store = self.stores[victim_module]
                store.arrays.deleted_time[victim_index] = now
                store.arrays.deleted_type[victim_index] = 2 if permanent else 1
                store.deleted_by[victim_index] = 0
                store.changed()

    def add_custom_field(self, module: str, field_def: schema.FieldDef, fill_values: bool) -> None:
        """Add a field; existing records get generated values (fill_values) or null."""
        with self.lock:
            definition = self.modules[module]
            # Before the system tail (Created_Time ... id), after the existing custom fields, so the
            # values already generated for other fields do not change.
            definition.fields.insert(len(definition.fields) - 6, field_def)
            if not fill_values:
                self._null_fields.setdefault(module, set()).add(field_def.api_name)
            self.stores[module].changed()

    def _normalise(self, module: str, values: dict) -> dict:
        """Accept lookups given as plain ids and fill in their names, as Zoho does on write."""
        definition = self.modules[module]
        result = {}
        for api_name, value in values.items():
            field_def = definition.field(api_name)
            if field_def and field_def.data_type == "lookup" and field_def.lookup_module:
                target_id = value.get("id") if isinstance(value, dict) else value
                target = self.index_of(field_def.lookup_module, str(target_id)) if target_id else None
                value = self.lookup(field_def.lookup_module, target) if target is not None else None
            result[api_name] = value
        return result

    def _set_note_parent(self, store: ModuleStore, index: int, parent) -> None:
        if not parent:
            return
        module = (parent.get("module") or {}).get("api_name") if isinstance(parent, dict) else None
        parent_id = parent.get("id") if isinstance(parent, dict) else None
        if module in NOTE_PARENTS and parent_id:
            target = self.index_of(module, str(parent_id))
            if target is not None:
                store.arrays.parent_module[index] = NOTE_PARENTS.index(module)
                store.arrays.parent_index[index] = target
                target_lookup = self.lookup(module, target)
                store.overrides.setdefault(index, {})["Parent_Id"] = {
                    "module": {"api_name": module, "id": self.record_id("Modules", schema.ID_KINDS[module])},
                    "name": target_lookup["name"],
                    "id": target_lookup["id"],
                }
