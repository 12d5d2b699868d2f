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
  memory     the fake Redmine, shipped pack: peak RSS of the first ``apply --yes`` over
             --memory-issues issues (empty state store; the fake answers the writes and
             keeps none), and of ``plan --full`` over --big issues (journal cache filled)

    .venv/bin/python bench/compare.py --old DIR [--issues 10000] [--pairs 3]
        [--steps apply,sla_cold,quiet,memory] [--out results.json]

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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import serverlog
from fakeredmine import FakeRedmine
from pagecache import PageCache
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
from seed import run_ruby
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
        self.work.mkdir(exist_ok=True)
        self.harness = Harness(args, self.work)
        self.harness.env["PYTHONPATH"] = str(tree)

    def config(self, path: Path, state: Path, project: str, write_cap: int | None = None
               ) -> Path:
        """A config with this tree's example and rule pack (its keys are the tree's)."""
        return write_config(path, state, project, write_cap, root=self.tree)

    def cli(self, config: Path, *argv: str, env: dict[str, str] | None = None) -> Run:
        """The command, with Redmine's own time per kind of request (its log) in
        ``data["server"]``."""
        mark = serverlog.Mark()
        run = self.harness.cli(config, *argv, ok=(0, 2), env=env)
        run.data["server"] = mark.kinds()
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
    """Steady state prepared once with the new code (kept in ``--work`` for later runs), its
    store copied for the old one. In each pair a person moves K open issues to a customer
    of another tier (bench/run.py's CUSTOMER_SWAP): the pack then writes each of them once,
    the same on both trees."""
    project, k = args.project, args.writes
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
        prepared.write_text(json.dumps({"offset": 0, "settled": settled}), encoding="utf-8")
    configs = {"new": config, "old": old_config}
    offset = json.loads(prepared.read_text(encoding="utf-8"))
    if not offset.get("both_settled"):
        settle_both(sides, configs)
        offset["both_settled"] = True
        prepared.write_text(json.dumps(offset), encoding="utf-8")

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
    - the pages come from bench/pagecache.py: both trees page the same issues with the
      same URLs, so one warm-up pass fetches them from Redmine (its time: the listing)
      and the runs get them from memory;
    - full pass = the run's wall time + K - 1 times its time waiting for journal reads
      (measured at the client, bench/probe.py) + the listing's time."""
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
            if sample > 1:
                row.update(estimated_wall=round(run.wall + (sample - 1) * reads
                                                + listing["seconds"], 1),
                           estimated_journal_reads=sample * run.requests("journal_reads"))
            return row
        return measure

    if sample == 1:
        return {"sample": 1, "rows": alternate(args.cold_pairs, one("old", {}, {"seconds": 0}),
                                                one("new", {}, {"seconds": 0}))}
    with PageCache(env["REDMINE_URL"], work / "pages.pickle") as cache:
        url = {"REDMINE_URL": cache.url}
        warm = None
        if not cache.pages:
            say("cold SLA pass: warm-up (every journal cached: the pages only, from Redmine)")
            warm = sides["new"].cli(prepared("new", 10**9), "sla", "--at-risk", env=url)
            cache.save()
        listing = {"seconds": round(cache.page_seconds, 1)}
        say(f"  listing: {len(cache.pages)} pages, {listing['seconds']} s in Redmine, fetched "
            f"{cache.fetched} UTC")
        rows = alternate(args.cold_pairs, one("old", url, listing), one("new", url, listing))
        return {"sample": sample, "issues": len(json.loads(issues.read_text())),
                "pages": len(cache.pages), "listing_s": listing["seconds"],
                "listing_fetched": cache.fetched,
                "warmup_wall": round(warm.wall, 1) if warm else None, "rows": rows}


