"""The webhook intake Lambda behind a real HTTP socket on localhost (standard library WSGI, one thread per request).

Each request becomes the API Gateway HTTP API (payload 2.0) event the function receives in AWS, and the function's
answer becomes the HTTP response, so what runs here is exactly the deployed handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from triage import local

MAX_REQUEST_BYTES = 1024 * 1024
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Access logs would print a line per request (and a path); the function logs what matters."""


def webhook_app(handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_REQUEST_BYTES:
            start_response("413 Payload Too Large", [("Content-Type", "application/json")])
            return [b'{"status":"rejected","error":"too_large","message":"The body is over 1 MiB."}']
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        event = local.http_event(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), body, headers)
        response = handler(event, local.LambdaContext())
        status = int(response.get("statusCode", 500))
        out_headers = [(name, str(value)) for name, value in (response.get("headers") or {}).items()]
        start_response(f"{status} {_REASONS.get(status, 'Status')}", out_headers)
        return [str(response.get("body") or "").encode("utf-8")]

    return app


def serve(handler: Callable[[dict[str, Any], Any], dict[str, Any]], port: int = 0) -> tuple[WSGIServer, int]:
    """Start serving on 127.0.0.1 in a background thread; returns the server (``shutdown()`` it) and its port."""
    server = make_server(
        "127.0.0.1", port, webhook_app(handler), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="webhook-http", daemon=True).start()
    return server, server.server_port
