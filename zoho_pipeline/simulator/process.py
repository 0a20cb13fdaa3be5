"""The simulator in a child process (`zoho-pipeline simulator`), for the demo and the benchmarks:
its own interpreter, so it never competes with the importer for the GIL.

    with SimulatorProcess.start("--size", "5000") as sim:
        sim.details["accounts_url"], sim.details["client_id"], ...   # its `SIMULATOR {...}` line
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

from zoho_pipeline.errors import UserError

_DETAILS_PREFIX = "SIMULATOR "


class SimulatorProcess:
    """A running `zoho-pipeline simulator` child process and the details it printed."""

    def __init__(self, process: subprocess.Popen, details: dict[str, Any], startup_seconds: float) -> None:
        self.process = process
        self.details = details  # accounts_url, api_domain, client_id, client_secret, refresh_token, counts...
        self.startup_seconds = startup_seconds

    @classmethod
    def start(cls, *options: str) -> SimulatorProcess:
        """Start it with these command-line options; return once it serves (its details line is out)."""
        started = time.perf_counter()
        command = [sys.executable, "-m", "zoho_pipeline", "simulator", *options]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            if line.startswith(_DETAILS_PREFIX):
                details = json.loads(line[len(_DETAILS_PREFIX):])
                # Keep draining its output so the child never blocks on a full pipe.
                threading.Thread(target=process.stdout.read, daemon=True).start()
                threading.Thread(target=process.stderr.read, daemon=True).start()
                return cls(process, details, time.perf_counter() - started)
        process.wait(timeout=10)
        raise UserError(f"the simulator did not start: {process.stderr.read().strip()[-500:]}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
