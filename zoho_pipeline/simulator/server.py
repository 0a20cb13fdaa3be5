"""HTTP plumbing: a threading HTTP/1.1 server (keep-alive) that hands requests to an app and writes answers.

Apps return a `Response`, or a `Drop`/`Hang` to simulate a dropped connection or a request that never
answers. Every connection runs in its own thread, so concurrency limits see real simultaneous calls.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import orjson


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def form(self) -> dict[str, str]:
        """Query string and form body merged (Zoho's token endpoint accepts either)."""
        params = dict(self.query)
        content_type = self.header("content-type") or ""
        if self.body and "multipart/form-data" in content_type:
            params.update(_multipart(self.body, content_type))
        elif self.body:
            params.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return params

    def json(self):
        return orjson.loads(self.body) if self.body else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # fault: send this many body bytes (of the announced length), then close

    @classmethod
    def json(cls, status: int, payload, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status,
            orjson.dumps(payload),
            {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
        )

    @classmethod
    def empty(cls, status: int, headers: dict[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}))


@dataclass
class Drop:
    """Close the socket without writing a response."""


@dataclass
class Hang:
    """Hold the request open this long (or until the simulator stops), then close without answering."""

    seconds: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small JSON answers must not wait for the client's delayed ACK
    server_version = "ZGS"  # Zoho's servers answer with a short opaque name
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 -- stdlib signature
        return  # the app keeps its own request log

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            self.command,
            parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {name.lower(): value for name, value in self.headers.items()},
            body,
        )
        answer = self.server.app.handle(request)
        if isinstance(answer, Hang):
            self.server.stopping.wait(answer.seconds)
            answer = Drop()
        if isinstance(answer, Drop):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        has_body = answer.status not in (204, 304)
        if has_body:
            self.send_header("Content-Length", str(len(answer.body)))
        # Headers and body in one write (end_headers() would send them separately).
        self._headers_buffer.append(b"\r\n")
        if has_body and answer.body:
            self._headers_buffer.append(answer.body[:answer.cut_after])
        self.flush_headers()
        if answer.cut_after is not None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class AppServer(ThreadingHTTPServer):
    """One listening socket, serving `app` from a background thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, host: str, port: int, app) -> None:
        super().__init__((host, port), _Handler)
        self.app = app
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def process_request_thread(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"zoho-simulator-{self.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        # Keep-alive connections would otherwise keep their threads blocked on read.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = (
                part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
            )
    return fields
