"""End-to-end benchmark on the local Redmine (``make bench-commands``): appends to RESULTS.md.

Seeds N issues into the project ``bench`` of the local Redmine of scripts/redmine-local
(one ``rails runner`` with insert_all), then measures, on the same data, wall time, HTTP
requests (counted at the client) and peak RSS of each command run as a child process:

  (1) raw paging of every issue with requests (100 per page, offset paging): the floor
  (2) the naive python-redmine script: filter(), then get(id, include=journals) per issue
  (3) redmine-sync plan --full with the shipped rule pack
  (4) incremental plan: nothing changed; and after 1 % of the issues changed
  (5) apply of K=50 changes, then the same apply again (must write nothing)
  (6) sla --at-risk with an empty state store (cold journal cache), then right after
  and, without Redmine, an in-process fake Redmine with 100,000 issues for the adapter's
  overhead (LiveRedmine.iter_issues), plan --full's memory over 100,000 issues (the fake
  serves the issues, the local Redmine the rest) and the rule engine's throughput
  (bench/engine.py).

Extra repetitions (up to --repeat, median reported) are planned to fit --budget-minutes;
steps that need an empty state store, and the data preparation, run once. Redmine must be
up: ``scripts/redmine-local up`` (``make bench-commands`` does it). The project's data is
changed by a run (apply, touched issues) and seeded again by the next one (after which
``make bench`` prepares its steady state again).

    .venv/bin/python bench/run.py [--issues 10000] [--repeat 3] [--budget-minutes 15]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import requests  # noqa: TID251 - the benchmark checks the local Redmine directly
import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from fakeredmine import FakeRedmine
from seed import SUBPROJECTS
from seed import Admin
from seed import SeedError
from seed import run_ruby
from seed import seed

RESULTS = BENCH / "RESULTS.md"
K = 50
# A person moves an open issue to a customer of another tier (customers.yaml: strategic
# <-> ordinary, potential <-> stable): the pack writes the new tier on every such issue,
# so K edits make exactly K writes (a swap of Requirement type changed a decision on few).
CUSTOMER_SWAP = {"华信银行": "禾丰餐饮", "禾丰餐饮": "华信银行",
                 "Northwind Logistics": "Tailspin Travel", "Tailspin Travel": "Northwind Logistics",
                 "蓝鲸教育": "东方重工", "东方重工": "蓝鲸教育",
                 "Contoso Health": "Fabrikam Retail", "Fabrikam Retail": "Contoso Health"}
T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.0f}s] {message}", flush=True)


class BenchError(RuntimeError):
    pass


# ---------------------------------------------------------------------------------------
# one measured child process


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    exit: int
    data: dict[str, Any]
    stdout: str = ""

    def requests(self, kind: str = "total") -> int:
        return int(self.data.get("requests", {}).get(kind, 0))


@dataclass
class Step:
    """The runs of one measurement and how to show them."""

    key: str
    num: str
    title: str
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def rss(self) -> float:
        return statistics.median(r.rss_mb for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    def requests(self, kind: str = "total") -> int:
        return int(statistics.median(r.requests(kind) for r in self.runs))


class Harness:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.count = 0
        self.env = dict(os.environ)
        self.env.pop("REDMINE_SYNC_CONFIG", None)

    def probe(self, mode: str, *argv: str, stdout: bool = False,
              env: dict[str, str] | None = None) -> Run:
        self.count += 1
        out = self.work / f"probe-{self.count}.json"
        stdout_path = self.work / f"stdout-{self.count}.txt"
        stderr_path = self.work / f"stderr-{self.count}.txt"
        command = [sys.executable, str(BENCH / "probe.py"), mode, "--out", str(out), *argv]
        with stdout_path.open("wb") as so, stderr_path.open("wb") as se:
            start = time.perf_counter()
            child = subprocess.Popen(command, env={**self.env, **(env or {})}, stdout=so,
                                     stderr=se,
                                     stdin=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if not out.exists():
            tail = stderr_path.read_text(errors="replace")[-2000:]
            raise BenchError(f"{mode} {' '.join(argv)} failed (exit {code}):\n{tail}")
        data = json.loads(out.read_text(encoding="utf-8"))
        text = stdout_path.read_text(encoding="utf-8", errors="replace") if stdout else ""
        # The child's own high-water mark; ru_maxrss also counts this process's memory at
        # the spawn (Linux keeps the mark across exec), so it is only the fallback.
        rss = data.get("peak_rss_mb") or usage.ru_maxrss / 1024
        return Run(wall, usage.ru_utime + usage.ru_stime, rss, code, data, text)

    def cli(self, config: Path, *argv: str, ok: tuple[int, ...] = (0,),
            env: dict[str, str] | None = None) -> Run:
        """``redmine-sync --config CONFIG ARGV``; exit codes other than ``ok`` stop the run."""
        run = self.probe("cli", "--", "--config", str(config), *argv, stdout=True, env=env)
        if run.exit not in ok:
            err = (self.work / f"stderr-{self.count}.txt").read_text(errors="replace")
            raise BenchError(f"redmine-sync {' '.join(argv)} exited {run.exit}:\n{err[-2000:]}")
        return run


def json_tail(text: str) -> dict[str, Any]:
    """The JSON document a command printed (plan/apply --format json)."""
    start = text.find("{")
    if start < 0:
        raise BenchError(f"no JSON in the output: {text[-500:]}")
    data: dict[str, Any] = json.loads(text[start:])
    return data


# ---------------------------------------------------------------------------------------
# planning the repetitions


class Schedule:
    """How many runs each step gets, so that the whole run fits the budget.

    Every step runs at least once. Extra runs (up to --repeat) are handed out in order of
    importance while the estimated total stays within the budget; when a run takes longer
    than planned, later extra runs are dropped.
    """

    ORDER = ("plan_full", "plan_steady", "incr_1pct", "naive", "incr_none", "apply_k",
             "sla_warm", "client", "engine")

    def __init__(self, budget: float, repeat: int, estimates: dict[str, float],
                 fixed: float) -> None:
        self.budget = budget
        self.deadline = T0 + budget
        self.estimates = estimates
        self.reps = dict.fromkeys(estimates, 1)
        total = fixed + sum(estimates.values())
        for _ in range(repeat - 1):
            for key in self.ORDER:
                if key in estimates and total + estimates[key] <= budget:
                    self.reps[key] += 1
                    total += estimates[key]
        self.planned = total

    def runs(self, key: str, remaining: tuple[str, ...], last: float) -> bool:
        """May ``key`` run once more (after a run of ``last`` s)? Keeps time for the rest."""
        reserve = sum(self.estimates.get(k, 0) for k in remaining)
        return time.monotonic() + last + reserve <= self.deadline

    def describe(self) -> str:
        return ", ".join(f"{k} x{v}" for k, v in self.reps.items())


def repeat(schedule: Schedule, key: str, rest: tuple[str, ...], once: Callable[[], Run],
           step: Step) -> Step:
    want = schedule.reps.get(key, 1)
    for index in range(len(step.runs), want):
        if index and not schedule.runs(key, rest, max(step.runs[-1].wall,
                                                      schedule.estimates.get(key, 0))):
            say(f"  (skipping further runs of {key}: keeping time for the remaining steps)")
            break
        run = once()
        step.runs.append(run)
        say(f"  run {index + 1}/{want}: {run.wall:.1f} s, {run.requests()} requests, "
            f"{run.rss_mb:.0f} MB")
    return step


# ---------------------------------------------------------------------------------------
# the benchmark


def local_env() -> dict[str, str]:
    """URL and keys of the local Redmine, from scripts/redmine-local env (never the caller's
    REDMINE_URL: the benchmark writes into the instance's database)."""
    script = ROOT / "scripts" / "redmine-local"
    done = subprocess.run([str(script), "env"], capture_output=True, text=True, check=False)
    found = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines()
                 if line.startswith("export ") and "=" in line)
    names = ("REDMINE_URL", "REDMINE_API_KEY", "REDMINE_LOCAL_ADMIN_KEY")
    if done.returncode != 0 or not all(found.get(n) for n in names):
        raise BenchError("the local Redmine is not set up: run scripts/redmine-local up "
                         f"(make bench does). {done.stderr.strip()}")
    env = {n: found[n].strip("'\"") for n in names}
    try:
        answer = requests.get(f"{env['REDMINE_URL']}/users/current.json", timeout=10,
                              headers={"X-Redmine-API-Key": env["REDMINE_API_KEY"]})
    except requests.RequestException as exc:
        raise BenchError(f"the local Redmine at {env['REDMINE_URL']} does not answer ({exc}): "
                         "run scripts/redmine-local up (make bench does)") from None
    if answer.status_code != 200:
        raise BenchError(f"the local Redmine at {env['REDMINE_URL']} answered HTTP "
                         f"{answer.status_code} to the bot's key: run scripts/redmine-local up")
    return env


