#!/usr/bin/env python3
"""Old and new code side by side, alternating on the same data: the ratios of issue 18.

``--old DIR`` is a checkout of the code to compare against (``git archive REV | tar -x
-C DIR``); this tree is the new one. Each measurement is a child process with that tree
on PYTHONPATH, run old, new, old, new... so that the shared machine's load falls on both
alike. The load average is written beside each pair. The steps, in the order they run:

  lane 1, wall time, at the caller's priority (the local Redmine's server set to 0), on
  the local Redmine:
  apply         N issues in steady state (prepared once, kept in --work): a person edits
                K open issues, then ``apply`` writes them; time, requests, reads per
                written issue
  sla_cold      ``sla --at-risk`` with an empty state store (the first SLA pass)
  and without Redmine:
  store         bench/store.py: caching N issues in one transaction, each tree's store
  beside them at nice 10 (--lanes 2: one more lane, and the first one when its own are
  done), on the fake Redmine (the local Redmine's project, members and fields) or none
  (peak RSS, CPU of one process):
  engine        bench/engine.py on each tree's code and rule pack: issues per second,
                cold and steady
  quiet         the CPU of an incremental run in which nothing changed (bench/quiet.py),
                N issues of the fake Redmine
  memory_apply  peak RSS of the first ``apply --yes`` over --memory-issues issues (empty
                state store; the fake answers the writes and keeps none), shipped pack
  memory_plan   peak RSS of ``plan --full`` over --big issues (journal cache filled)
  quiet_big     as quiet, at --big issues, from the stores memory_plan's last pair left

The run keeps to --budget-minutes, counted once the data is ready (a first run on a
Redmine seeds the project and prepares its steady state before, about 10-15 minutes,
and keeps it in --work): a step starts only if its pairs fit in what is left (estimated
from this machine's pace so far), and never runs fewer than --pairs pairs; a step that
does not fit is left out and the report says so.

    .venv/bin/python bench/compare.py --old DIR [--issues 10000] [--pairs 3]
        [--budget-minutes 40] [--steps apply,sla_cold,engine,...] [--lanes 2]
        [--work DIR] [--out results.json] [--record]

Prints a Markdown section (old, new, ratio per pair, median) for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import serverlog
from fakeredmine import FakeRedmine
from pagecache import Proxy
from run import CUSTOMER_SWAP
from run import Harness
from run import Run
from run import commit
from run import json_tail
from run import local_env
from run import mutate
from run import now_iso
from run import say
from run import write_config
from seed import Admin
from seed import ensure_project
from seed import run_ruby
from seed import seed

NEW = BENCH.parent


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


# Seconds a step is expected to take (once, and per pair) on a 2-core machine in 2 lanes:
# lane 1's wall-time steps at nice 0 with the local Redmine, the others at nice 10 beside
# them, from the trial run of 2026-12-01 08:55 (main d668c21's harness but for the engine
# step's single evaluation, other engineers' work at nice 19, load 14-27), the
# memory steps' pairs scaled down to a machine where only this run works. The budget
# scales them by the pace of the steps done so far.
PER_PAIR = {"apply": 65.0, "sla_cold": 45.0, "engine": 90.0, "store": 5.0, "quiet": 40.0,
            "memory_apply": 200.0, "memory_plan": 450.0, "quiet_big": 120.0}
ONCE = {"apply": 15.0, "sla_cold": 200.0, "engine": 0.0, "store": 0.0, "quiet": 90.0,
        "memory_apply": 0.0, "memory_plan": 0.0, "quiet_big": 30.0}


def estimate(step: str, args: argparse.Namespace) -> float:
    """Seconds the step is expected to take with --pairs pairs (before the pace)."""
    return ONCE[step] + PER_PAIR[step] * args.pairs


class Budget:
    """The run's time: a step starts only if its pairs fit in what is left.

    Steps never run fewer than --pairs pairs, so a step that does not fit is left out
    (the report names it, with what it would have needed); a step that started runs to
    its end. The pace (time taken / time expected over the steps done) corrects the
    later estimates for the machine's speed and load today."""

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = minutes * 60
        self.clock = clock
        self.start = clock()
        self.spent: dict[str, float] = {}
        self.expected: dict[str, float] = {}
        self.left_out: dict[str, str] = {}
        self.stopped: dict[str, str] = {}
        self.running = threading.local()  # .step: the step this lane runs now

    def stop(self, why: str) -> None:
        """The running step's next pair would not end within the budget."""
        step = getattr(self.running, "step", None) or "?"
        say(f"{step}: {why}")
        self.stopped[step] = why

    @property
    def pace(self) -> float:
        return sum(self.spent.values()) / sum(self.expected.values()) if self.spent else 1.0

    def left(self) -> float:
        return self.seconds - (self.clock() - self.start)

    def admits(self, step: str, expected: float) -> bool:
        need = expected * self.pace
        if need <= self.left():
            return True
        self.left_out[step] = (f"needs about {need / 60:.1f} min, {max(self.left(), 0) / 60:.1f}"
                               f" min were left of {self.seconds / 60:g}")
        return False

    def done(self, step: str, expected: float, seconds: float) -> None:
        self.spent[step], self.expected[step] = seconds, expected

    def describe(self) -> dict[str, Any]:
        return {"minutes": round(self.seconds / 60, 1), "left_out": self.left_out,
                "stopped": self.stopped,
                "steps": {k: {"minutes": round(v / 60, 1),
                              "expected": round(self.expected[k] / 60, 1)}
                          for k, v in self.spent.items()}}


BUDGET = Budget(float("inf"))  # main() starts it; alternate() asks it between pairs


