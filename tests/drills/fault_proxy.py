"""A fault-injecting HTTP proxy in front of moto: AWS throttling and 5xx, as IAM and SSM send them.

Faults are answered by the proxy itself, so the faulted request never reaches moto (as with a
real throttle: nothing happened server-side). Two schedules:

- ``first=N``: the first N API requests fail, whatever they are;
- ``each_once=True``: the first attempt of every distinct request fails once, so every API
  call of a run (reads and writes, IAM and SSM) has to go through a retry.

Faults alternate between a throttling error (400 ``Throttling`` XML for query-protocol
services such as IAM, 400 ``ThrottlingException`` JSON for SSM) and a 503.
"""

import hashlib
import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IAM_THROTTLE = (
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
    "<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>fault-proxy-{n}</RequestId></ErrorResponse>"
)
SSM_THROTTLE = '{{"__type":"ThrottlingException","message":"Rate exceeded ({n})"}}'
UNAVAILABLE = (
    "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
    "<Message>Service is unavailable ({n})</Message></Error></ErrorResponse>"
)
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def api_action(headers, body: bytes) -> tuple[str, str]:
    """(protocol, action) of an AWS request: ('json', 'AmazonSSM.GetDocument') or
    ('query', 'GetRole')."""
    target = headers.get("X-Amz-Target")
    if target:
        return "json", target
    action = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", ["?"])[0]
    return "query", action


class FaultProxy:
    def __init__(self, upstream: str, first: int = 0, each_once: bool = False):
        self.upstream = urllib.parse.urlparse(upstream)
        self.first = first
        self.each_once = each_once
        self.lock = threading.Lock()
        self.calls = 0
        self.seen: set[str] = set()
        self.faults: list[tuple[str, str, int]] = []  # (action, kind, status)
        self.forwarded: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _decide(self, key: str) -> bool:
        with self.lock:
            self.calls += 1
            if self.first and self.calls <= self.first:
                return True
            if self.each_once and key not in self.seen:
                self.seen.add(key)
                return True
            return False

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, body: str, content_type: str, extra=None):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                protocol, action = api_action(self.headers, body)
                key = hashlib.sha256(
                    f"{self.command} {self.path} {action}".encode() + b"\0" + body
                ).hexdigest()
                is_api = not self.path.startswith("/moto-api")
                if is_api and proxy._decide(key):
                    n = len(proxy.faults) + 1
                    if n % 2:  # throttling, shaped like the service's own
                        if protocol == "json":
                            proxy.faults.append((action, "ThrottlingException", 400))
                            self._answer(
                                400,
                                SSM_THROTTLE.format(n=n),
                                "application/x-amz-json-1.1",
                                {"x-amzn-ErrorType": "ThrottlingException"},
                            )
                        else:
                            proxy.faults.append((action, "Throttling", 400))
                            self._answer(400, IAM_THROTTLE.format(n=n), "text/xml")
                    else:
                        proxy.faults.append((action, "ServiceUnavailable", 503))
                        self._answer(503, UNAVAILABLE.format(n=n), "text/xml")
                    return
                proxy.forwarded.append(action)
                conn = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=60
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                headers["Host"] = proxy.upstream.netloc
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        return Handler