def step_quiet(args: argparse.Namespace, sides: dict[str, Side], work: Path,
               env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side in sides.values():  # the SLA policy alone: no cold screening to prepare
        sla_only = work / f"sla-rules-{side.name}"
        sla_only.mkdir(exist_ok=True)
        for name in ("50-sla.yaml", "customers.yaml", "vocabulary.yaml"):
            shutil.copy(side.tree / "rules" / name, sla_only / name)
    for size in (args.quiet_issues or args.issues, args.big):
        if not size:
            continue
        with FakeRedmine(size, args.project, upstream=env["REDMINE_URL"]) as fake:
            configs, setup = {}, {}
            for name, side in sides.items():
                configs[name] = side.config(work / f"quiet-{name}-{size}.yaml",
                                            work / f"quiet-{name}-{size}.db", args.project)
                if size == args.big and args.big_sla_only:
                    text = configs[name].read_text(encoding="utf-8")
                    configs[name].write_text(text.replace(str(side.tree / "rules"),
                                                          str(work / f"sla-rules-{name}")),
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


def step_memory(args: argparse.Namespace, sides: dict[str, Side], work: Path,
                env: dict[str, str]) -> dict[str, Any]:
    """Peak RSS of a first apply and of ``plan --full``, each from a new state store."""
    out: dict[str, Any] = {}
    sizes = {"apply": args.memory_issues, "plan": args.big}
    count = {"n": 0}
    for what in args.memory.split(","):
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
                    state = stem.with_suffix(".db")
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
                    run = side.cli(config, *argv, env={"REDMINE_URL": fake.url})
                    summary = json_tail(run.stdout)["summary"]
                    for path in work.glob(f"{stem.name}.db*"):
                        path.unlink()
                    return {"rss_mb": round(run.rss_mb), "wall": round(run.wall, 1),
                            "cpu": round(run.cpu, 1),
                            "changed": summary["issues_changed"] if what == "plan"
                            else sum(summary.values())}  # apply: every outcome is an issue
                return measure

            say(f"memory: {what}, {size:,} fake issues")
            out[what] = {"issues": size, "rows": alternate(args.pairs, one("old"), one("new"))}
    return out


# ---------------------------------------------------------------------------------------
# the report


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _load(row: dict[str, Any]) -> str:
    return f"{row['pair']} ({row['start']}, {row['load']})"


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    """A Markdown section for bench/RESULTS.md: every pair, and the medians."""
    lines = [(f"### {results['started']} - {results.get('ended', '?')[11:]}: issue 18, old and "
             f"new side by side (`bench/compare.py`)"), "",
             (f"Old = {results['old']}, new = {results['new']}; {args.issues:,} issues in "
             f"`{args.project}` of the local Redmine. Each measurement is a child process with "
             "one tree first on PYTHONPATH, old and new alternating (old first in odd pairs); "
             "the load average (1 min) at the start of each pair is given with it. Machine: "
             f"{results['machine']}."), ""]
    apply = results.get("apply")
    if apply and apply["rows"]:
        rows = apply["rows"]
        lines += [(f"**apply** (`apply --yes --max-changes {args.writes}` after a person moved "
                  f"{args.writes} open issues to a customer of another tier; the other tree's "
                  "store then takes in the same edits by an unmeasured apply). Wall time, "
                  "issues written, requests, issue reads per written issue; the time the "
                  "command waited for Redmine's answers (all / issue reads / PUTs) and "
                  "Redmine's own time for them in its log (all / issue reads / PUTs):"), "",
                  "| pair (start, load) | old | new | new vs old |", "|---|---|---|---|"]
        for row in rows:
            cells = [f"{row[side]['wall']} s, {row[side]['written']} written, "
                     f"{row[side]['requests']} req, {row[side]['reads_per_write']} reads/write; "
                     f"waited {row[side].get('redmine_s')} / {row[side].get('read_s')} / "
                     f"{row[side].get('put_s')} s; log {row[side].get('server_s')} / "
                     f"{row[side].get('server_reads_s')} / {row[side].get('server_put_s')} s"
                     for side in ("old", "new")]
            change = row["new"]["wall"] / row["old"]["wall"] - 1
            lines.append(f"| {_load(row)} | {cells[0]} | {cells[1]} | {change:+.0%} |")
        old = _median([r["old"]["wall"] for r in rows])
        new = _median([r["new"]["wall"] for r in rows])
        change = _median([r["new"]["wall"] / r["old"]["wall"] - 1 for r in rows])
        lines += [f"| median | {old:.1f} s | {new:.1f} s | **{change:+.0%}** |", ""]
    cold = results.get("sla_cold")
    if cold and cold["rows"]:
        rows, sample = cold["rows"], cold["sample"]
        what = (f"every issue paged and evaluated, the journals of 1 issue in {sample} read "
                f"(bench/prefill.py), the {cold['pages']} pages served from memory "
                f"(bench/pagecache.py); full pass = wall + {sample - 1} x the time waiting "
                f"for those reads + the listing ({cold['listing_s']} s in Redmine, fetched "
                f"once for both at {cold.get('listing_fetched', '?')} UTC)" if sample > 1
                else "every journal read")
        lines += [(f"**cold SLA pass** (`sla --at-risk`, empty journal cache; {what}). Wall, "
                   "journal reads, time waiting for them, estimated full pass:"), "",
                  "| pair (start, load) | old | new | old / new |", "|---|---|---|---|"]
        key = "estimated_wall" if sample > 1 else "wall"
        for row in rows:
            cells = [f"{row[side]['wall']} s, {row[side]['journal_reads']} reads, "
                     f"{row[side]['read_s']} s" + (f" -> {row[side][key]} s" if sample > 1
                                                   else "") for side in ("old", "new")]
            lines.append(f"| {_load(row)} | {cells[0]} | {cells[1]} | "
                         f"{row['old'][key] / row['new'][key]:.2f}x |")
        ratio = _median([r["old"][key] / r["new"][key] for r in rows])
        lines += [(f"| median | {_median([r['old'][key] for r in rows]):.0f} s | "
                  f"{_median([r['new'][key] for r in rows]):.0f} s | **{ratio:.2f}x** |"), ""]
    quiet = results.get("quiet") or {}
    for size, data in quiet.items():
        rows = data["rows"]
        if not rows:
            continue
        lines += [(f"**no-change run**, {int(size):,} issues of the fake Redmine ({data['rules']}; "
                  "CPU of `sync._plan` in bench/quiet.py, issues evaluated):"), "",
                  "| pair (start, load) | old | new | old / new |", "|---|---|---|---|"]
        for row in rows:
            lines.append(f"| {_load(row)} | {row['old']['cpu']} s, {row['old']['evaluated']:,} "
                         f"| {row['new']['cpu']} s, {row['new']['evaluated']:,} | "
                         f"{row['old']['cpu'] / max(row['new']['cpu'], 1e-6):.0f}x |")
        lines += [(f"| median | {_median([r['old']['cpu'] for r in rows]):.3f} s | "
                  f"{_median([r['new']['cpu'] for r in rows]):.3f} s | |"), ""]
    memory = results.get("memory") or {}
    for what, data in memory.items():
        rows = data["rows"]
        title = (f"first `apply --yes`, {data['issues']:,} issues of the fake Redmine (empty "
                 "state store)" if what == "apply" else
                 f"`plan --full`, {data['issues']:,} issues of the fake Redmine (journal "
                 "cache filled)")
        lines += [f"**memory**: {title}, shipped pack; peak RSS of the command, wall time:",
                  "", "| pair (start, load) | old | new | new vs old |", "|---|---|---|---|"]
        for row in rows:
            lines.append(f"| {_load(row)} | {row['old']['rss_mb']} MB, {row['old']['wall']} s "
                         f"| {row['new']['rss_mb']} MB, {row['new']['wall']} s | "
                         f"{row['new']['rss_mb'] / row['old']['rss_mb'] - 1:+.0%} |")
        lines += [(f"| median | {_median([r['old']['rss_mb'] for r in rows]):.0f} MB | "
                  f"{_median([r['new']['rss_mb'] for r in rows]):.0f} MB | |"), ""]
    lines.append(f"Whole run: {results.get('minutes', '?')} min.")
    return "\n".join(lines) + "\n"


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Saved runs of different steps (run side by side, on the same trees) as one."""
    out = dict(runs[0])
    for run in runs[1:]:
        out.update({k: v for k, v in run.items() if k in STEPS})
    out["started"] = min(r["started"] for r in runs)
    out["ended"] = max(r.get("ended", "?") for r in runs)
    out["minutes"] = max(r.get("minutes", 0) for r in runs)
    commits = sorted({r["new"] for r in runs})
    out["new"] = " / ".join(commits)
    return out


def record(text: str) -> None:
    results = BENCH / "RESULTS.md"
    existing = results.read_text(encoding="utf-8")
    results.write_text(existing.rstrip("\n") + "\n\n" + text, encoding="utf-8")


STEPS = {"apply": step_apply, "sla_cold": step_sla_cold, "quiet": step_quiet,
         "memory": step_memory}


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
    parser.add_argument("--cold-pairs", type=int, default=3)
    parser.add_argument("--cold-sample", type=int, default=1,
                        help="cold SLA pass: read the journals of 1 issue in K (estimate the rest)")
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--memory-issues", type=int, default=10_000,
                        help="memory step: fake issues of the first apply")
    parser.add_argument("--memory", default="apply,plan",
                        help="memory step: which of apply (--memory-issues) and plan (--big)")
    parser.add_argument("--offset", type=int, default=0,
                        help="with --state: the first of the open issues the edits pick")
    parser.add_argument("--steps", default="apply,sla_cold,quiet")
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
    sides = {"old": Side("old", args.old.resolve(), args, work),
             "new": Side("new", NEW, args, work)}
    for side in sides.values():
        side.harness.env.update(REDMINE_URL=env["REDMINE_URL"],
                                REDMINE_API_KEY=env["REDMINE_API_KEY"])
    started = time.monotonic()
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
    if (work / "prepared.json").exists():
        say(f"{args.project}: the steady state prepared before in {work} (not seeded again)")
    else:
        say(f"seeding {args.issues:,} issues in {args.project} (skipped when as seeded)")
        admin = Admin(env["REDMINE_URL"], env["REDMINE_LOCAL_ADMIN_KEY"])
        seed(admin, args.project, args.issues)
    try:
        for key in args.steps.split(","):
            results[key] = STEPS[key](args, sides, work, env)
            args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        if not kept:
            shutil.rmtree(work, ignore_errors=True)
    results["ended"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["minutes"] = round((time.monotonic() - started) / 60, 1)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = report(results, args)
    print(text)
    if args.record:
        record(text)
        say("appended to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
