"""The browser step of `connect`: a one-shot callback listener on 127.0.0.1 and the whole OAuth flow.

The user consents in the browser; Zoho redirects to `http://127.0.0.1:PORT/callback` with the code, the
`state` we sent and the user's data centre (`accounts-server`). We check `state` before anything else,
then trade the code at that data centre's accounts server.
"""
from __future__ import annotations

import hmac
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from zoho_pipeline.errors import UserError
from zoho_pipeline.integrations import oauth
from zoho_pipeline.integrations.lifecycle import add_integration
from zoho_pipeline.integrations.store import Integration, IntegrationStore

CALLBACK_PATH = "/callback"
# Zoho needs the redirect URI registered with the client, so the default port is fixed.
DEFAULT_PORT = 8765
DEFAULT_TIMEOUT_SECONDS = 300

_PAGE = "<!doctype html><title>zoho-pipeline</title><p>{}</p>"


@dataclass(frozen=True)
class AuthorizationResponse:
    code: str
    accounts_server: str | None
    location: str | None


class CallbackListener:
    """Listens on 127.0.0.1 for exactly one redirect to the callback path, and checks its `state`."""

    def __init__(self, expected_state: str, port: int = DEFAULT_PORT) -> None:
        self._expected_state = expected_state
        self._result: AuthorizationResponse | None = None
        self._error: str | None = None
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                listener._handle(self)

            def log_message(self, format: str, *args: object) -> None:  # the query holds the code: no logs
                pass

        try:
            self._server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as error:
            raise UserError(
                f"cannot listen on 127.0.0.1:{port} ({error.strerror}): pass another --port "
                "(and register its redirect URI with the Zoho client)"
            ) from None
        self._server.timeout = 0.5

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def wait(self, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> AuthorizationResponse:
        """Serve until the callback arrives; raises UserError on a wrong state, a refusal or a timeout."""
        deadline = time.monotonic() + timeout
        try:
            while self._result is None and self._error is None:
                if time.monotonic() > deadline:
                    raise UserError(
                        f"no answer from the browser within {int(timeout)} s: "
                        "run `zoho-pipeline connect` again"
                    )
                self._server.handle_request()
        finally:
            self._server.server_close()
        if self._error is not None:
            raise UserError(self._error)
        assert self._result is not None
        return self._result

    def close(self) -> None:
        self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        if url.path != CALLBACK_PATH:
            _respond(request, 404, "Not the zoho-pipeline callback.")
            return
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        state = query.get("state", "")
        if not hmac.compare_digest(state.encode(), self._expected_state.encode()):
            # Not our flow (or forged): refuse it and stop, so nothing from it is ever used.
            _respond(request, 400, "This answer does not belong to the connection you started. Start again.")
            self._error = (
                "the authorization answer's state does not match the one sent: run `zoho-pipeline connect` "
                "again (and use only the link it prints)"
            )
            return
        if "error" in query or not query.get("code"):
            _respond(request, 400, "Zoho did not authorize the connection. You can close this tab.")
            self._error = (
                f"Zoho did not authorize the connection ({query.get('error', 'no code')}): "
                "run `zoho-pipeline connect` again and accept"
            )
            return
        _respond(request, 200, "Zoho account connected. You can close this tab and return to the terminal.")
        self._result = AuthorizationResponse(
            code=query["code"], accounts_server=query.get("accounts-server"), location=query.get("location")
        )


def _respond(request: BaseHTTPRequestHandler, status: int, message: str) -> None:
    body = _PAGE.format(message).encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def token_accounts_server(started_at: str, redirect_accounts_server: str | None) -> str:
    """Where to trade the code: the user's data centre from the redirect, if it is a Zoho accounts server
    (or the one we started at). The client secret goes there, so an unknown host is refused."""
    if not redirect_accounts_server:
        return started_at
    candidate = redirect_accounts_server.strip().rstrip("/")
    if candidate == started_at or candidate in oauth.KNOWN_ACCOUNTS_SERVERS:
        return candidate
    raise UserError(
        f"the redirect names an unknown accounts server {candidate!r}: pass it with --accounts-url if you "
        "trust it, and run `zoho-pipeline connect` again"
    )


def connect(
    store: IntegrationStore,
    *,
    client_id: str,
    client_secret: str,
    accounts_url: str,
    name: str | None = None,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    echo: Callable[[str], None] = print,
) -> Integration:
    """Run the authorization-code flow and record the integration."""
    if name is not None and store.name_taken(name):
        raise UserError(f"an integration named {name!r} already exists: choose another --name")
    state = oauth.new_state()
    listener = CallbackListener(state, port)
    try:
        url = oauth.authorization_url(accounts_url, client_id, listener.redirect_uri, state)
        echo(f"Redirect URI (register it with your Zoho client): {listener.redirect_uri}")
        echo("Open this link to let zoho-pipeline read your Zoho CRM:")
        echo(url)
        if open_browser:
            # In a thread: some browsers block webbrowser.open until they exit.
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        echo(f"Waiting for Zoho to redirect to {listener.redirect_uri} ...")
        answer = listener.wait(timeout)
    finally:
        listener.close()
    token_server = token_accounts_server(accounts_url, answer.accounts_server)
    grant = oauth.exchange_code(token_server, client_id, client_secret, answer.code, listener.redirect_uri)
    return add_integration(
        store,
        name=name,
        accounts_url=token_server,
        client_id=client_id,
        client_secret=client_secret,
        grant=grant,
    )
