"""The pure parts of the OAuth flow: data centres, the authorization URL, where the code is traded,
and the callback listener (over real HTTP on 127.0.0.1)."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations import oauth
from zoho_pipeline.integrations.connect import CallbackListener, token_accounts_server


@pytest.mark.parametrize(
    ("dc", "expected"),
    [
        ("us", "https://accounts.zoho.com"),
        ("EU", "https://accounts.zoho.eu"),
        ("in", "https://accounts.zoho.in"),
        ("au", "https://accounts.zoho.com.au"),
        ("jp", "https://accounts.zoho.jp"),
        ("cn", "https://accounts.zoho.com.cn"),
        ("ca", "https://accounts.zohocloud.ca"),
        ("sa", "https://accounts.zoho.sa"),
        (None, "https://accounts.zoho.com"),
    ],
)
def test_data_centres(dc, expected):
    assert oauth.accounts_url_for(dc, None) == expected


def test_accounts_url_choices():
    assert oauth.accounts_url_for(None, "http://127.0.0.1:9999/") == "http://127.0.0.1:9999"
    with pytest.raises(UserError, match="one of us, eu"):
        oauth.accounts_url_for("mars", None)
    with pytest.raises(UserError, match="not both"):
        oauth.accounts_url_for("eu", "https://accounts.zoho.eu")
    with pytest.raises(UserError, match="not a URL"):
        oauth.accounts_url_for(None, "accounts.zoho.eu")


def test_authorization_url():
    url = oauth.authorization_url(
        "https://accounts.zoho.eu", "1000.ABC", "http://127.0.0.1:8765/callback", "s1"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.zoho.eu/oauth/v2/auth"
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == "1000.ABC"
    assert query["access_type"] == "offline" and query["prompt"] == "consent" and query["state"] == "s1"
    assert query["redirect_uri"] == "http://127.0.0.1:8765/callback"
    scopes = query["scope"].split(",")
    for needed in ("ZohoCRM.modules.contacts.READ", "ZohoCRM.settings.fields.READ", "ZohoCRM.org.READ"):
        assert needed in scopes


def test_states_are_unguessable():
    assert len({oauth.new_state() for _ in range(100)}) == 100
    assert len(oauth.new_state()) >= 32


def test_code_is_traded_at_the_users_data_centre_only_if_it_is_zoho():
    assert (
        token_accounts_server("https://accounts.zoho.com", "https://accounts.zoho.eu")
        == "https://accounts.zoho.eu"
    )
    assert token_accounts_server("https://accounts.zoho.com", None) == "https://accounts.zoho.com"
    assert token_accounts_server("http://127.0.0.1:5000", "http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    with pytest.raises(UserError, match="unknown accounts server"):
        token_accounts_server("https://accounts.zoho.com", "https://evil.example")


def _serve(listener: CallbackListener) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def wait():
        try:
            outcome["answer"] = listener.wait(timeout=30)
        except UserError as error:
            outcome["error"] = str(error)

    thread = threading.Thread(target=wait)
    thread.start()
    return thread, outcome


def test_listener_accepts_the_right_state():
    listener = CallbackListener("right-state", port=0)
    thread, outcome = _serve(listener)
    assert (
        requests.get(listener.redirect_uri.replace("/callback", "/favicon.ico"), timeout=10).status_code
        == 404
    )
    response = requests.get(
        listener.redirect_uri,
        params={
            "code": "1000.code",
            "state": "right-state",
            "location": "eu",
            "accounts-server": "https://accounts.zoho.eu",
        },
        timeout=10,
    )
    thread.join(10)
    assert response.status_code == 200 and "connected" in response.text
    answer = outcome["answer"]
    assert (answer.code, answer.accounts_server, answer.location) == (
        "1000.code",
        "https://accounts.zoho.eu",
        "eu",
    )


def test_listener_rejects_a_wrong_state():
    listener = CallbackListener("right-state", port=0)
    thread, outcome = _serve(listener)
    response = requests.get(
        listener.redirect_uri, params={"code": "1000.code", "state": "forged"}, timeout=10
    )
    thread.join(10)
    assert response.status_code == 400
    assert "state does not match" in outcome["error"] and "answer" not in outcome


def test_listener_reports_a_refusal():
    listener = CallbackListener("s", port=0)
    thread, outcome = _serve(listener)
    requests.get(listener.redirect_uri, params={"error": "access_denied", "state": "s"}, timeout=10)
    thread.join(10)
    assert "access_denied" in outcome["error"]


def test_listener_times_out():
    listener = CallbackListener("s", port=0)
    with pytest.raises(UserError, match="no answer"):
        listener.wait(timeout=0.6)


def test_busy_port_is_a_clear_error():
    first = CallbackListener("s", port=0)
    try:
        port = int(first.redirect_uri.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(UserError, match="another --port"):
            CallbackListener("s", port=port)
    finally:
        first.close()