class Side:
    """One tree's code: its child processes see it first on PYTHONPATH."""

    def __init__(self, name: str, tree: Path, args: argparse.Namespace, work: Path) -> None:
        self.name = name
        self.tree = tree
        self.work = work / name
        self.work.mkdir(parents=True, exist_ok=True)
        self.harness = Harness(args, self.work)
        self.harness.env["PYTHONPATH"] = str(tree)

    def config(self, path: Path, state: Path, project: str, write_cap: int | None = None
               ) -> Path:
        """A config with this tree's example and rule pack (its keys are the tree's)."""
        return write_config(path, state, project, write_cap, root=self.tree)

    def cli(self, config: Path, *argv: str, env: dict[str, str] | None = None,
            logged: bool = True) -> Run:
        """The command; if ``logged``, with Redmine's own time per kind of request (its
        log) in ``data["server"]`` (not for runs on the fake Redmine: its log then holds
        the other lane's requests)."""
        mark = serverlog.Mark() if logged else None
        run = self.harness.cli(config, *argv, ok=(0, 2), env=env)
        run.data["server"] = mark.kinds() if mark else {}
        return run

    def quiet(self, mode: str, config: Path, url: str, *argv: str) -> tuple[dict[str, Any], Run]:
        out = self.work / "quiet.json"
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(BENCH / "quiet.py"), mode, "--config", str(config), *argv],
            env={**self.harness.env, "REDMINE_URL": url}, stdout=out.open("wb"),
            stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        err = child.stderr.read().decode(errors="replace") if child.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"quiet.py {mode} ({self.name}) failed:\n{err[-3000:]}")
        data = json.loads(out.read_text().strip().splitlines()[-1])
        return data, Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, 0, data)


def downgrade(state: Path, copy: Path) -> None:
    """A copy of a store the code before schema 9 opens (the tables of 9 and 10 dropped)."""
    shutil.copy(state, copy)
    db = sqlite3.connect(copy)
    db.executescript("DROP TABLE IF EXISTS sla_wakes; DROP TABLE IF EXISTS sla_wake_basis;"
                     "DROP TABLE IF EXISTS sla_states; PRAGMA user_version = 8;")
    db.close()


def alternate(pairs: int, old: Callable[[], dict[str, Any]], new: Callable[[], dict[str, Any]],
              together: bool = False) -> list[dict[str, Any]]:
    """``pairs`` pairs, old first in odd ones; ``together``: old and new at the same time
    (for peak RSS, which the load does not change: a pair then takes the longer one's
    time)."""
    rows: list[dict[str, Any]] = []
    begun = BUDGET.clock()
    for index in range(pairs):
        if rows and BUDGET.left() < (BUDGET.clock() - begun) / len(rows):
            BUDGET.stop(f"stopped after {len(rows)} of {pairs} pairs: the next one needs about "
                        f"{(BUDGET.clock() - begun) / len(rows) / 60:.1f} min, "
                        f"{max(BUDGET.left(), 0) / 60:.1f} min were left")
            break
        first = ("old", old), ("new", new)
        row: dict[str, Any] = {"pair": index + 1, "load": load(),
                               "start": time.strftime("%H:%M", time.gmtime())}
        if together:
            with ThreadPoolExecutor(2) as pool:
                done = {name: pool.submit(measure) for name, measure in first}
                row.update({name: future.result() for name, future in done.items()})
        else:
            for name, measure in first if index % 2 == 0 else reversed(first):
                row[name] = measure()
        say(f"  pair {index + 1} (load {row['load']}): old {row['old']}, new {row['new']}")
        rows.append(row)
    return rows


def prepare(args: argparse.Namespace, sides: dict[str, Side], work: Path,
            env: dict[str, str], settle: bool = True) -> tuple[dict[str, Path], dict[str, Any]]:
    """The steady state, prepared once with the new code (kept in ``--work`` for later
    runs), its store copied for the old one; with ``settle``, old and new then apply in
    turn until neither writes. Each tree's config, and the kept record (the next issues
    to edit)."""
    project = args.project
    new = sides["new"]
    state, prepared = work / "state-new.db", work / "prepared.json"
    config = new.config(work / "new.yaml", state, project)
    old_config = sides["old"].config(work / "old.yaml", work / "state-old.db", project)
    if not prepared.exists():
        say("apply: the steady state (new code)")
        (work / "issues.json").write_text(json.dumps(listed(project)), encoding="utf-8")
        prime = write_config(work / "prime.yaml", state, project, write_cap=10**9)
        # The journal cache says "none" for every issue: a first SLA pass over 10,000
        # issues would take half an hour at a load of 6 (the same world for both trees;
        # an issue a pair edits is read again, journals included).
        done = subprocess.run([sys.executable, str(BENCH / "prefill.py"), "--state", str(state),
                               "--issues", str(work / "issues.json"), "--sample", str(10**9)],
                              env=new.harness.env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"prefill.py failed:\n{done.stderr[-3000:]}")
        done = subprocess.run([sys.executable, str(BENCH / "prime.py"), "--config",
                               str(prime), "--out", str(work / "prime.json")],
                              env=new.harness.env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"prime.py failed:\n{done.stderr[-3000:]}")
        settled = []
        for _ in range(6):
            run = new.cli(config, "apply", "--yes", "--format", "json")
            settled.append(json_tail(run.stdout)["summary"]["written"])
            say(f"  settling apply: {settled[-1]} written")
            if settled[-1] == 0:
                break
        downgrade(state, work / "state-old.db")
        admin = Admin(env["REDMINE_URL"], env["REDMINE_LOCAL_ADMIN_KEY"])
        prepared.write_text(json.dumps({"offset": 0, "settled": settled,
                                        "data": data_id(admin, project)}), encoding="utf-8")
    configs = {"new": config, "old": old_config}
    if settle:  # in every run: this run's code, and what came due since the last one
        settle_both(sides, configs)
    return configs, json.loads(prepared.read_text(encoding="utf-8"))


