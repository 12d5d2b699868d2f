"""``redmine-sync daemon``: plan and apply every interval until stopped."""

from __future__ import annotations

import signal
import threading

import click

from redmine_sync.cli.context import AppContext
from redmine_sync.cli.context import pass_app
from redmine_sync.daemon import parse_interval
from redmine_sync.daemon import run_daemon


@click.command("daemon")
@click.option("--interval", metavar="TIME", help="Time between runs: 90s, 5m, 1h "
              "(default: daemon.interval of the config, 5m).")
@pass_app
def command(app: AppContext, interval: str | None) -> None:
    """Plan and apply in a loop (what the timer's `apply` does, every interval).

    SIGTERM or SIGINT stops it between writes. While Redmine is unreachable it backs off
    and says so. Logs go to stderr (--log-format json for JSON lines).
    """
    config = app.config()
    seconds = parse_interval(interval or config.daemon_interval)
    store = app.store()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_daemon(app.checked_client, config, store, app.now, seconds, stop)
