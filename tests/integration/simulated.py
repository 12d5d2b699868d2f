"""A local Redmine on a simulated clock, shared with the tool (for the time-travel tests).

The instance is a second one, next to the suite's (``$REDMINE_LOCAL_DIR-clock`` on a free
port), started by ``REDMINE_LOCAL_FAKETIME=1 scripts/redmine-local``: thin runs under
libfaketime and reads its clock offset from ``<dir>/clock/offset``. The tool reads the same
file through ``REDMINE_SYNC_CLOCK_FILE``, so Redmine's stamps (created_on, journals,
updated_on, wiki versions) and the tool's ``now`` follow one simulated clock. See
docs/testing.md.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "redmine-local"
DEFAULT_DIR = "/var/lib/redmine-sync-local"


class SimulatedRedmine:
    """Start, reset and stop the clocked instance; move its clock (forward only)."""

    def __init__(self) -> None:
        base = os.environ.get("REDMINE_LOCAL_DIR", DEFAULT_DIR).rstrip("/")
        self.dir = Path(f"{base}-clock")
        self.port = _free_port()
        self.clock_file = self.dir / "clock" / "offset"
        self.env: dict[str, str] = {}

    def _script(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "REDMINE_LOCAL_DIR": str(self.dir),
               "REDMINE_LOCAL_PORT": str(self.port), "REDMINE_LOCAL_FAKETIME": "1"}
        return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True,
                              check=False, env=env)

    def start(self, at: datetime) -> None:
        """A clean database at simulated time ``at``: reset an instance made before from the
        current baseline script, or (re)make it. The clock may go back only here, while the
        server is stopped."""
        baseline = SCRIPT.parent / "redmine-local.d" / "setup.rb"
        built = self.dir / "setup.rb"   # the baseline script the instance was made from
        made = (self.dir / ".setup-complete").exists() and built.exists() and \
            built.read_bytes() == baseline.read_bytes()   # else 'up' rebuilds it
        if made and self.clock_file.parent.is_dir():
            self._write_clock(at)
        done = self._script("reset" if made else "up")
        if done.returncode != 0:
            pytest.fail(f"the clocked Redmine did not start:\n{done.stderr[-3000:]}")
        out = self._script("env")
        self.env = {k.removeprefix("export "): v for k, v in
                    (line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)}
        self._write_clock(at)

    def stop(self) -> None:
        self._script("down")

    def now(self) -> datetime:
        offset = float(self.clock_file.read_text(encoding="utf-8").split()[0])
        return datetime.fromtimestamp(time.time() + offset, UTC)

    def set_clock(self, when: datetime) -> None:
        """Move the shared clock to ``when`` (it runs on from there). Never backwards: the
        server's monotonic clock moves with it."""
        if when < self.now():
            raise AssertionError(f"the simulated clock cannot go back to {when}")
        self._write_clock(when)

    def _write_clock(self, when: datetime) -> None:
        tmp = self.clock_file.with_name("offset.new")
        tmp.write_text(f"{when.timestamp() - time.time():+.3f}\n", encoding="utf-8")
        tmp.replace(self.clock_file)   # a reader never sees a half-written file

    def tool_env(self) -> dict[str, str]:
        return {**os.environ, "REDMINE_URL": self.env["REDMINE_URL"],
                "REDMINE_API_KEY": self.env["REDMINE_API_KEY"],
                "REDMINE_SYNC_CLOCK_FILE": str(self.clock_file)}

    def cli(self, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "redmine_sync", "--config", str(config),
                               *args], capture_output=True, text=True, check=False,
                              env=self.tool_env())


class Daemon:
    """``redmine-sync daemon`` as a child process; its log lines say when a cycle ended."""

    RUN = re.compile(r"\brun (\d+): ")

    def __init__(self, simulated: SimulatedRedmine, config: Path, interval: str = "1s") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "redmine_sync", "--config", str(config), "daemon",
             "--interval", interval], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=simulated.tool_env())
        self.lines: list[str] = []
        self.cycles: list[int] = []       # run ids whose cycle (apply + reports) ended
        self.changed = threading.Condition()
        assert self.process.stderr is not None
        self.reader = threading.Thread(target=self._read, args=(self.process.stderr,),
                                       daemon=True)
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                found = self.RUN.search(line)
                if found:
                    self.cycles.append(int(found[1]))
                self.changed.notify_all()

    def wait_cycle_after(self, run_id: int, timeout: float = 60) -> int:
        """Wait for a whole cycle whose run started after run ``run_id``; its id."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(c > run_id for c in self.cycles):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError("the daemon made no cycle after run "
                                         f"{run_id}:\n" + "\n".join(self.lines[-30:]))
                self.changed.wait(min(left, 0.5))
            return min(c for c in self.cycles if c > run_id)

    def stop(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return code

    def problems(self) -> list[str]:
        return [line for line in self.lines if line.startswith(("WARNING", "ERROR"))
                or "Traceback" in line]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


__all__ = ["Daemon", "SimulatedRedmine"]