def step_apply(args: argparse.Namespace, sides: dict[str, Side], work: Path,
               env: dict[str, str]) -> dict[str, Any]:
    """In each pair a person moves K open issues to a customer of another tier (bench/
    run.py's CUSTOMER_SWAP): the pack then writes each of them once, the same on both
    trees, from the steady state (``prepare``)."""
    project, k = args.project, args.writes
    prepared = work / "prepared.json"
    configs, offset = prepare(args, sides, work, env, settle=False)  # main() settled

    def one(name: str) -> Callable[[], dict[str, Any]]:
        def measure() -> dict[str, Any]:
            edited = mutate(project, edit={"field": "Customer", "map": CUSTOMER_SWAP,
                                           "count": k, "offset": offset["offset"],
                                           "at": now_iso()})
            offset["offset"] += k
            prepared.write_text(json.dumps(offset), encoding="utf-8")
            argv = ("apply", "--yes", "--max-changes", str(k), "--format", "json")
            run = sides[name].cli(configs[name], *argv)
            summary = json_tail(run.stdout)["summary"]
            other = "old" if name == "new" else "new"  # the other store absorbs both
            sides[other].cli(configs[other], *argv)
            written = max(summary["written"], 1)
            return {"wall": round(run.wall, 1), "cpu": round(run.cpu, 1),
                    "edited": len(edited.get("edited", [])), "written": summary["written"],
                    "requests": run.requests(),
                    "reads_per_write": round((run.requests("journal_reads")
                                              + run.requests("issue_reads")) / written, 2),
                    "redmine_s": round(sum(run.data.get("request_seconds", {}).values()), 1),
                    "read_s": round(seconds(run, "journal_reads", "issue_reads"), 1),
                    "put_s": round(seconds(run, "issue_writes"), 1),
                    "rss_mb": round(run.rss_mb),
                    "server_s": server(run)[1], "server_reads_s": server(run, "GET /issues/N")[1],
                    "server_put_s": server(run, "PUT /issues/N")[1],
                    "server": run.data.get("server", {})}
        return measure

    return {"rows": alternate(args.pairs, one("old"), one("new"))}


def settle_both(sides: dict[str, Side], configs: dict[str, Path]) -> None:
    """Old and new apply in turn until neither writes: the two packs agree on the data
    before the measured pairs (each pair then writes only what its edits cause)."""
    for _ in range(3):
        written = {}
        for name in ("old", "new"):
            run = sides[name].cli(configs[name], "apply", "--yes", "--format", "json")
            written[name] = json_tail(run.stdout)["summary"]["written"]
        say(f"  settling old and new: {written}")
        if not any(written.values()):
            return


def server(run: Run, *parts: str) -> tuple[int, float]:
    """Requests and Redmine's own seconds (its log) for the kinds containing all parts."""
    rows = [v for k, v in run.data.get("server", {}).items() if all(p in k for p in parts)]
    return sum(r[0] for r in rows), round(sum(r[1] for r in rows) / 1000, 1)


def seconds(run: Run, *kinds: str) -> float:
    """Time the command waited for Redmine's answers to requests of these kinds."""
    found = run.data.get("request_seconds", {})
    return float(sum(found.get(kind, 0.0) for kind in kinds))


def listed(project: str) -> list[tuple[int, str]]:
    """Every issue of the project tree with its updated_on as Redmine lists it (one rails
    runner: listing 10,000 issues over REST takes minutes under load)."""
    rows = run_ruby(BENCH / "stamps.rb", {"project": project})["issues"]
    return [(int(issue_id), str(stamp)) for issue_id, stamp in rows]


def step_sla_cold(args: argparse.Namespace, sides: dict[str, Side], work: Path,
                  env: dict[str, str]) -> dict[str, Any]:
    """``sla --at-risk`` with a store that holds no journals (the first SLA pass).

    With ``--cold-sample K`` (K > 1), to fit 3 pairs at 10,000 issues in the budget:
    - the store's journal cache holds "no journals" for every issue but 1 in K
      (bench/prefill.py, each tree's own code and schema): every issue is paged and
      evaluated, the journals of 1 issue in K are read;
    - the pages come from bench/pagecache.py, a proxy for each tree: a warm-up pass of
      each tree fetches its own pages from Redmine (their time: that tree's listing; the
      trees ask different pages, new with each issue's relations) and its runs get them
      from memory;
    - full pass = the run's wall time + K - 1 times its time waiting for journal reads
      (measured at the client, bench/probe.py) + the tree's listing time; beside it the
      same from Redmine's own time for the reads (its log)."""
    count = {"n": 0}
    sample = max(args.cold_sample, 1)
    issues = work / "cold-issues.json"
    issues.write_text(json.dumps(listed(args.project) if sample > 1 else []),
                      encoding="utf-8")

    def prepared(name: str, every: int) -> Path:
        count["n"] += 1
        state = work / f"cold-{count['n']}.db"
        state.unlink(missing_ok=True)
        config = sides[name].config(work / f"cold-{count['n']}.yaml", state, args.project)
        if every > 1:
            done = subprocess.run(
                [sys.executable, str(BENCH / "prefill.py"), "--state", str(state),
                 "--issues", str(issues), "--sample", str(every)],
                env=sides[name].harness.env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"prefill.py ({name}) failed:\n{done.stderr[-3000:]}")
        return config

    def one(name: str, url: dict[str, str], listing: dict[str, float]
            ) -> Callable[[], dict[str, Any]]:
        def measure() -> dict[str, Any]:
            run = sides[name].cli(prepared(name, sample), "sla", "--at-risk", env=url)
            reads = seconds(run, "journal_reads", "issue_reads")
            row = {"wall": round(run.wall, 1), "cpu": round(run.cpu, 1),
                   "journal_reads": run.requests("journal_reads"),
                   "read_s": round(reads, 1), "requests": run.requests(),
                   "server_reads_s": server(run, "GET /issues/N")[1],
                   "server": run.data.get("server", {})}
            if sample > 1:  # Redmine's own time (its log) for the reads beside the wait
                logged = server(run, "GET /issues/N")[1]
                row.update(estimated_wall=round(run.wall + (sample - 1) * reads
                                                + listing["seconds"], 1),
                           estimated_log=round(run.wall - reads + sample * logged
                                               + listing["seconds"], 1),
                           estimated_journal_reads=sample * run.requests("journal_reads"))
            return row
        return measure

    if sample == 1:
        return {"sample": 1, "rows": alternate(args.pairs, one("old", {}, {"seconds": 0}),
                                                one("new", {}, {"seconds": 0}))}
    # the listing is timed in every run, each tree's own pages through its own proxy
    with Proxy(env["REDMINE_URL"]) as old, Proxy(env["REDMINE_URL"]) as new:
        urls, kept = {"old": {"REDMINE_URL": old.url}, "new": {"REDMINE_URL": new.url}}, {}
        for name, cache in (("old", old), ("new", new)):
            say(f"cold SLA pass: warm-up of {name} (every journal cached: the pages only, "
                "from Redmine)")
            warm = sides[name].cli(prepared(name, 10**9), "sla", "--at-risk", env=urls[name])
            kept[name] = {**cache.state(), "warmup_wall": round(warm.wall, 1)}
            say(f"  listing ({name}): {kept[name]['pages']} pages, {kept[name]['seconds']} s "
                f"in Redmine, fetched {kept[name]['fetched']} UTC")
        rows = alternate(args.pairs, one("old", urls["old"], kept["old"]),
                         one("new", urls["new"], kept["new"]))
        return {"sample": sample, "issues": len(json.loads(issues.read_text())),
                "listings": kept, "rows": rows}


