"""`dagster dev` (what `make dagster` runs) comes up on a free port and lists the assets over GraphQL."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from zoho_pipeline import settings

VENV_BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 240  # seconds; it comes up in ~30 s on the 2-core machine (the test takes ~40 s)
ASSETS_QUERY = "{ assetNodes { assetKey { path } } }"
LOCATIONS_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def location_error(port: int) -> str | None:
    for entry in graphql(port, LOCATIONS_QUERY)["workspaceOrError"].get("locationEntries", []):
        location = entry["locationOrLoadError"]
        if location and location["__typename"] == "PythonError":
            return location["message"]
    return None


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group we started (dagster dev and its children), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_dagster_dev_lists_the_assets(pipeline_home, dagster_home):
    port = free_port()
    log_path = pipeline_home / "dagster-dev.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [
        "env", "--default-signal=INT,TERM",
        str(VENV_BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        keys: set[str] = set()
        while time.monotonic() < deadline and not keys:
            assert process.poll() is None, f"dagster dev exited:\n{log_path.read_text()[-4000:]}"
            try:
                error = location_error(port)
                assert error is None, f"the code location failed to load: {error}"
                keys = {"/".join(node["assetKey"]["path"]) for node in graph_nodes(port)}
            except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError):
                pass
            if not keys:
                time.sleep(2)
        log_tail = log_path.read_text()[-4000:]
        assert keys, f"dagster dev did not serve the assets in {STARTUP_TIMEOUT} s:\n{log_tail}"
        assert {"zoho/contacts", "zoho/cases", "stg_zoho__contacts"} <= keys
        assert {"customers", "conversations", "messages"} <= keys
    finally:
        stop(process)
    assert process.returncode is not None


def graph_nodes(port: int) -> list[dict]:
    return graphql(port, ASSETS_QUERY)["assetNodes"]
