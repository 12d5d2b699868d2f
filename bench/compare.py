#!/usr/bin/env python3
"""Old and new code side by side, alternating on the same data: the ratios of issue 18.

``--old DIR`` is a checkout of the code to compare against (``git archive REV | tar -x
-C DIR``); this tree is the new one. Each measurement is a child process with that tree
on PYTHONPATH, run old, new, old, new... so that the shared machine's load falls on both
alike. The load average is written beside each pair.

  apply      the local Redmine, N issues in steady state (as ``make bench`` prepares it):
             a person edits K open issues, then ``apply`` writes them; time, requests,
             reads per written issue
  sla_cold   ``sla --at-risk`` with an empty state store (the first SLA pass)
  quiet      the fake Redmine with N and 100,000 issues: the CPU of an incremental run in
             which nothing changed (bench/quiet.py), and the peak RSS of the
             ``plan --full`` that prepared it

    .venv/bin/python bench/compare.py --old DIR [--issues 10000] [--pairs 3]
        [--steps apply,sla_cold,quiet] [--out results.json]

Prints a Markdown section (old, new, ratio per pair, median) for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from fakeredmine import FakeRedmine
from run import REQUIREMENT_SWAP
from run import Harness
from run import Run
from run import json_tail
from run import local_env
from run import mutate
from run import now_iso
from run import say
from run import write_config
from seed import Admin
from seed import seed

NEW = BENCH.parent


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


class Side:
    """One tree's code: its child processes see it first on PYTHONPATH."""

    def __init__(self, name: str, tree: Path, args: argparse.Namespace, work: Path) -> None:
        self.name = name
        self.tree = tree
        self.work = work / name
        self.work.mkdir()
        self.harness = Harness(args, self.work)
        self.harness.env["PYTHONPATH"] = str(tree)

    def cli(self, config: Path, *argv: str, env: dict[str, str] | None = None) -> Run:
        return self.harness.cli(config, *argv, ok=(0, 2), env=env)

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
    """A copy of a schema-9 store the code before schema 9 opens (the index dropped)."""
    shutil.copy(state, copy)
    db = sqlite3.connect(copy)
    db.executescript("DROP TABLE IF EXISTS sla_wakes; DROP TABLE IF EXISTS sla_wake_basis;"
                     "PRAGMA user_version = 8;")
    db.close()


def alternate(pairs: int, old: Callable[[], dict[str, Any]], new: Callable[[], dict[str, Any]]
              ) -> list[dict[str, Any]]:
    rows = []
    for index in range(pairs):
        first = ("old", old), ("new", new)
        row: dict[str, Any] = {"pair": index + 1, "load": load(),
                               "start": time.strftime("%H:%M", time.gmtime())}
        for name, measure in first if index % 2 == 0 else reversed(first):
            row[name] = measure()
        say(f"  pair {index + 1} (load {row['load']}): old {row['old']}, new {row['new']}")
        rows.append(row)
    return rows


def step_apply(args: argparse.Namespace, sides: dict[str, Side], work: Path,
               env: dict[str, str]) -> dict[str, Any]:
    """Steady state prepared with the new code, its store copied for the old one."""
    project, k = args.project, args.writes
    say("apply: the steady state (new code)")
    new = sides["new"]
    state = work / "state-new.db"
    config = write_config(work / "new.yaml", state, project)
    prime = write_config(work / "prime.yaml", state, project, write_cap=10**9)
    new.cli(config, "sla", "--at-risk")
    done = subprocess.run([sys.executable, str(BENCH / "prime.py"), "--config", str(prime),
                           "--out", str(work / "prime.json")], env=new.harness.env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"prime.py failed:\n{done.stderr[-3000:]}")
    for _ in range(4):
        run = new.cli(config, "apply", "--yes", "--project", project, "--format", "json")
        if json_tail(run.stdout)["summary"]["written"] == 0:
            break
    downgrade(state, work / "state-old.db")
    configs = {"new": config, "old": write_config(work / "old.yaml", work / "state-old.db",
                                                  project)}
    offset = {"at": 0}

    def one(name: str) -> Callable[[], dict[str, Any]]:
        def measure() -> dict[str, Any]:
            edited = mutate(project, edit={"field": "Requirement type", "map": REQUIREMENT_SWAP,
                                           "count": k, "offset": offset["at"], "at": now_iso()})
            offset["at"] += k
            argv = ("apply", "--yes", "--max-changes", str(k), "--project", project,
                    "--format", "json")
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
                    "rss_mb": round(run.rss_mb)}
        return measure

    return {"rows": alternate(args.pairs, one("old"), one("new"))}