def step_quiet(args: argparse.Namespace, sides: dict[str, Side], work: Path,
               env: dict[str, str], big: bool | None = None) -> dict[str, Any]:
    """An incremental run in which nothing changed, after a ``plan --full`` that filled
    the store. At --big issues, the stores of the memory step's last ``plan --full`` pair
    serve (bench/quiet.py settle); without them, bench/quiet.py setup fills them here.
    ``big``: only the large size (True), only the first (False), both (None)."""
    out: dict[str, Any] = {}
    sizes = {False: args.quiet_issues or args.issues, True: args.big}
    for size in (sizes[b] for b in (False, True) if big in (None, b)):
        if not size:
            continue
        with FakeRedmine(size, args.project, upstream=env["REDMINE_URL"]) as fake:
            configs, setup = {}, {}
            for name, side in sides.items():
                state = quiet_store(work, name, size)
                configs[name] = side.config(work / f"quiet-{name}-{size}.yaml", state,
                                            args.project)
                mode = "settle" if state.exists() else "setup"
                say(f"quiet: {size:,} issues, {mode} ({name})")
                data, run = side.quiet(mode, configs[name], fake.url, "--issues", str(size))
                setup[name] = {"by": "memory step's plan --full" if mode == "settle" else
                               "bench/quiet.py setup", "rss_mb": round(run.rss_mb),
                               "seconds": round(data.get("seconds", run.wall), 1)}

            def one(name: str, fake: FakeRedmine = fake,
                    configs: dict[str, Path] = configs) -> Callable[[], dict[str, Any]]:
                def measure() -> dict[str, Any]:
                    data, _ = sides[name].quiet("measure", configs[name], fake.url)
                    return {"cpu": round(data["cpu"], 3), "evaluated": data["evaluated"]}
                return measure

            out[str(size)] = {"setup": setup, "rules": "shipped pack",
                              "rows": alternate(args.pairs, one("old"), one("new"))}
    return out


def quiet_store(work: Path, name: str, size: int) -> Path:
    return work / f"quiet-{name}-{size}.db"


def forget(state: Path) -> None:
    """A state store and its companions (WAL, lock) removed."""
    for path in state.parent.glob(f"{state.name}*"):
        path.unlink()


def step_memory(args: argparse.Namespace, sides: dict[str, Side], work: Path,
                env: dict[str, str], kinds: tuple[str, ...] = ("apply", "plan")
                ) -> dict[str, Any]:
    """Peak RSS of a first apply and of ``plan --full``, each from a new state store."""
    out: dict[str, Any] = {}
    sizes = {"apply": args.memory_issues, "plan": args.big}
    count = {"n": 0}
    for what in kinds:
        size = sizes[what]
        with FakeRedmine(size, args.project, upstream=env["REDMINE_URL"]) as fake:
            rows = work / f"memory-rows-{size}.json"
            rows.write_text(json.dumps([[n, fake.catalogue.updated_on(n).isoformat()]
                                        for n in range(1, size + 1)]), encoding="utf-8")

            def one(name: str, what: str = what, fake: FakeRedmine = fake, rows: Path = rows
                    ) -> Callable[[], dict[str, Any]]:
                def measure() -> dict[str, Any]:
                    count["n"] += 1
                    side, stem = sides[name], work / f"memory-{what}-{name}-{count['n']}"
                    # plan --full leaves its store for the quiet step (the last pair's)
                    state = (quiet_store(work, name, fake.catalogue.count) if what == "plan"
                             else stem.with_suffix(".db"))
                    forget(state)
                    config = side.config(stem.with_suffix(".yaml"), state, args.project)
                    if what == "plan":  # the fake's issues have no journals: cached as such
                        done = subprocess.run(
                            [sys.executable, str(BENCH / "prefill.py"), "--state", str(state),
                             "--issues", str(rows), "--sample", str(fake.catalogue.count + 1)],
                            env=side.harness.env, capture_output=True, text=True, check=False)
                        if done.returncode != 0:
                            raise SystemExit(f"prefill.py ({name}) failed:\n{done.stderr[-2000:]}")
                        argv: tuple[str, ...] = ("plan", "--full", "--format", "json")
                    else:
                        argv = ("apply", "--yes", "--format", "json")
                    run = side.cli(config, *argv, env={"REDMINE_URL": fake.url}, logged=False)
                    summary = summary_of(run.stdout)
                    if what == "apply":
                        forget(state)
                    return {"rss_mb": round(run.rss_mb), "wall": round(run.wall, 1),
                            "cpu": round(run.cpu, 1),
                            "changed": summary["issues_changed"] if what == "plan"
                            else sum(summary.values())}  # apply: every outcome is an issue
                return measure

            say(f"memory: {what}, {size:,} fake issues")
            out[what] = {"issues": size, "together": True,
                         "rows": alternate(args.pairs, one("old"), one("new"), together=True)}
    return out


