"""Give memory the extract step freed back to the OS before the load step takes its own."""
from __future__ import annotations

import ctypes
import ctypes.util
import gc

import pyarrow as pa


def release_freed_memory() -> None:
    """Arrow's pool and glibc's malloc keep freed memory for reuse; the load step (DuckDB) can't reuse
    it, so without this the import's peak is the extract's leftovers plus DuckDB's memory limit."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)  # glibc only
        if trim is not None:
            trim(0)
