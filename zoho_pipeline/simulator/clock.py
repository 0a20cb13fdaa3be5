"""The simulator's clock: real time plus an offset that tests move forward (token expiry, Modified_Time)."""

from __future__ import annotations

import threading
import time


class Clock:
    """Seconds since the epoch, as the simulated Zoho sees them."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
        return self.now()