def summary_of(text: str) -> dict[str, Any]:
    """The ``summary`` of a command's JSON document, without decoding the rest (the plan
    of 100,000 issues: hundreds of MB that the harness's process decoded in tens of
    seconds, holding the interpreter lock the other lanes' waits need)."""
    key = '\n  "summary": '
    at = text.rfind(key)
    if at < 0:
        found: dict[str, Any] = json_tail(text)["summary"]
        return found
    found, _ = json.JSONDecoder().raw_decode(text, at + len(key))
    return found


def step_engine(args: argparse.Namespace, sides: dict[str, Side], work: Path,
                env: dict[str, str]) -> dict[str, Any]:
    """bench/engine.py (this tree's script and issues) on each tree's code and rule pack:
    CPU seconds of one process, median of --engine-repeat evaluations per run."""
    def one(name: str) -> Callable[[], dict[str, Any]]:
        def measure() -> dict[str, Any]:
            data = child_json(sides[name], "engine.py", "--issues", str(args.engine_issues),
                              "--repeat", str(args.engine_repeat))
            return {what.split()[0]: {"rate": round(args.engine_issues / f["cpu_seconds"]),
                                      "cpu": round(f["cpu_seconds"], 2),
                                      "changed": f["changed"]} for what, f in data.items()}
        return measure

    say(f"engine: {args.engine_issues:,} issues, median of {args.engine_repeat} per run")
    return {"issues": args.engine_issues, "repeat": args.engine_repeat,
            "rows": alternate(args.pairs, one("old"), one("new"))}


def step_store(args: argparse.Namespace, sides: dict[str, Side], work: Path,
               env: dict[str, str]) -> dict[str, Any]:
    """bench/store.py on each tree's store: N issues cached in one transaction, into a
    fresh state file (wall and CPU, median of 3 per run)."""
    def one(name: str) -> Callable[[], dict[str, Any]]:
        def measure() -> dict[str, Any]:
            data = child_json(sides[name], "store.py", "--issues", str(args.issues),
                              "--repeat", "3", "--only", "transaction")["transaction"]
            return {"wall": round(data["wall"], 2), "cpu": round(data["cpu"], 2)}
        return measure

    say(f"store: {args.issues:,} issues in one transaction")
    return {"issues": args.issues, "rows": alternate(args.pairs, one("old"), one("new"))}


