"""A read-only proxy in front of the local Redmine that answers issue pages from memory.

bench/compare.py's cold SLA pass: old and new page the same 10,000 issues the same way
(keyset paging, the same URLs), so the pages cost both trees the same. Each page is
fetched from Redmine once, its time kept (``page_seconds``); later runs get it from
memory, and every other GET (the journal reads being measured) goes to Redmine. A pass
through the proxy then costs its reads and the tool's own work, and the time of a full
listing is added back once, the same for both trees.

The proxy runs in a process of its own (``Proxy``), not in the harness's: there its
threads waited for the interpreter lock of a harness that also served 100,000 fake issues
to the other lanes, and each journal read waited for them (the client's wait for a read
was up to 5 times Redmine's own time in its log). Both sides of the proxy keep their
connections alive (HTTP/1.1, one session to Redmine per connection), so a read costs no
TCP setup either way.

    with Proxy(upstream_url) as cache:
        ... REDMINE_URL=cache.url ...; cache.state() -> pages, their seconds, fetched
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from typing import Self
from urllib.parse import urlsplit

import requests  # noqa: TID251 - the proxy forwards to the local Redmine


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the client's connection is kept alive
    disable_nagle_algorithm = True  # headers and body without the delayed acknowledgement
    cache: PageCache

    def setup(self) -> None:
        super().setup()
        self.session = requests.Session()  # this connection's own, kept alive to Redmine

    def finish(self) -> None:
        super().finish()
        self.session.close()

    def do_GET(self) -> None:
        cache = self.cache
        if self.path == "/_pagecache":  # the harness asks what is cached
            self._send(200, "application/json", json.dumps(cache.state()).encode())
            return
        page = urlsplit(self.path).path.endswith("/issues.json")
        with cache.lock:
            found = cache.pages.get(self.path) if page else None
        if found is None:
            start = time.perf_counter()
            answer = self.session.get(f"{cache.upstream}{self.path}", timeout=300, headers={
                "X-Redmine-API-Key": self.headers.get("X-Redmine-API-Key", "")})
            found = (answer.status_code, answer.headers.get("Content-Type", "application/json"),
                     answer.content)
            if page and answer.status_code == 200:
                with cache.lock:
                    cache.pages[self.path] = found
                    cache.page_seconds += time.perf_counter() - start
                    cache.fetched = cache.fetched or time.strftime("%Y-%m-%d %H:%M",
                                                                   time.gmtime())
        self._send(*found)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class PageCache:
    """The proxy's pages and their time, served by a thread of this process."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.page_seconds = 0.0  # Redmine's time for the pages fetched (once each)
        self.fetched = ""  # when the first was fetched (UTC)
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"cache": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def state(self) -> dict[str, object]:
        with self.lock:
            return {"pages": len(self.pages), "seconds": round(self.page_seconds, 1),
                    "fetched": self.fetched}

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Proxy:
    """``PageCache`` in a process of its own (this file run as a script): ``url`` to give
    the tool, ``state()`` asked of it over HTTP."""

    def __init__(self, upstream: str) -> None:
        self.child = subprocess.Popen(
            [sys.executable, __file__, upstream], stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True)
        line = self.child.stdout.readline().strip() if self.child.stdout else ""
        if not line.startswith("http://"):
            self.child.kill()
            raise RuntimeError(f"bench/pagecache.py did not start (it said {line!r})")
        self.url = line

    def state(self) -> dict[str, Any]:
        found: dict[str, Any] = requests.get(f"{self.url}/_pagecache", timeout=60).json()
        return found

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.child.terminate()
        self.child.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description="the page cache proxy (bench/compare.py)")
    parser.add_argument("upstream")
    args = parser.parse_args()
    with PageCache(args.upstream) as cache:
        print(cache.url, flush=True)
        cache.thread.join()  # until the harness ends it
    return 0


if __name__ == "__main__":
    sys.exit(main())
