"""A fault-injecting HTTP proxy on loopback, in front of the local Redmine (for tests).

It answers a share of requests (``rate``, from a seeded generator) with a fault of every
kind the network and a busy Redmine produce: 503 and 429 before Redmine sees the request,
a connection reset before it, and, after Redmine processed it, a reset, a stalled answer
(past the client's read timeout) and a 502. With ``down_after`` it plays "Redmine
stopped": after that many answers its port closes (new connections are refused) and kept-
alive connections are reset. With ``fail``, every request whose path and query match it is
answered 500 (Redmine's internal error) without reaching Redmine. With ``hold`` it keeps
the requests the predicate picks unanswered (never forwarded) and sets ``held``: a test then
kills the client mid-run.

A busy machine answers slowly without any fault: a run's read timeout and retry budget
are scaled to how fast this Redmine answered just before (``Timing``), never below
``READ_TIMEOUT`` and ``BUDGET``, and a stall lasts past the timeout in force.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from typing import Self
from urllib.parse import urlsplit

from tests.integration.conftest import Admin
from tests.integration.conftest import cli_env
from tests.integration.conftest import write_config

SEED = 13
FAULT_RATE = 0.2
KINDS = ("503", "429", "reset before", "reset after", "stall after", "502 after")
READ_TIMEOUT = 2.0
CONNECT_TIMEOUT = 1.0
BUDGET = 8.0
MAX_RUNS = 12
EXIT_SLACK = 1.5       # seconds for the interpreter's exit after a run gives up
SLOWER = 5             # a read timeout this many times Redmine's slowest recent answer
SETTINGS = {"connect": CONNECT_TIMEOUT, "read": READ_TIMEOUT, "attempts": 8, "backoff": 0.05,
            "max_backoff": 0.5, "total_seconds": BUDGET}
PATIENT = {**SETTINGS, "attempts": 100, "backoff": 0.5, "max_backoff": 2}  # the budget bounds


@dataclass(frozen=True)
class Timing:
    """A fault run's read timeout, and its retry budget and exit slack in proportion (a
    quiet machine: ``READ_TIMEOUT``, ``BUDGET``, ``EXIT_SLACK``)."""

    read: float

    @classmethod
    def after(cls, slowest: float) -> Timing:
        """For a Redmine whose slowest answer of late took ``slowest`` seconds."""
        return cls(max(READ_TIMEOUT, SLOWER * slowest))

    @property
    def scale(self) -> float:
        return self.read / READ_TIMEOUT

    @property
    def budget(self) -> float:
        return BUDGET * self.scale

    @property
    def slack(self) -> float:
        return EXIT_SLACK * self.scale

    def settings(self, base: dict[str, float] = SETTINGS) -> dict[str, float]:
        return {**base, "read": round(self.read, 1), "total_seconds": round(self.budget, 1)}


def slowest_answer(admin: Admin, project: str, rounds: int = 2) -> float:
    """The slowest of the heaviest reads a run makes (the project's issue list, an issue
    with its journals), each asked ``rounds`` times, in seconds."""
    first = admin.get("/issues.json", project_id=project, status_id="*", limit=1)["issues"]
    slowest = 0.0
    for _ in range(rounds):
        for path, params in (("/issues.json", {"project_id": project, "status_id": "*",
                                               "sort": "updated_on,id", "limit": 100}),
                             (f"/issues/{first[0]['id']}.json",
                              {"include": "journals,allowed_statuses"})):
            began = time.monotonic()
            admin.get(path, **params)
            slowest = max(slowest, time.monotonic() - began)
    return slowest


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that forwards to Redmine and injects faults."""

    def __init__(self, upstream: str, rate: float, seed: int, down_after: int | None = None,
                 port: int = 0, tls: ssl.SSLContext | None = None,
                 fail: str | None = None,
                 hold: Callable[[str, str, bytes | None], bool] | None = None) -> None:
        target = urlsplit(upstream)
        self.host, self.port = target.hostname or "127.0.0.1", target.port or 80
        self.rate, self.rng, self.lock = rate, random.Random(seed), threading.Lock()
        self.injected: Counter[str] = Counter()
        self.forwarded = 0
        self.stall = READ_TIMEOUT + 0.5   # past the client's read timeout
        self.slowest = 0.0                # Redmine's slowest answer forwarded so far
        self.down_after, self.down_at = down_after, 0.0
        self.fail = re.compile(fail) if fail else None
        self.failed: list[str] = []
        self.hold, self.held = hold, threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            do_PUT = do_POST = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        scheme = "http"
        if tls is not None:  # HTTPS in front of Redmine, with the test's certificate
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Close the port: from now on every connection is refused, as when Redmine stops."""
        if not self.down_at:
            self.down_at = time.monotonic()
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            self.server.socket.close()

    def pick(self) -> str | None:
        with self.lock:
            draw = self.rng.random()
            if draw >= self.rate:
                return None
            kind = KINDS[min(int(draw / self.rate * len(KINDS)), len(KINDS) - 1)]
            self.injected[kind] += 1
            return kind

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if self.down_at:  # a kept-alive connection outlives the closed port: drop it too
            _reset(handler)
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if self.hold is not None and self.hold(handler.command, handler.path, body):
            self.held.set()
            time.sleep(READ_TIMEOUT * 10)  # the client is killed meanwhile
            _reset(handler)
            return
        if self.fail is not None and self.fail.search(handler.path):
            with self.lock:
                self.failed.append(handler.path)
            handler.send_response(500)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        fault = self.pick()
        if fault in ("503", "429"):
            handler.send_response(int(fault))
            handler.send_header("Retry-After", "0")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault == "reset before":
            _reset(handler)
            return
        status, headers, data = self.forward(handler, body)
        if fault == "reset after":
            _reset(handler)
            return
        if fault == "stall after":
            time.sleep(self.stall)
            _reset(handler)
            return
        if fault == "502 after":
            status, headers, data = 502, [("Content-Length", "0")], b""
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in ("connection", "keep-alive", "transfer-encoding"):
                handler.send_header(name, value)
        if not any(n.lower() == "content-length" for n, _ in headers):
            handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        with self.lock:
            self.forwarded += 1
            if self.down_after is not None and self.forwarded >= self.down_after:
                self.stop()

    def forward(self, handler: BaseHTTPRequestHandler, body: bytes | None
                ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("host", "connection", "content-length")}
        began = time.monotonic()
        connection.request(handler.command, handler.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        with self.lock:
            self.slowest = max(self.slowest, time.monotonic() - began)
        return answer.status, answer.getheaders(), data


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP reset, answering nothing."""
    sock: socket.socket = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    handler.wfile = _Sink()  # type: ignore[assignment]


class _Sink:
    closed = False

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def configure(folder: Path, project: str, settings: dict[str, float] = SETTINGS) -> Path:
    """A config for ``project`` with small timeouts and retry budget."""
    config = write_config(folder, project)
    text = config.read_text(encoding="utf-8")
    for key, value in settings.items():
        text, found = re.subn(rf"(?m)^    {key}: [0-9.]+", f"    {key}: {value}", text, count=1)
        assert found, key
    config.write_text(text, encoding="utf-8")
    return config


def apply(env: dict[str, str], config: Path, url: str, *args: str
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redmine_sync", "--config", str(config), "apply", "--yes",
         *args], capture_output=True, text=True, check=False,
        env={**cli_env(env), "REDMINE_URL": url}, timeout=600)


def wiki_titles(admin: Admin, project: str) -> list[str]:
    return sorted(p["title"] for p in admin.get(f"/projects/{project}/wiki/index.json")[
        "wiki_pages"])


def duplicated_notes(issues: list[dict[str, Any]]) -> int:
    twice = 0
    for issue in issues:
        notes = [j["notes"] for j in issue.get("journals", []) if j.get("notes")]
        twice += len(notes) - len(set(notes))
    return twice


