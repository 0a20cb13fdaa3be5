"""An org's records encoded ahead of time, as a real CRM holds them in its database.

Building a record costs ~30 µs of CPU in the simulator's one interpreter. A benchmark that shares
two cores between the simulator and the importer would otherwise measure the generator, which a
real Zoho runs on its own servers. `preload` builds and encodes every alive record once, in worker
processes, before the simulator serves; list pages that ask for all of a module's fields then send
these bytes. The answers are byte for byte those built on demand (tests compare them).

Any change through the control API drops the preloaded records (a lookup shows the current name of
the record it points to, so one rename can change records of other modules); pages are then built
on demand again.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import orjson

from zoho_pipeline.simulator.store import OrgStore

CHUNK = 20_000  # records per worker task


@dataclass
class PreloadedRecords:
    revision: int  # the store's revision they were built at
    fields: dict[str, frozenset[str]]  # per module: the field set a page must ask for (id aside)
    encoded: dict[str, list[bytes | None]]  # per module, by record index; None: deleted


def all_fields(store: OrgStore, module: str) -> list[str]:
    """Every field of the module but `id` (which every answer carries anyway), in definition order."""
    return [f.api_name for f in store.modules[module].fields if f.api_name != "id"]


def preload(store: OrgStore, workers: int | None = None) -> PreloadedRecords:
    """Build and encode every alive record of the org, in `workers` processes (default: one per core)."""
    from zoho_pipeline.simulator.records import project  # records imports this module

    fields = {module: all_fields(store, module) for module in store.stores}
    tasks = [
        (module, start, min(start + CHUNK, module_store.size))
        for module, module_store in store.stores.items()
        for start in range(0, module_store.size, CHUNK)
    ]
    workers = workers or os.cpu_count() or 1
    global _FORKED
    _FORKED = (store, fields, project)
    try:
        if workers > 1 and len(tasks) > 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")  # workers inherit the store: nothing to send
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                chunks = list(pool.map(_encode_chunk, tasks))
        else:
            chunks = [_encode_chunk(task) for task in tasks]
    finally:
        _FORKED = None
    encoded: dict[str, list[bytes | None]] = {module: [] for module in store.stores}
    for (module, _, _), chunk in zip(tasks, chunks, strict=True):
        encoded[module].extend(chunk)
    return PreloadedRecords(
        store.revision, {module: frozenset(names) for module, names in fields.items()}, encoded
    )


_FORKED = None  # (store, fields, project) while a preload runs: what forked workers read


def _encode_chunk(task: tuple[str, int, int]) -> list[bytes | None]:
    store, fields, project = _FORKED
    module, start, stop = task
    alive = store.stores[module].arrays.deleted_time[start:stop] == 0
    wanted = fields[module]
    return [
        orjson.dumps(project(store.record(module, index), wanted)) if is_alive else None
        for index, is_alive in zip(range(start, stop), alive.tolist(), strict=True)
    ]


def preloaded_page(store: OrgStore, module: str, wanted: list[str], indices: np.ndarray) -> list | None:
    """The page's records as preloaded JSON, or None when they must be built (changed org, other fields)."""
    preloaded = store.preloaded
    if preloaded is None:
        return None
    if preloaded.revision != store.revision:
        store.preloaded = None  # the org changed: free the memory, build from now on
        return None
    if preloaded.fields[module] != frozenset(wanted):
        return None
    encoded = preloaded.encoded[module]
    page = []
    for index in indices.tolist():
        data = encoded[index] if index < len(encoded) else None
        if data is None:
            return None
        page.append(orjson.Fragment(data))
    return page
