"""A fault-injecting HTTP proxy on 127.0.0.1 in front of moto (tests/support/moto_server.py): the
tools are pointed at it through AWS_ENDPOINT_URL, as at moto, and each test chooses its faults.

- `refuse_assume_role`: account ids (or "*") whose sts:AssumeRole is refused (AccessDenied), as a
  role whose trust policy does not admit the caller;
- `deny_regions`: every call signed for these regions is refused (AccessDeniedException), as an SCP
  that denies a region;
- `die_after`: after this many requests the endpoint dies: every later connection is closed without
  an answer (botocore: "Connection was closed before we received a valid response");
- `latency`: seconds added before every request is forwarded; `slow`: per operation.

What it saw is recorded (`operations`, in order; `seen(op)` waits for one), so a test can time a
signal or count a run's requests (`seen("DescribeImages@us-east-1")` for one region's). Only loopback is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_SCOPE = re.compile(r"Credential=[^/]+/[0-9]{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")


@dataclass
class Faults:
    """What the proxy does to the requests it forwards (change it at any time in a test)."""

    refuse_assume_role: set[str] = field(default_factory=set)
    deny_regions: set[str] = field(default_factory=set)
    die_after: int | None = None
    latency: float = 0.0
    slow: dict[str, float] = field(default_factory=dict)
    """Operation -> seconds added to it (e.g. {"PutImage": 1.0})."""


@dataclass
class Request:
    service: str
    region: str
    operation: str
    body: bytes


def parse(headers: http.client.HTTPMessage, path: str, body: bytes) -> Request:
    """Service and region from the SigV4 credential scope; the operation from the JSON protocol's
    X-Amz-Target, the query protocol's Action, or (REST) the path."""
    scope = _SCOPE.search(headers.get("Authorization", ""))
    service, region = (scope["service"], scope["region"]) if scope else ("", "")
    target = headers.get("X-Amz-Target", "")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        operation = form.get("Action", [""])[0]
    else:
        operation = path.split("?", 1)[0]
    return Request(service, region, operation, body)


class FaultProxy:
    """The proxy: `url` to point tools at, `faults` to change, `operations` to read."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults = Faults()
        self.operations: list[str] = []
        self._lock = threading.Lock()
        self._seen: dict[str, threading.Event] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                proxy._handle(self)

            do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def seen(self, operation: str) -> threading.Event:
        with self._lock:
            return self._seen.setdefault(operation, threading.Event())

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = parse(handler.headers, handler.path, body)
        with self._lock:
            self.operations.append(request.operation)
            count = len(self.operations)
            for key in (request.operation, f"{request.operation}@{request.region}"):
                self._seen.setdefault(key, threading.Event()).set()
        faults = self.faults
        if faults.die_after is not None and count > faults.die_after:
            handler.close_connection = True  # no answer at all: the endpoint is gone
            return
        delay = faults.latency + faults.slow.get(request.operation, 0.0)
        if delay:
            time.sleep(delay)
        if request.region in faults.deny_regions:
            why = f"explicit deny in a service control policy for {request.region}"
            self._refuse(handler, request, why)
            return
        if request.operation == "AssumeRole":
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            arn = form.get("RoleArn", [""])[0]
            account = arn.split(":")[4] if arn.count(":") >= 5 else ""
            if account in faults.refuse_assume_role or "*" in faults.refuse_assume_role:
                self._refuse(handler, request, f"not authorized to perform sts:AssumeRole on {arn}")
                return
        self._forward(handler, body)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        connection = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=60
        )
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            connection.request(handler.command, handler.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            handler.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        finally:
            connection.close()

    @staticmethod
    def _refuse(handler: BaseHTTPRequestHandler, request: Request, why: str) -> None:
        """AWS's refusal in the request's protocol: XML for the query protocols (STS, EC2), JSON
        with x-amzn-ErrorType otherwise."""
        if request.service == "ec2":
            body = (
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                f"<Message>{why}</Message></Error></Errors><RequestID>r</RequestID></Response>"
            ).encode()
            kind = "text/xml"
        elif handler.headers.get("Content-Type", "").startswith("application/x-www-form"):
            body = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>{why}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            ).encode()
            kind = "text/xml"
        else:
            body = json.dumps({"__type": "AccessDeniedException", "message": why}).encode()
            kind = "application/x-amz-json-1.1"
        handler.send_response(403)
        handler.send_header("Content-Type", kind)
        handler.send_header("x-amzn-ErrorType", "AccessDeniedException")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A proxy in front of `upstream` (moto), listening on loopback only."""
    proxy = FaultProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
