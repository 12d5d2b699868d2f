"""A read-only proxy in front of the local Redmine that answers issue pages from memory.

bench/compare.py's cold SLA pass: old and new page the same 10,000 issues the same way
(keyset paging, the same URLs), so the pages cost both trees the same. Each page is
fetched from Redmine once, its time kept (``page_seconds``); later runs get it from
memory, and every other GET (the journal reads being measured) goes to Redmine. A pass
through the proxy then costs its reads and the tool's own work, and the time of a full
listing is added back once, the same for both trees.

    with PageCache(upstream_url) as cache:
        ... REDMINE_URL=cache.url ...
"""

from __future__ import annotations

import pickle
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

import requests  # noqa: TID251 - the proxy forwards to the local Redmine


class _Handler(BaseHTTPRequestHandler):
    cache: PageCache

    def do_GET(self) -> None:
        cache = self.cache
        page = urlsplit(self.path).path.endswith("/issues.json")
        with cache.lock:
            found = cache.pages.get(self.path) if page else None
        if found is None:
            start = time.perf_counter()
            answer = requests.get(f"{cache.upstream}{self.path}", timeout=300, headers={
                "X-Redmine-API-Key": self.headers.get("X-Redmine-API-Key", "")})
            found = (answer.status_code, answer.headers.get("Content-Type", "application/json"),
                     answer.content)
            if page and answer.status_code == 200:
                with cache.lock:
                    cache.pages[self.path] = found
                    cache.page_seconds += time.perf_counter() - start
        status, kind, body = found
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class PageCache:
    """With ``saved`` (a file), the pages and their time are kept across runs: the data
    does not change while only ``sla`` reads it, and a listing of 10,000 issues takes 5 to
    10 minutes at a load of 10."""

    def __init__(self, upstream: str, saved: Path | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.page_seconds = 0.0  # Redmine's time for the pages fetched (once each)
        self.fetched = ""  # when they were fetched (UTC)
        self.saved = saved
        if saved is not None and saved.exists():
            with saved.open("rb") as data:
                self.pages, self.page_seconds, self.fetched = pickle.load(data)
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"cache": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def save(self) -> None:
        if self.saved is not None:
            self.fetched = self.fetched or time.strftime("%Y-%m-%d %H:%M", time.gmtime())
            with self.saved.open("wb") as data:
                pickle.dump((self.pages, self.page_seconds, self.fetched), data)

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