def write_config(path: Path, state: Path, project: str, write_cap: int | None = None,
                 root: Path = ROOT) -> Path:
    """A config for the benchmark project from ``root``'s example and rule pack."""
    config = yaml.safe_load((root / "config.example.yaml").read_text(encoding="utf-8"))
    # the subprojects are listed: the tool manages only the projects it is given
    config["projects"] = [project, *(f"{project}-{suffix}" for suffix, _, _ in SUBPROJECTS)]
    config["state"] = {"path": str(state)}
    config["rules_dir"] = str(root / "rules")
    config.setdefault("reports", {})["project"] = project
    if write_cap is not None:
        config["limits"]["write_cap"] = write_cap
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def journal_read_seconds(env: dict[str, str], project: str) -> float:
    """Time of one GET /issues/N.json?include=journals (20 reads): for the schedule."""
    session = requests.Session()
    session.headers["X-Redmine-API-Key"] = env["REDMINE_API_KEY"]
    url = env["REDMINE_URL"]
    ids = [i["id"] for i in session.get(f"{url}/issues.json", params={
        "project_id": project, "status_id": "*", "limit": 20}, timeout=60).json()["issues"]]
    start = time.perf_counter()
    for issue_id in ids:
        session.get(f"{url}/issues/{issue_id}.json", params={"include": "journals"},
                    timeout=60).raise_for_status()
    return (time.perf_counter() - start) / max(len(ids), 1)


