"""`zoho-pipeline simulator` as a separate process: prints credentials, serves, stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_simulator_command_serves_and_stops_cleanly():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoho_pipeline",
            "simulator",
            "--counts",
            "Contacts=5,Deals=3",
            "--seed",
            "1",
            "--faults",
            "500:path=/crm/v8/Deals",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("SIMULATOR "):
                break
        text = "".join(lines)
        assert "accounts URL:" in text and "refresh token:" in text and "client secret:" in text
        details = json.loads(lines[-1][len("SIMULATOR ") :])
        token = requests.post(
            f"{details['accounts_url']}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": details["client_id"],
                "client_secret": details["client_secret"],
                "refresh_token": details["refresh_token"],
            },
        ).json()
        assert token["api_domain"] == details["api_domain"]
        headers = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
        count = requests.get(f"{details['api_domain']}/crm/v8/Contacts/actions/count", headers=headers).json()
        assert count == {"count": 5}
        deals = requests.get(
            f"{details['api_domain']}/crm/v8/Deals", params={"fields": "Stage"}, headers=headers
        )
        assert deals.status_code == 500  # the --faults option took effect
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in err and "simulator stopped" in out


def test_simulator_command_rejects_size_and_counts_together():
    result = subprocess.run(
        [sys.executable, "-m", "zoho_pipeline", "simulator", "--size", "10", "--counts", "Contacts=5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
