"""bench/pagecache.py: the cold SLA pass's proxy, in a process of its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
import requests

from bench.pagecache import Proxy


class Upstream(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 type("Handler", (Upstream,), {"seen": seen}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_pages_come_from_redmine_once_and_every_other_read_each_time(
        upstream: tuple[str, list[str]]) -> None:
    url, seen = upstream
    with Proxy(url) as proxy, requests.Session() as session:
        page = "/issues.json?status_id=%2A&limit=100&offset=0"
        for _ in range(2):
            assert session.get(f"{proxy.url}{page}").json() == {"path": page}
            assert session.get(f"{proxy.url}/issues/7.json?include=journals").json() == {
                "path": "/issues/7.json?include=journals"}
        state = proxy.state()
    assert seen == [page, "/issues/7.json?include=journals", "/issues/7.json?include=journals"]
    assert state["pages"] == 1
    assert state["fetched"]


def test_the_client_connection_is_kept_alive(upstream: tuple[str, list[str]]) -> None:
    url, _ = upstream
    with Proxy(url) as proxy, requests.Session() as session:
        first = session.get(f"{proxy.url}/issues/1.json")
        second = session.get(f"{proxy.url}/issues/2.json")
    assert first.raw.version == second.raw.version == 11
    assert first.headers.get("Connection") != "close"