def prefill_journals(state: Path, fake: FakeRedmine) -> None:
    """The fake's issues have no journals: store that, as a warm SLA cache would."""
    from redmine_sync.store import StateStore

    store = StateStore(state)
    try:
        with store.transaction():
            for n in range(1, fake.catalogue.count + 1):
                store.cache_journals(n, fake.catalogue.updated_on(n), ())
    finally:
        store.close()


def mutate(project: str, **payload: Any) -> dict[str, Any]:
    return run_ruby(BENCH / "mutate.rb", {"project": project, **payload})


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    project, n = args.project, args.issues
    results: dict[str, Any] = {"steps": {}, "info": {}}
    steps: dict[str, Step] = results["steps"]
    info: dict[str, Any] = results["info"]

    info["started"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    info["commit"] = commit()
    info["machine"] = machine()
    say("checking the local Redmine (scripts/redmine-local env)")
    env = local_env()
    harness = Harness(args, work)
    harness.env.update(REDMINE_URL=env["REDMINE_URL"], REDMINE_API_KEY=env["REDMINE_API_KEY"])
    info["url"] = env["REDMINE_URL"]
    admin = Admin(env["REDMINE_URL"], env["REDMINE_LOCAL_ADMIN_KEY"])

    say(f"seeding: project {project} with {n:,} issues (skipped when already as seeded)")
    seeded = seed(admin, project, n, force=args.reseed)
    info["seed"] = seeded
    if seeded["skipped"]:
        say("  already seeded; skipped")
    else:
        say(f"  seeded in {seeded['total_seconds']:.1f} s: {seeded['issues']:,} issues, "
            f"{seeded['custom_values']:,} custom values, {seeded['journals']:,} journals "
            f"(insert_all {seeded['seconds']:.1f} s in one rails runner)")

    say("(1) raw paging with requests, first run (calibrates the schedule)")
    raw = Step("raw", "(1)", "raw paging: requests, 100/page, offset, no processing")
    raw.runs.append(harness.probe("raw", "--project", project))
    say(f"  run 1: {raw.runs[0].wall:.1f} s, {raw.runs[0].requests()} requests")
    page_pass = raw.runs[0].wall
    journal = journal_read_seconds(env, project)
    info["journal_read_seconds"] = journal
    engine_s = n / 1000  # CPU of a cold evaluation on this data, about 1 ms per issue
    naive_reads = n if page_pass + n * journal <= args.naive_budget else n / 10
    estimates = {  # seconds per run, from the first raw run and a journal read
        "naive": page_pass + naive_reads * journal,
        "sla_cold": page_pass + n * journal + 5, "sla_warm": page_pass + 2,
        "plan_full": 2 * page_pass + engine_s, "prime": page_pass + engine_s + 20,
        "settle": 15, "plan_steady": 2 * page_pass + 2,
        "incr_none": 4, "incr_1pct": 6 + n / 100 * journal,
        "apply_k": 6 + 2 * (4 + K * 4 * journal),
        "client": 6 * args.client_issues / 100_000, "engine": 1.4 * min(n, 10_000) / 1000,
        "plan_100k": 15 + 0.8 * args.client_issues / 1000,  # with the held-issues run
    }
    schedule = Schedule(args.budget_minutes * 60, args.repeat,
                        estimates, fixed=time.monotonic() - T0)
    info["schedule"] = schedule.describe()
    say(f"  schedule (runs per step, planned {schedule.planned / 60:.1f} min of "
        f"{args.budget_minutes:g}): {schedule.describe()}")

    later = ("naive", "sla_cold", "sla_warm", "plan_full", "prime", "settle", "plan_steady",
             "incr_none", "incr_1pct", "apply_k", "client", "plan_100k", "engine")

    def after(key: str) -> tuple[str, ...]:
        return later[later.index(key) + 1:]

    steps["raw"] = raw  # more raw runs below, each right before a plan --full run

    def paired(key: str) -> Callable[[], Run]:
        """Raw paging, then plan --full: a ratio from two runs a few seconds apart, so that
        the machine's drift over the whole benchmark does not enter it."""
        def once() -> Run:
            base = harness.probe("raw", "--project", project)
            raw.runs.append(base)
            run = harness.cli(config, "plan", "--full", "--format", "json")
            info.setdefault(f"{key}_pairs", []).append([base.wall, run.wall])
            say(f"  raw paging right before: {base.wall:.1f} s (ratio {run.wall / base.wall:.2f})")
            return run
        return once

    say("(2) the naive python-redmine script")
    steps["naive"] = repeat(schedule, "naive", after("naive"), lambda: harness.probe(
        "naive", "--project", project, "--budget", str(args.naive_budget)),
        Step("naive", "(2)", "naive python-redmine: filter + get(include=journals) each"))

    state = work / "state.db"
    config = write_config(work / "config.yaml", state, project)

    say("(6) sla --at-risk, empty state store (cold journal cache)")
    cold = harness.cli(config, "sla", "--at-risk")
    steps["sla_cold"] = Step("sla_cold", "(6)", "sla --at-risk, empty state store", [cold])
    say(f"  {cold.wall:.1f} s, {cold.requests()} requests "
        f"({cold.requests('journal_reads')} journal reads)")
    say("(6) sla --at-risk right after (warm journal cache)")
    steps["sla_warm"] = repeat(schedule, "sla_warm", after("sla_warm"), lambda: harness.cli(
        config, "sla", "--at-risk"), Step("sla_warm", "(6)", "sla --at-risk, right after"))

    say("(3) plan --full (state store filled by the sla runs)")
    steps["plan_full"] = repeat(schedule, "plan_full", after("plan_full"),
                                paired("plan_full"),
                                Step("plan_full", "(3)", "plan --full, shipped pack"))
    info["plan_full"] = json_tail(steps["plan_full"].runs[-1].stdout)["summary"]

    say("preparing the steady state: the tool's own apply, writes stored by one runner")
    prime_out = work / "prime.json"
    prime_config = write_config(work / "prime.yaml", state, project, write_cap=10**9)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(BENCH / "prime.py"), "--config",
                           str(prime_config), "--out", str(prime_out)], env=harness.env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"bench/prime.py failed:\n{done.stderr[-3000:]}")
    info["prime"] = json.loads(prime_out.read_text(encoding="utf-8"))
    info["prime"]["seconds"] = time.perf_counter() - start
    say(f"  {info['prime']['writes']:,} issues written, {info['prime']['relations']:,} "
        f"relations, in {info['prime']['seconds']:.0f} s")

    settle = []
    for _ in range(4):  # the pack's own churn (see RESULTS.md): until nothing is written
        run = harness.cli(config, "apply", "--yes", "--format", "json")
        written = json_tail(run.stdout)["summary"]["written"]
        settle.append({"written": written, "seconds": round(run.wall, 1),
                       "requests": run.requests(), "puts": run.requests("issue_writes")})
        say(f"  settling apply: {written} written, {run.wall:.1f} s, {run.requests()} requests")
        if written == 0:
            break
    info["settle"] = settle

    say("(3) plan --full again, in the steady state (after apply)")
    steps["plan_steady"] = repeat(
        schedule, "plan_steady", after("plan_steady"), paired("plan_steady"),
        Step("plan_steady", "(3)", "plan --full, steady state (after apply)"))
    info["plan_steady"] = json_tail(steps["plan_steady"].runs[-1].stdout)["summary"]

    say("(4) incremental plan, nothing changed")
    steps["incr_none"] = repeat(schedule, "incr_none", after("incr_none"), lambda: harness.cli(
        config, "plan", "--format", "json"),
        Step("incr_none", "(4)", "incremental plan, nothing changed"))
    info["incr_none"] = json_tail(steps["incr_none"].runs[-1].stdout)["summary"]

    say(f"(4) incremental plan after 1 % of the issues changed ({n // 100:,} issues touched)")

    def touched_plan() -> Run:
        mutate(project, touch={"every": 100, "at": now_iso()})
        return harness.cli(config, "plan", "--format", "json")

    steps["incr_1pct"] = repeat(schedule, "incr_1pct", after("incr_1pct"), touched_plan,
                                Step("incr_1pct", "(4)", "incremental plan, 1 % changed"))
    info["incr_1pct"] = json_tail(steps["incr_1pct"].runs[-1].stdout)["summary"]
    run = harness.cli(config, "apply", "--yes", "--format", "json")
    info["settle_after_touch"] = {"written": json_tail(run.stdout)["summary"]["written"],
                                  "seconds": round(run.wall, 1), "requests": run.requests()}

    say(f"(5) apply of K={K} changes (a person moves {K} open issues to a customer of another "
        "tier), "
        "then the same apply again")
    apply_k = Step("apply_k", "(5)", f"apply --yes --max-changes {K}, {K} issues changed")
    rerun = Step("apply_again", "(5)", "the same apply again")
    reruns = []
    for index in range(schedule.reps["apply_k"]):
        if index and not schedule.runs("apply_k", after("apply_k"), 2 * apply_k.runs[-1].wall):
            say("  (skipping further runs of apply_k: keeping time for the remaining steps)")
            break
        edited = mutate(project, edit={"field": "Customer", "map": CUSTOMER_SWAP,
                                       "count": K, "offset": index * K, "at": now_iso()})
        argv = ("apply", "--yes", "--max-changes", str(K), "--format", "json")
        first = harness.cli(config, *argv)
        again = harness.cli(config, *argv)
        apply_k.runs.append(first)
        rerun.runs.append(again)
        summary = json_tail(first.stdout)["summary"]
        reruns.append({"edited": len(edited.get("edited", [])), "first": summary,
                       "again": json_tail(again.stdout)["summary"]})
        say(f"  run {index + 1}: {summary['written']} written in {first.wall:.1f} s, "
            f"{first.requests()} requests ({first.requests('issue_writes')} PUTs); again: "
            f"{again.requests('issue_writes')} PUTs, {again.requests()} requests")
    steps["apply_k"], steps["apply_again"] = apply_k, rerun
    info["apply_k"] = reruns
    if args.state_out:  # the steady state, for bench/compare.py --state
        shutil.copy(state, args.state_out)

    say(f"part 2 without Redmine: fake Redmine with {args.client_issues:,} issues")
    with FakeRedmine(args.client_issues, project, upstream=env["REDMINE_URL"]) as fake:
        steps["client"] = repeat(schedule, "client", after("client"), lambda: harness.probe(
            "client", "--url", fake.url, "--project", project),
            Step("client", "", f"LiveRedmine.iter_issues over {args.client_issues:,} issues "
                 "(streamed)"))
        held = harness.probe("client", "--url", fake.url, "--project", project, "--hold")
        steps["client_held"] = Step(
            "client_held", "", f"the same, every Issue object kept (as sync.read_snapshot "
            f"does with {args.client_issues:,} issues)", [held])
        say(f"  held: {held.wall:.1f} s, {held.rss_mb:.0f} MB")
        say(f"  plan --full over the {args.client_issues:,} issues (everything else from the "
            "local Redmine; journal cache filled: none of these issues has journals)")
        config = write_config(work / "config-fake.yaml", work / "state-fake.db", project)
        prefill_journals(work / "state-fake.db", fake)
        big = harness.cli(config, "plan", "--full", "--format", "json",
                          env={"REDMINE_URL": fake.url})
        steps["plan_100k"] = Step("plan_100k", "", f"redmine-sync plan --full, shipped pack, "
                                  f"{args.client_issues:,} issues", [big])
        info["plan_100k"] = json_tail(big.stdout)["summary"]
        big.stdout = ""
        say(f"  plan --full: {big.wall:.1f} s, {big.rss_mb:.0f} MB, "
            f"{info['plan_100k']['issues_changed']:,} would change")
    engine_issues = min(n, 10_000)
    say(f"rule engine throughput (bench/engine.py measure(), {engine_issues:,} issues)")
    engine = harness.probe("engine", "--issues", str(engine_issues), "--repeat",
                           str(schedule.reps["engine"]))
    steps["engine"] = Step("engine", "", "rules engine, shipped pack (bench/engine.py)", [engine])
    return results