def step_sla_cold(args: argparse.Namespace, sides: dict[str, Side], work: Path,
                  env: dict[str, str]) -> dict[str, Any]:
    count = {"n": 0}

    def one(name: str) -> Callable[[], dict[str, Any]]:
        def measure() -> dict[str, Any]:
            count["n"] += 1
            config = write_config(work / f"cold-{count['n']}.yaml",
                                  work / f"cold-{count['n']}.db", args.project)
            run = sides[name].cli(config, "sla", "--at-risk")
            return {"wall": round(run.wall, 1), "cpu": round(run.cpu, 1),
                    "journal_reads": run.requests("journal_reads"),
                    "requests": run.requests()}
        return measure

    return {"rows": alternate(args.cold_pairs, one("old"), one("new"))}


def step_quiet(args: argparse.Namespace, sides: dict[str, Side], work: Path,
               env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sla_only = work / "sla-rules"  # the SLA policy alone: no cold screening to prepare
    sla_only.mkdir()
    for name in ("50-sla.yaml", "customers.yaml", "vocabulary.yaml"):
        shutil.copy(NEW / "rules" / name, sla_only / name)
    for size in (args.quiet_issues or args.issues, args.big):
        if not size:
            continue
        with FakeRedmine(size, args.project, upstream=env["REDMINE_URL"]) as fake:
            configs, setup = {}, {}
            for name, side in sides.items():
                configs[name] = write_config(work / f"quiet-{name}-{size}.yaml",
                                             work / f"quiet-{name}-{size}.db", args.project)
                if size == args.big and args.big_sla_only:
                    text = configs[name].read_text(encoding="utf-8")
                    configs[name].write_text(text.replace(str(NEW / "rules"), str(sla_only)),
                                             encoding="utf-8")
                say(f"quiet: {size:,} issues, plan --full ({name})")
                data, run = side.quiet("setup", configs[name], fake.url, "--issues", str(size))
                setup[name] = {"seconds": round(data["seconds"], 1),
                               "evaluated": data["evaluated"], "rss_mb": round(run.rss_mb)}

            def one(name: str, fake: FakeRedmine = fake,
                    configs: dict[str, Path] = configs) -> Callable[[], dict[str, Any]]:
                def measure() -> dict[str, Any]:
                    data, _ = sides[name].quiet("measure", configs[name], fake.url)
                    return {"cpu": round(data["cpu"], 3), "evaluated": data["evaluated"]}
                return measure

            out[str(size)] = {"setup": setup, "rules": "SLA policy only" if
                              size == args.big and args.big_sla_only else "shipped pack",
                              "rows": alternate(args.pairs, one("old"), one("new"))}
    return out


STEPS = {"apply": step_apply, "sla_cold": step_sla_cold, "quiet": step_quiet}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--quiet-issues", type=int, default=0,
                        help="fake issues, first size (default: --issues)")
    parser.add_argument("--big", type=int, default=100_000, help="fake issues, large size")
    parser.add_argument("--project", default="bench")
    parser.add_argument("--big-sla-only", action="store_true",
                        help="the large size with the SLA policy alone (no screening)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--cold-pairs", type=int, default=1)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--steps", default="apply,sla_cold,quiet")
    parser.add_argument("--out", type=Path, default=Path("compare.json"))
    parser.add_argument("--repeat", type=int, default=1)  # for Harness
    args = parser.parse_args()
    env = local_env()
    work = Path(tempfile.mkdtemp(prefix="redmine-sync-compare-"))
    sides = {"old": Side("old", args.old.resolve(), args, work),
             "new": Side("new", NEW, args, work)}
    for side in sides.values():
        side.harness.env.update(REDMINE_URL=env["REDMINE_URL"],
                                REDMINE_API_KEY=env["REDMINE_API_KEY"])
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    say(f"seeding {args.issues:,} issues in {args.project} (skipped when as seeded)")
    admin = Admin(env["REDMINE_URL"], env["REDMINE_LOCAL_ADMIN_KEY"])
    seed(admin, args.project, args.issues)
    try:
        for key in args.steps.split(","):
            results[key] = STEPS[key](args, sides, work, env)
            args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["ended"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
