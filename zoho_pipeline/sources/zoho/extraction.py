"""What one extraction shares across the source's resources: the client, counters, rejects, the stop flag.

Resources run in parallel threads. A fatal Zoho error in one of them sets the stop flag: every
resource then ends cleanly after its current page, so dlt still commits what was extracted (and the
cursors that match it) and the import resumes from there next time.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoho_pipeline.sources.zoho.client import ZohoClient

# progress(module, processed=, successful=, failed=) after every page (Zoho module API name).
ProgressCallback = Callable[..., None]


@dataclass
class ModuleCounts:
    """Per-module tallies for the import summary."""

    zoho_count: int | None = None
    fetched: int = 0
    loaded: int = 0
    failed: int = 0
    pages: int = 0
    complete: bool = False
    stopped_reason: str | None = None


@dataclass
class Extraction:
    """Shared state of one extraction run (thread-safe where resources touch it)."""

    integration_id: str
    client: ZohoClient
    import_id: str | None = None
    progress: ProgressCallback | None = None
    modules: dict[str, ModuleCounts] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    fatal: BaseException | None = None
    started_at: float = field(default_factory=time.monotonic)
    _done: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _module_finished: threading.Condition = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._module_finished = threading.Condition(self._lock)

    @property
    def stopped(self) -> bool:
        return self.fatal is not None

    def stop(self, error: BaseException) -> None:
        """Remember the first fatal error; every resource ends after its current page."""
        with self._lock:
            if self.fatal is None:
                self.fatal = error

    def counts(self, module: str) -> ModuleCounts:
        with self._lock:
            return self.modules.setdefault(module, ModuleCounts())

    def page_done(self, module: str, fetched: int, loaded: int, failed: int) -> None:
        counts = self.counts(module)
        with self._lock:
            counts.fetched += fetched
            counts.loaded += loaded
            counts.failed += failed
            counts.pages += 1
            processed, successful, failed_total = counts.fetched, counts.loaded, counts.failed
        if self.progress is not None:
            self.progress(module, processed=processed, successful=successful, failed=failed_total)

    def add_rejects(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self._lock:
                self.rejects.extend(rows)

    def module_done(self, module: str, complete: bool, reason: str | None = None) -> None:
        counts = self.counts(module)
        with self._lock:
            counts.complete = complete
            counts.stopped_reason = reason
            self._done.add(module)
            self._module_finished.notify_all()

    def all_done(self, modules: set[str]) -> bool:
        with self._lock:
            return modules <= self._done

    def wait_all_done(self, modules: set[str], timeout: float) -> bool:
        """Block until every module in `modules` is done, or `timeout` seconds pass; True when done."""
        with self._lock:
            return self._module_finished.wait_for(lambda: modules <= self._done, timeout)