# ---------------------------------------------------------------------------------------
# the report


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.machine()}, {os.cpu_count()} cores{', ' + model if model else ''}, "
            f"Python {platform.python_version()}")


def commit() -> str:
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "redmine_sync", "rules")
    return head + (" + uncommitted changes" if dirty else "")


def fmt_s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def kinds(run: Run) -> str:
    names = {"issue_pages": ("page", "pages"),
             "journal_reads": ("issue read with journals", "issue reads with journals"),
             "issue_reads": ("issue read", "issue reads"), "issue_writes": ("PUT", "PUTs"),
             "relation_reads": ("relation read", "relation reads"),
             "relation_writes": ("relation POST", "relation POSTs"),
             "other_reads": ("other GET", "other GETs"),
             "other_writes": ("other write", "other writes")}
    found = run.data.get("requests", {})
    return ", ".join(f"{found[k]:,} {names[k][found[k] > 1]}" for k in names if found.get(k))


def pairs(values: list[list[float]]) -> str:
    """Each plan run with the raw paging run right before it."""
    return "; ".join(f"{fmt_s(p)} vs {fmt_s(r)}" for r, p in values)


def verdict(ok: bool, why: str) -> str:
    return f"{'met' if ok else '**NOT met**'}: {why}"


def report(args: argparse.Namespace, results: dict[str, Any], total: float) -> str:
    steps: dict[str, Step] = results["steps"]
    info = results["info"]
    n = args.issues
    raw = steps["raw"]
    naive = steps["naive"]
    naive_run = naive.runs[-1].data
    sampled = bool(naive_run.get("sampled"))
    naive_time = statistics.median(r.data["estimated_seconds"] for r in naive.runs) \
        if sampled else naive.wall
    naive_requests = int(naive_run["estimated_requests"]) if sampled else naive.requests()
    lines = [
        f"### {info['started']} UTC, commit {info['commit']}",
        "",
        (f"Machine: {info['machine']}. Redmine 5.0 of scripts/redmine-local (Debian packages, "
        f"SQLite, thin, same machine). N = {n:,} issues in project `{args.project}`. "
        f"Whole run: {total / 60:.1f} min; runs per step: {info['schedule']}."),
        "",
    ]
    seed_info = info["seed"]
    if seed_info["skipped"]:
        lines.append("Seeding: skipped (the project already held the seeded issues).")
    else:
        lines.append(
            f"Seeding: {fmt_s(seed_info['total_seconds'])} for {seed_info['issues']:,} issues, "
            f"{seed_info['custom_values']:,} custom values, {seed_info['journals']:,} journals "
            f"and {seed_info['journal_details']:,} journal details (generation "
            f"{seed_info['generate_seconds']:.1f} s, one `rails runner` of bench/seed.rb "
            f"{seed_info['runner_seconds']:.1f} s, of which insert_all "
            f"{seed_info['seconds']:.1f} s).")
    prime = info["prime"]
    settle = ", ".join(f"{s['written']}" for s in info["settle"])
    lines += [
        "",
        (f"Steady state for (4) and (5): the tool's own apply_run planned "
         f"{prime['planned_issues']:,} changed issues; their writes were stored by one runner "
         f"({fmt_s(prime['seconds'])}, bench/prime.py) instead of {prime['writes']:,} PUTs; "
         f"then real `apply` runs wrote {settle} issues until nothing was left."),
        "",
        ("| # | measurement | runs | time (median) | HTTP requests | kinds | peak RSS "
        "| time vs (1) | requests vs (1) |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def row(step: Step, time_s: float | None = None, req: int | None = None,
            extra: str = "", what: str | None = None, ratio: float | None = None) -> None:
        t = step.wall if time_s is None else time_s
        r = step.requests() if req is None else req
        shown = f"{t / raw.wall:.2f}x" if ratio is None else f"{ratio:.2f}x (paired)"
        lines.append(
            f"| {step.num} | {step.title}{extra} | {len(step.runs)} | {fmt_s(t)} | {r:,} "
            f"| {what or kinds(step.runs[-1])} | {step.rss:.0f} MB | {shown} "
            f"| {r / max(raw.requests(), 1):.2f}x |")

    def pair_ratio(key: str) -> float:
        """Median ratio of each plan run to the raw paging run right before it."""
        return statistics.median(p / r for r, p in info[f"{key}_pairs"])

    row(raw)
    row(naive, naive_time, naive_requests,
        f" (estimated from a 10 % sample: {naive_run['read']:,} of {naive_run['issues']:,} "
        f"issues read; measured {fmt_s(naive.wall)})" if sampled else "",
        f"{naive_run['pages']:,} pages, {naive_run['issues']:,} journal reads (estimated)"
        if sampled else None)
    row(steps["plan_full"], extra=f" ({info['plan_full']['issues_changed']:,} issues would "
        f"change; {steps['plan_full'].cpu:.0f} s CPU in the tool)", ratio=pair_ratio("plan_full"))
    row(steps["plan_steady"], extra=f" ({info['plan_steady']['issues_changed']:,} would "
        f"change; {steps['plan_steady'].cpu:.0f} s CPU in the tool)",
        ratio=pair_ratio("plan_steady"))
    row(steps["incr_none"], extra=f" ({info['incr_none']['issues_evaluated']:,} open issues "
        f"evaluated, {info['incr_none']['issues_changed']} would change)")
    row(steps["incr_1pct"], extra=f" ({info['incr_1pct']['issues_changed']} would change)")
    row(steps["apply_k"])
    row(steps["apply_again"])
    row(steps["sla_cold"])
    row(steps["sla_warm"])
    client, held, engine = steps["client"], steps["client_held"], steps["engine"]
    big = steps["plan_100k"]
    lines += [
        "",
        ("Without Redmine (a fake Redmine on 127.0.0.1 in the harness process, issue pages "
         "generated on the fly; for plan --full, the rest comes from the local Redmine):"),
        "",
        "| measurement | runs | time (median) | CPU (median) | requests | peak RSS |",
        "|---|---|---|---|---|---|",
        (f"| {client.title} | {len(client.runs)} | {fmt_s(client.wall)} | {client.cpu:.1f} s "
        f"| {client.requests():,} | {client.rss:.0f} MB |"),
        (f"| {held.title} | 1 | {fmt_s(held.wall)} | {held.cpu:.1f} s | {held.requests():,} "
        f"| {held.rss:.0f} MB |"),
        (f"| {big.title} ({info['plan_100k']['issues_changed']:,} would change; statuses, "
         f"fields and members from the local Redmine) | 1 | {fmt_s(big.wall)} | "
         f"{big.cpu:.1f} s | {big.requests():,} | {big.rss:.0f} MB |"),
    ]
    engine_data = engine.runs[0].data
    rates = []
    for what, figures in engine_data["results"].items():
        rate = engine_data["issues"] / figures["cpu_seconds"]
        rates.append((what, rate))
        lines.append(f"| rules engine, {what}, {engine_data['issues']:,} issues "
                     f"({figures['changed']:,} with changes): **{rate:,.0f} issues/s** "
                     f"| {engine_data['repeat']} | | {figures['cpu_seconds']:.2f} s | 0 "
                     f"| {engine.rss:.0f} MB |")

    # targets
    plan = steps["plan_full"]
    ratio, steady_ratio = pair_ratio("plan_full"), pair_ratio("plan_steady")
    steady = steps["plan_steady"]
    none = steps["incr_none"]
    incr = steps["incr_1pct"]
    apply_k, again = steps["apply_k"], steps["apply_again"]
    per_run = [(run.requests("issue_writes"), int(x["first"]["written"]), run.requests())
               for run, x in zip(apply_k.runs, info["apply_k"], strict=True)]
    one_write = all(put == wrote for put, wrote, _ in per_run)
    per_issue = statistics.median(total / max(wrote, 1) for _, wrote, total in per_run)
    writes = "; ".join(f"{put} PUTs for {wrote} issues written" for put, wrote, _ in per_run)
    again_puts = max(r.requests("issue_writes") for r in again.runs)
    again_written = max(int(x["again"]["written"]) for x in info["apply_k"])
    warm = steps["sla_warm"]
    cold = steps["sla_cold"]
    req_ratio = naive_requests / max(incr.requests(), 1)
    time_ratio = naive_time / incr.wall
    lines += [
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| plan --full within 1.15x raw paging: fresh data (first pass) | {ratio:.2f}x "
        f"({pairs(info['plan_full_pairs'])}) | " + verdict(
            ratio <= 1.15, f"the same pages ({plan.requests('issue_pages')} vs "
            f"{raw.requests('issue_pages')}), plus {plan.cpu:.0f} s CPU in the tool (raw "
            f"paging: {raw.cpu:.1f} s): the first pass screens every issue") + " |",
        f"| plan --full within 1.15x raw paging: steady state (after apply) "
        f"| {steady_ratio:.2f}x ({pairs(info['plan_steady_pairs'])}) | " + verdict(
            steady_ratio <= 1.15, f"{steady.requests('issue_pages')} pages, {steady.cpu:.0f} s "
            "CPU in the tool: nothing left to screen") + " |",
        f"| no-change incremental plan: at most 3 HTTP requests | {none.requests()} | "
        + verdict(none.requests() <= 3, kinds(none.runs[-1]) or "none") + " |",
        f"| apply: one write per changed issue | {writes} (each run); {per_issue:.1f} "
        "requests per written issue | " + verdict(
            one_write, f"{kinds(apply_k.runs[-1])}: per written issue one read "
            "right before the write (a person's edit since the plan was read is not "
            "overwritten; the workflow's allowed statuses), the PUT, and its verification "
            "read, which brings the journals for the SLA cache; the other reads with "
            "journals are those of the issues that changed") + " |",
        f"| apply again: zero writes | {again_puts} PUTs, {again_written} written | "
        + verdict(again_puts == 0 and again_written == 0,
                  f"{again.runs[-1].requests()} requests in the last run: "
                  f"{kinds(again.runs[-1])}") + " |",
        f"| SLA with a warm journal cache: zero journal requests | "
        f"{warm.requests('journal_reads')} (cold: {cold.requests('journal_reads'):,}) | "
        + verdict(warm.requests("journal_reads") == 0,
                  f"warm {fmt_s(warm.wall)}: {kinds(warm.runs[-1])}; cold "
                  f"{fmt_s(cold.wall)}: a journal read for every issue, open or closed") + " |",
        f"| vs the naive script, incremental run (1 % changed): 10x fewer requests | "
        f"{req_ratio:,.0f}x ({naive_requests:,} vs {incr.requests():,}) | "
        + verdict(req_ratio >= 10, f"incremental: {kinds(incr.runs[-1])}") + " |",
        f"| vs the naive script, incremental run (1 % changed): 5x less time | "
        f"{time_ratio:,.1f}x ({fmt_s(naive_time)} vs {fmt_s(incr.wall)}) | "
        + verdict(time_ratio >= 5, f"incremental run: {incr.cpu:.1f} s CPU in the tool"
                  + (" (naive time extrapolated from a 10 % sample)" if sampled else ""))
        + " |",
        f"| adapter over {args.client_issues:,} issues: peak RSS < 250 MB | "
        f"{client.rss:.0f} MB streaming; {held.rss:.0f} MB holding all | "
        + verdict(client.rss < 250, f"iter_issues streams pages ({client.cpu:.1f} s CPU); "
                  f"holding every Issue as read_snapshot does: {held.rss:.0f} MB") + " |",
        f"| plan --full over {args.client_issues:,} issues: peak RSS < 250 MB | "
        f"{big.rss:.0f} MB | " + verdict(
            big.rss < 250, f"{info['plan_100k']['issues_changed']:,} of "
            f"{args.client_issues:,} issues would change (a first pass over issues never "
            "triaged); the issues themselves and the duplicate index over the open ones "
            "stay in memory for the whole pass") + " |",
    ]
    for what, rate in rates:
        why = ("every issue is new: each is tokenized, indexed and searched for duplicates, "
               "and every rule and note applies to it (about 0.2 ms per issue in all)"
               if what.startswith("cold") else "issues screened before are not screened again")
        lines.append(f"| rules engine, {what}: 20,000 issues/s per core | {rate:,.0f}/s | "
                     + verdict(rate >= 20_000, why) + " |")
    return "\n".join(lines) + "\n"


SECTION = """
## End-to-end (`make bench`, `bench/run.py`)

Each run appends a dated table. The local Redmine runs on the same 2-core machine as the
client, so every wall time includes Redmine's own work; requests are counted at the client
(`requests.Session.send`), peak RSS is that of the measured child process. "Where the
targets stand", at the top of this file, says what the latest figures mean and what would
fix each target that is not met.
"""


def append(text: str) -> None:
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if "## End-to-end (`make bench`" not in existing:
        existing = existing.rstrip("\n") + "\n" + SECTION
    RESULTS.write_text(existing.rstrip("\n") + "\n\n" + text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000, help="issues in the project")
    parser.add_argument("--project", default="bench", help="project identifier")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step at most")
    parser.add_argument("--budget-minutes", type=float, default=15.0,
                        help="time for the whole run; extra runs are dropped to fit")
    parser.add_argument("--naive-budget", type=float, default=180.0,
                        help="seconds per naive run above which it reads a 10 %% sample")
    parser.add_argument("--client-issues", type=int, default=100_000)
    parser.add_argument("--reseed", action="store_true", help="seed even if already seeded")
    parser.add_argument("--state-out", type=Path,
                        help="copy the state store, in the steady state after (5), to this file")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (configs, state store, every output)")
    parser.add_argument("--report", metavar="RESULTS_JSON", type=Path,
                        help="only print the report of a kept run (its results.json)")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        print(report(argparse.Namespace(**saved["args"]), load_results(saved), saved["total"]))
        return 0
    work = Path(tempfile.mkdtemp(prefix="redmine-sync-bench-"))
    try:
        results = run_all(args, work)
        total = time.monotonic() - T0
        (work / "results.json").write_text(json.dumps(
            {"total": total, "args": {k: v for k, v in vars(args).items() if k != "report"},
             "info": results["info"],
             "steps": {k: asdict(v) for k, v in results["steps"].items()}},
            indent=1, default=str), encoding="utf-8")
        text = report(args, results, total)
    except (BenchError, SeedError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(text)
    if not args.no_record:
        append(text)
        say(f"appended to {RESULTS.relative_to(ROOT)}")
    return 0


def load_results(saved: dict[str, Any]) -> dict[str, Any]:
    steps = {key: Step(value["key"], value["num"], value["title"],
                       [Run(**run) for run in value["runs"]])
             for key, value in saved["steps"].items()}
    return {"steps": steps, "info": saved["info"]}


if __name__ == "__main__":
    sys.exit(main())