def child_json(side: Side, script: str, *argv: str) -> dict[str, Any]:
    """A bench script (this tree's) on the side's code (BENCH_CODE): its JSON answer."""
    done = subprocess.run([sys.executable, str(BENCH / script), *argv, "--json"],
                          env={**side.harness.env, "BENCH_CODE": str(side.tree)},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{script} ({side.name}) failed:\n{done.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


# ---------------------------------------------------------------------------------------
# the report


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _load(row: dict[str, Any]) -> str:
    return f"{row['pair']} ({row['start']}, {row['load']})"


def faster(old: float, new: float) -> float:
    return old / max(new, 1e-9)


def gain(old: float, new: float) -> float:
    return new / max(old, 1e-9)


def change(old: float, new: float) -> float:
    return new / old - 1


SHOWN = {faster: ("old / new", lambda r: f"{r:.2f}x"),
         gain: ("new / old", lambda r: f"{r:.2f}x"),
         change: ("new vs old", lambda r: f"{r:+.0%}")}


def pair_table(intro: str, rows: list[dict[str, Any]], cell: Callable[[dict[str, Any]], str],
               value: Callable[[dict[str, Any]], float], ratio: Callable[[float, float], float],
               unit: Callable[[float], str]) -> list[str]:
    """Every pair (old and new cells, their ratio), then the medians and the median ratio.

    ``value`` is the figure the ratio compares, ``unit`` shows its median."""
    title, shown = SHOWN[ratio]
    lines = [intro, "", f"| pair (start, load) | old | new | {title} |", "|---|---|---|---|"]
    ratios = []
    for row in rows:
        ratios.append(ratio(value(row["old"]), value(row["new"])))
        lines.append(f"| {_load(row)} | {cell(row['old'])} | {cell(row['new'])} "
                     f"| {shown(ratios[-1])} |")
    old = _median([value(r["old"]) for r in rows])
    new = _median([value(r["new"]) for r in rows])
    lines += [f"| median | {unit(old)} | {unit(new)} | **{shown(_median(ratios))}** |", ""]
    return lines


def listings(cold: dict[str, Any]) -> str:
    """The trees' listings of the cold SLA pass: pages, Redmine's time, when fetched."""
    kept = cold.get("listings") or {}
    if not kept:  # a run saved before each tree had its own
        return (f"{cold.get('pages', '?')} pages, {cold.get('listing_s', '?')} s in Redmine, "
                "one for both")
    return "; ".join(f"{name}: {found['pages']} pages, {found['seconds']} s in Redmine, fetched "
                     f"{found['fetched']} UTC" for name, found in kept.items())


def _apply_cell(side: dict[str, Any]) -> str:
    return (f"{side['wall']} s, {side['written']} written, {side['requests']} req, "
            f"{side['reads_per_write']} reads/write; waited {side.get('redmine_s')} / "
            f"{side.get('read_s')} / {side.get('put_s')} s; log {side.get('server_s')} / "
            f"{side.get('server_reads_s')} / {side.get('server_put_s')} s")


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    """A Markdown section for bench/RESULTS.md: every pair, and the medians."""
    lines = [(f"### {results['started']} - {results.get('ended', '?')[11:]}: issue 18, old and "
             f"new side by side (`bench/compare.py`)"), "",
             (f"Old = {results['old']}, new = {results['new']}; {args.issues:,} issues in "
             f"`{args.project}` of the local Redmine. Each measurement is a child process with "
             "one tree first on PYTHONPATH, old and new alternating (old first in odd pairs); "
             "the load average (1 min) at the start of each pair is given with it. Machine: "
             f"{results['machine']}."), ""]
    seconds = "{:.1f} s".format
    apply = results.get("apply")
    if apply and apply["rows"]:
        lines += pair_table(
            (f"**apply** (`apply --yes --max-changes {args.writes}` after a person moved "
             f"{args.writes} open issues to a customer of another tier; the other tree's "
             "store then takes in the same edits by an unmeasured apply). Wall time, issues "
             "written, requests, issue reads per written issue; the time the command waited "
             "for Redmine's answers (all / issue reads / PUTs) and Redmine's own time for "
             "them in its log (all / issue reads / PUTs):"),
            apply["rows"], _apply_cell, lambda side: side["wall"], change, seconds)
    cold = results.get("sla_cold")
    if cold and cold["rows"]:
        sample = cold["sample"]
        what = (f"every issue paged and evaluated, the journals of 1 issue in {sample} read "
                "(bench/prefill.py), the pages served from memory by a proxy for each tree "
                f"(bench/pagecache.py); full pass = wall + {sample - 1} x the time waiting "
                "for those reads + the tree's listing (" + listings(cold) + ")" if sample > 1
                else "every journal read")
        key = "estimated_wall" if sample > 1 else "wall"
        lines += pair_table(
            (f"**cold SLA pass** (`sla --at-risk`, empty journal cache; {what}). Wall, "
             "journal reads, time waiting for them and Redmine's own time for them (its "
             "log), estimated full pass (from the wait; from the log: wall - wait + "
             f"{sample} x the log's time + the listing):"), cold["rows"],
            lambda side: (f"{side['wall']} s, {side['journal_reads']} reads, waited "
                          f"{side['read_s']} s, log {side.get('server_reads_s', '?')} s"
                          + (f" -> {side[key]} s (log: {side.get('estimated_log', '?')} s)"
                             if sample > 1 else "")),
            lambda side: side[key], faster, "{:.0f} s".format)
    memory = results.get("memory") or {}
    for what, data in memory.items():
        title = (f"first `apply --yes`, {data['issues']:,} issues of the fake Redmine (empty "
                 "state store)" if what == "apply" else
                 f"`plan --full`, {data['issues']:,} issues of the fake Redmine (journal "
                 "cache filled)")
        lines += pair_table(
            (f"**memory**: {title}, shipped pack; peak RSS of the command, wall time"
             + (" (old and new at the same time)" if data.get("together") else "") + ":"),
            data["rows"], lambda side: f"{side['rss_mb']} MB, {side['wall']} s",
            lambda side: side["rss_mb"], change, "{:.0f} MB".format)
    for size, data in (results.get("quiet") or {}).items():
        lines += pair_table(
            (f"**no-change run**, {int(size):,} issues of the fake Redmine ({data['rules']}; "
             "CPU of `sync._plan` in bench/quiet.py, issues evaluated):"), data["rows"],
            lambda side: f"{side['cpu']} s, {side['evaluated']:,}", lambda side: side["cpu"],
            faster, "{:.3f} s".format)
    engine = results.get("engine")
    if engine and engine["rows"]:
        for what in ("cold", "steady"):
            lines += pair_table(
                (f"**rule engine, {what}** (bench/engine.py, {engine['issues']:,} issues, "
                 + ("one timed evaluation per run after an untimed one of 500 issues"
                    if engine["repeat"] == 1 else
                    f"median of {engine['repeat']} evaluations per run")
                 + "; CPU of one process, issues per second):"), engine["rows"],
                lambda side, what=what: (f"{side[what]['rate']:,}/s ({side[what]['cpu']} s, "
                                         f"{side[what]['changed']:,} changed)"),
                lambda side, what=what: side[what]["rate"], gain,
                "{:,.0f}/s".format)
    store = results.get("store")
    if store and store["rows"]:
        lines += pair_table(
            (f"**store**: {store['issues']:,} issues cached in one transaction into a fresh "
             "state file (bench/store.py; median of 3 per run), wall and CPU:"), store["rows"],
            lambda side: f"{side['wall']} s wall, {side['cpu']} s CPU",
            lambda side: side["wall"], change, "{:.2f} s".format)
    budget = results.get("budget")
    if budget:
        spent = ", ".join(f"{k} {v['minutes']} min" for k, v in budget["steps"].items())
        lanes = "; ".join(f"{lane}: " + ", ".join(keys)
                          for lane, keys in sorted(results.get("lanes", {}).items()))
        lines.append(f"Budget: {budget['minutes']} min; steps: {spent}; lanes: {lanes}.")
        for step, why in budget["left_out"].items():
            lines.append(f"**Left out: {step}** ({why}).")
        for step, why in budget.get("stopped", {}).items():
            lines.append(f"**Stopped: {step}**, {why}: its tables hold fewer pairs.")
    for step, error in (results.get("failed") or {}).items():
        last = error.strip().splitlines()[-1] if error.strip() else "?"
        lines.append(f"**Failed: {step}**: {last}")
    if results.get("server_nice"):
        lines.append(f"The local Redmine's server ran at nice {results['server_nice']}"
                     + (": set to 0 for the run." if results.get("server_reniced") else
                        " (could not be set to 0): its answers waited for other work."))
    if results.get("prepared_minutes") is not None:
        lines.append(f"Preparing the steady state (before the budget): "
                     f"{results['prepared_minutes']} min.")
    lines.append(f"Whole run: {results.get('minutes', '?')} min.")
    return "\n".join(lines) + "\n"


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Saved runs of different steps (run side by side, on the same trees) as one."""
    out = dict(runs[0])
    for run in runs[1:]:
        out.update({k: v for k, v in run.items() if k in GROUPS})
    out["started"] = min(r["started"] for r in runs)
    out["ended"] = max(r.get("ended", "?") for r in runs)
    out["minutes"] = max(r.get("minutes", 0) for r in runs)
    commits = sorted({r["new"] for r in runs})
    out["new"] = " / ".join(commits)
    return out


def record(text: str) -> None:
    """The section goes at the end of RESULTS.md's End-to-end part (or of the file)."""
    results = BENCH / "RESULTS.md"
    existing = results.read_text(encoding="utf-8")
    part = existing.find("\n## End-to-end")
    end = existing.find("\n## ", part + 1) if part >= 0 else -1
    if end < 0:
        end = len(existing)
    head, tail = existing[:end].rstrip("\n"), existing[end:].lstrip("\n")
    results.write_text(head + "\n\n" + text + ("\n" + tail if tail else ""),
                       encoding="utf-8")


Measure = Callable[[argparse.Namespace, dict[str, Side], Path, dict[str, str]], dict[str, Any]]
# name -> (the results' key it adds to, or "" for its own; the measurement)
STEPS: dict[str, tuple[str, Measure]] = {
    "apply": ("", step_apply), "sla_cold": ("", step_sla_cold),
    "engine": ("", step_engine), "store": ("", step_store),
    "quiet": ("quiet", partial(step_quiet, big=False)),
    "memory_apply": ("memory", partial(step_memory, kinds=("apply",))),
    "memory_plan": ("memory", partial(step_memory, kinds=("plan",))),
    "quiet_big": ("quiet", partial(step_quiet, big=True))}
GROUPS = {group or name for name, (group, _) in STEPS.items()}
ON_REDMINE = ("apply", "sla_cold")  # steps that need the seeded project
# Steps whose figures are wall time: lane 1 runs them first, at the harness's own priority
# (and the local Redmine's, set to 0), one at a time.
WALL = (*ON_REDMINE, "store")
# The others give peak RSS or the CPU time of one process, which the load changes little:
# lanes 2 and 3 take them from a shared queue, longest first, and lane 1 too once its own
# are done, all at nice NICE, so that they take only the CPU the wall-time steps and
# Redmine leave; quiet_big follows memory_plan in the same lane (it starts from its
# stores).
UNITS = (("memory_plan", "quiet_big"), ("memory_apply",), ("engine",), ("quiet",))
NICE = 10


def server_nice() -> tuple[int, int]:
    """The local Redmine server's process id and nice value (scripts/redmine-local's pid
    file); (0, 0) if unknown."""
    folder = Path(os.environ.get("REDMINE_LOCAL_DIR") or "/var/lib/redmine-sync-local")
    try:
        pid = (folder / "run" / "thin.pid").read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0, 0
    return int(pid), int(fields[16])


def server_priority(results: dict[str, Any]) -> None:
    """The local Redmine answers at the priority of the wall-time steps (0): started
    under ``nice``, its answers would wait for every other process and the wall times
    measure the machine's load. Said, and kept in the results when it cannot be set."""
    pid, niced = server_nice()
    if not niced:
        return
    results["server_nice"] = niced
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 0)
        results["server_reniced"] = True
        say(f"the Redmine server (pid {pid}) ran at nice {niced}: set to 0 for the run")
    except OSError as exc:
        say(f"warning: the Redmine server runs at nice {niced} ({exc}): its answers wait "
            "for every other process (renice it to 0 for figures to compare)")


def yielding() -> None:
    """This lane's thread, and every process it starts from now on, at nice NICE (Linux
    keeps a nice value per thread; a child inherits its thread's)."""
    thread = threading.get_native_id()
    if os.getpriority(os.PRIO_PROCESS, thread) < NICE:
        os.setpriority(os.PRIO_PROCESS, thread, NICE)


def data_id(admin: Admin, project: str) -> list[Any]:
    """Which data the project holds: Redmine's URL, when the project was created (an
    instance built again makes it anew), its issue count and first issue id (seeding
    again replaces the issues, so the ids change)."""
    made = (admin.get(f"/projects/{project}.json") or {}).get("project", {})
    first = admin.get("/issues.json", project_id=project, status_id="*", sort="id", limit=1)
    issues = (first or {}).get("issues") or [{}]
    return [admin.url, made.get("created_on"), (first or {}).get("total_count", 0),
            issues[0].get("id")]


def still_prepared(work: Path, url: str, admin: Admin, args: argparse.Namespace) -> bool:
    """Is the steady state in ``work`` that of this Redmine's project? (A reset or a new
    instance drops it: then it is prepared again.)"""
    prepared = work / "prepared.json"
    if not prepared.exists():
        return False
    kept = json.loads(prepared.read_text(encoding="utf-8"))
    if kept.get("data", data_id(admin, args.project)) == data_id(admin, args.project):
        return True
    say(f"the steady state in {work} is not that of {url}'s {args.project}: prepared again")
    for path in [prepared, *work.glob("state-*.db*")]:
        path.unlink()
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--quiet-issues", type=int, default=0,
                        help="fake issues, first size (default: --issues)")
    parser.add_argument("--big", type=int, default=100_000, help="fake issues, large size")
    parser.add_argument("--project", default="bench")
    parser.add_argument("--pairs", type=int, default=3, help="pairs per ratio (every step)")
    parser.add_argument("--budget-minutes", type=float, default=40.0,
                        help="the run once the data is ready: a step whose pairs do not fit "
                             "in what is left is left out (and named in the report)")
    parser.add_argument("--cold-sample", type=int, default=1,
                        help="cold SLA pass: read the journals of 1 issue in K (estimate the rest)")
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--memory-issues", type=int, default=10_000,
                        help="memory step: fake issues of the first apply")
    parser.add_argument("--offset", type=int, default=0,
                        help="with --state: the first of the open issues the edits pick")
    parser.add_argument("--lanes", type=int, choices=(1, 2, 3), default=2,
                        help="lane 1 runs the wall-time steps, then takes the others from a "
                             "shared queue like lanes 2 and 3 from the start, at nice "
                             f"{NICE} (1: all in turn)")
    parser.add_argument("--engine-issues", type=int, default=20_000)
    parser.add_argument("--engine-repeat", type=int, default=1,
                        help="engine step: timed evaluations per run (median), after an "
                             "untimed one of a few issues; the pairs give the median")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--out", type=Path, default=Path("compare.json"))
    parser.add_argument("--repeat", type=int, default=1)  # for Harness
    parser.add_argument("--state", type=Path,
                        help="a steady-state store of the new code on this data (as bench/run.py "
                             "--state-out leaves it): the apply step starts from it")
    parser.add_argument("--old-label", default="", help="how the report names the old tree")
    parser.add_argument("--record", action="store_true",
                        help="append the report to bench/RESULTS.md")
    parser.add_argument("--work", type=Path,
                        help="kept directory: the apply step's steady state is prepared once "
                             "there and reused by later runs (the data is then not seeded "
                             "again)")
    parser.add_argument("--report", type=Path, nargs="+", metavar="OUT_JSON",
                        help="only print (and with --record append) the report of saved "
                             "runs (several: steps run at the same time, as one section)")
    args = parser.parse_args()
    if args.report:
        saved = merged([json.loads(p.read_text(encoding="utf-8")) for p in args.report])
        text = report(saved, argparse.Namespace(**saved["args"]))
        print(text)
        if args.record:
            record(text)
        return 0
    env = local_env()
    kept = args.work is not None
    work = args.work.resolve() if kept else Path(tempfile.mkdtemp(prefix="redmine-sync-compare-"))
    work.mkdir(parents=True, exist_ok=True)

    def sides(lane: str) -> dict[str, Side]:
        made = {"old": Side("old", args.old.resolve(), args, work / lane),
                "new": Side("new", NEW, args, work / lane)}
        for side in made.values():
            side.harness.env.update(REDMINE_URL=env["REDMINE_URL"],
                                    REDMINE_API_KEY=env["REDMINE_API_KEY"])
        return made

    started = time.monotonic()
    steps = args.steps.split(",")
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "old": args.old_label or str(args.old), "new": commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    if args.state and not (work / "prepared.json").exists():
        shutil.copy(args.state, work / "state-new.db")
        downgrade(work / "state-new.db", work / "state-old.db")
        (work / "prepared.json").write_text(json.dumps({"offset": args.offset}),
                                            encoding="utf-8")
    server_priority(results)
    admin = Admin(env["REDMINE_URL"], env["REDMINE_LOCAL_ADMIN_KEY"])
    if not any(key in ON_REDMINE for key in steps):
        # the fake serves the issues, the local Redmine the project's members and fields
        made = ensure_project(admin, args.project)
        say(f"no step on the local Redmine: nothing seeded ({args.project} "
            + ("created without issues, for the fake's members)" if made else "as it is)"))
    elif still_prepared(work, env["REDMINE_URL"], admin, args):
        say(f"{args.project}: the steady state prepared before in {work} (not seeded again)")
    else:
        say(f"seeding {args.issues:,} issues in {args.project} (skipped when as seeded)")
        seed(admin, args.project, args.issues)
    if "apply" in steps:
        begun = time.monotonic()
        prepare(args, sides("lane1"), work, env)
        results["prepared_minutes"] = round((time.monotonic() - begun) / 60, 1)
        say(f"the steady state is ready ({results['prepared_minutes']} min)")
    global BUDGET
    budget = BUDGET = Budget(args.budget_minutes)
    say(f"budget: {args.budget_minutes:g} min from now, {args.pairs} pairs per ratio; "
        f"steps: {', '.join(steps)}")
    for path in work.glob("quiet-*.db*"):  # the no-change stores are this run's own
        path.unlink()
    own = [k for k in steps if k in WALL]
    shared = [[k for k in unit if k in steps] for unit in UNITS]
    shared = [unit for unit in shared if unit]
    results["lanes"] = {}
    say((f"lane 1: {', '.join(own)}, then " if own else "") + "from the shared queue: "
        + " | ".join(", ".join(unit) for unit in shared)
        + {1: "", 2: " (lane 2 from the start)", 3: " (lanes 2 and 3 from the start)"}[args.lanes])
    lock = threading.Lock()

    def run_lane(number: int) -> None:
        while True:
            with lock:
                if number == 1 and own:
                    unit = [own.pop(0)]
                elif shared:
                    unit = shared.pop(0)
                else:
                    return
            for key in unit:
                run_step(number, key)

    def run_step(number: int, key: str) -> None:
        expected = estimate(key, args)
        with lock:
            admitted = budget.admits(key, expected)
        if not admitted:
            say(f"{key}: LEFT OUT, {budget.left_out[key]}")
            return
        results["lanes"].setdefault(f"lane {number}", []).append(key)
        if key not in WALL:
            yielding()
        say(f"{key} (lane {number}): expected {expected * budget.pace / 60:.1f} min, "
            f"{budget.left() / 60:.1f} min left")
        begun = time.monotonic()
        budget.running.step = key
        try:
            group, measure = STEPS[key]
            found = measure(args, sides(f"lane{number}"), work, env)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - named in the report
            say(f"{key}: FAILED: {exc}")
            with lock:
                results.setdefault("failed", {})[key] = str(exc)[-2000:]
            return
        with lock:
            if group:
                results.setdefault(group, {}).update(found)
            else:
                results[key] = found
            budget.done(key, expected, time.monotonic() - begun)
            results["budget"] = budget.describe()
            args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")

    threads = [threading.Thread(target=run_lane, args=(n,)) for n in range(1, args.lanes + 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if not kept:
            shutil.rmtree(work, ignore_errors=True)
    results["budget"] = budget.describe()
    results["ended"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["minutes"] = round((time.monotonic() - started) / 60, 1)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = report(results, args)
    print(text)
    if args.record:
        record(text)
        say("appended to bench/RESULTS.md")
    if results.get("failed"):
        say(f"failed steps: {', '.join(results['failed'])}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
