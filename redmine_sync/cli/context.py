"""What every command works with: the config, the Redmine client, the state store, the clock.

The group callback puts one ``AppContext`` in ``click.Context.obj``; commands ask it for
what they need and never build a client or a store themselves. Tests hand their own
(``AppContext(connect=lambda config, retries: fake)``) to ``CliRunner.invoke(cli, args,
obj=...)`` or ``main(args, context=...)``, so every command runs against FakeRedmine
through the same path as against a real Redmine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

import click

from redmine_sync import clock
from redmine_sync.config import Config
from redmine_sync.config import RetryPolicy
from redmine_sync.config import load_config
from redmine_sync.errors import RedmineAuthError
from redmine_sync.logs import setup_logging
from redmine_sync.redmine import RedmineClient
from redmine_sync.redmine.live import LiveRedmine
from redmine_sync.store import StateStore

log = logging.getLogger("redmine_sync")

Connect = Callable[[Config, RetryPolicy | None], RedmineClient]
OpenStore = Callable[[Config], StateStore]


def live_redmine(config: Config, retries: RetryPolicy | None = None) -> RedmineClient:
    """The real adapter (the default of ``AppContext.connect``)."""
    if retries is None:
        return LiveRedmine.from_config(config)
    return LiveRedmine.from_config(config, retries=retries)


def bound_store(config: Config) -> StateStore:
    """The state file, refused when it belongs to another Redmine."""
    store = StateStore(config.state_path)
    store.bind(config.url)
    return store


@dataclass
class AppContext:
    """One per invocation; each piece is built on first use and then shared."""

    config_path: str | None = None
    log_format: str = "text"
    verbose: int = 0
    connect: Connect = live_redmine
    open_store: OpenStore = bound_store
    clock: Callable[[], datetime] | None = None
    monotonic: Callable[[], float] = time.monotonic  # progress lines' cadence
    _config: Config | None = field(default=None, repr=False)
    _client: RedmineClient | None = field(default=None, repr=False)
    _store: StateStore | None = field(default=None, repr=False)

    def now(self) -> datetime:
        """The tool's clock (``redmine_sync.clock``), unless a test gave its own."""
        return self.clock() if self.clock is not None else clock.utc_now()

    def config(self) -> Config:
        """The effective config; logging learns the key so that it is never printed."""
        if self._config is None:
            config = load_config(self.config_path)
            setup_logging(self.log_format, self.verbose,
                          secrets=[config.api_key] if config.api_key else [])
            for warning in config.warnings:
                log.warning(warning)
            self._config = config
        return self._config

    def store(self) -> StateStore:
        if self._store is None:
            self._store = self.open_store(self.config())
        return self._store

    def redmine(self, retries: RetryPolicy | None = None) -> RedmineClient:
        """A client without the identity check (``doctor`` checks the key itself)."""
        return self.connect(self.config(), retries)

    def client(self) -> RedmineClient:
        """The Redmine adapter, after checking once who the key is: a missing or wrong key
        would otherwise read a public project as Anonymous and pass for "nothing to do"."""
        if self._client is None:
            self._client = self.checked_client()
        return self._client

    def checked_client(self) -> RedmineClient:
        """A new client with its key checked (the daemon takes one per run)."""
        config = self.config()
        client = self.connect(config, None)
        if config.api_key is None:
            raise RedmineAuthError(
                f"no API key: reading {config.url} as Anonymous would see only public data "
                "and pass for 'nothing to do'; export REDMINE_API_KEY=<the bot user's key> "
                "or set redmine.key_file (redmine-sync doctor checks it)")
        client.current_user()  # cached: the run asks once; a refused key stops here (exit 4)
        return client


pass_app = click.make_pass_decorator(AppContext)
