"""The state store: one SQLite file, versioned schema, atomic transactions, a writer lock.

It holds the sync cursor, a cache of the issues in scope (so an incremental run reads only
what changed), runs, the audit ledger of every change, what the tool set (so people win),
write intents (so a run killed mid-write is recovered, and a decision's second note is sent
exactly once) and round-robin pointers. It never
holds the API key.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

from redmine_sync import shared
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import JournalDetail
from redmine_sync.model import Ref
from redmine_sync.model import Relation
from redmine_sync.model import User

SCHEMA_VERSION = 12


class LockHeld(UserError):
    """Another writer (CLI apply or the daemon) holds the lock."""


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the current transaction (executescript would commit)."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _script(db, """
        CREATE TABLE cursor (scope TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT, mode TEXT NOT NULL, started TEXT NOT NULL,
            finished TEXT, status TEXT NOT NULL DEFAULT 'running', planned INTEGER DEFAULT 0,
            written INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,
            message TEXT DEFAULT '');
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL REFERENCES runs(id),
            ts TEXT NOT NULL, issue_id INTEGER NOT NULL, field TEXT NOT NULL, old TEXT,
            new TEXT, rule TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT DEFAULT '');
        CREATE INDEX audit_run ON audit(run_id);
        CREATE TABLE owned (
            issue_id INTEGER NOT NULL, field TEXT NOT NULL, value TEXT, run_id INTEGER,
            PRIMARY KEY (issue_id, field));
        CREATE TABLE intents (
            issue_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, changes TEXT NOT NULL,
            note TEXT);
        CREATE TABLE issues (
            id INTEGER PRIMARY KEY, updated_on TEXT NOT NULL, data TEXT NOT NULL,
            tool_updated_on TEXT, activity_on TEXT);
        CREATE TABLE pointers (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """)


def _v2(db: sqlite3.Connection) -> None:
    """SLA: journals cached per issue version, thresholds already fired."""
    _script(db, """
        CREATE TABLE journals (issue_id INTEGER PRIMARY KEY, updated_on TEXT NOT NULL,
                               data TEXT NOT NULL);
        CREATE TABLE sla_fired (issue_id INTEGER NOT NULL, policy TEXT NOT NULL,
                                mark TEXT NOT NULL, run_id INTEGER,
                                PRIMARY KEY (issue_id, policy, mark))
    """)


def _v3(db: sqlite3.Connection) -> None:
    """Reports: what the tool published last (to notice edits by people), periods done."""
    _script(db, """
        CREATE TABLE published (project TEXT NOT NULL, title TEXT NOT NULL COLLATE NOCASE,
                                version INTEGER NOT NULL, report TEXT NOT NULL,
                                period TEXT NOT NULL, PRIMARY KEY (project, title));
        CREATE TABLE report_periods (report TEXT NOT NULL, period TEXT NOT NULL,
                                     title TEXT NOT NULL, PRIMARY KEY (report, period))
    """)


def _v4(db: sqlite3.Connection) -> None:
    """Lookups that rarely change (closed statuses, group members, staff), kept for a while."""
    _script(db, "CREATE TABLE lookups (name TEXT PRIMARY KEY, value TEXT NOT NULL, "
                "saved TEXT NOT NULL)")


def _v5(db: sqlite3.Connection) -> None:
    """Writes: what a pending decision's note already said (so a retry sends the fields
    only), and failures that will not change by themselves (reported once, not retried)."""
    _script(db, """
        CREATE TABLE notes_sent (issue_id INTEGER NOT NULL, item TEXT NOT NULL,
                                 run_id INTEGER NOT NULL, PRIMARY KEY (issue_id, item));
        CREATE TABLE held_failures (issue_id INTEGER PRIMARY KEY, updated_on TEXT NOT NULL,
                                    reason TEXT NOT NULL, run_id INTEGER NOT NULL)
    """)


def _v6(db: sqlite3.Connection) -> None:
    """Reports: a digest of the figures of each published page (its text without the "as
    of" time), so unchanged figures are not published again."""
    _script(db, "ALTER TABLE published ADD COLUMN figures TEXT")


def _v7(db: sqlite3.Connection) -> None:
    """SLA: the verdict of each stopped clock as first seen (see sla_verdict.py)."""
    _script(db, """
        CREATE TABLE sla_verdicts (issue_id INTEGER NOT NULL, policy TEXT NOT NULL,
                                   metric TEXT NOT NULL, cycle INTEGER NOT NULL,
                                   stopped TEXT NOT NULL, target REAL, breached INTEGER NOT NULL,
                                   breached_at TEXT, fingerprint TEXT NOT NULL,
                                   PRIMARY KEY (issue_id, policy, metric, cycle))
    """)


def _v8(db: sqlite3.Connection) -> None:
    """Changes: a relation in the ledger, the write intents and what the tool set is kept as
    {"relation": type, "issue": id} (``changes.Link``), no longer as "duplicates #12"; and
    what ``undo`` put back, which later runs keep (``undone``)."""
    _script(db, "CREATE TABLE undone (issue_id INTEGER NOT NULL, field TEXT NOT NULL, "
                "value TEXT, run_id INTEGER NOT NULL, PRIMARY KEY (issue_id, field))")
    for table, column in (("audit", "old"), ("audit", "new"), ("owned", "value")):
        rows = db.execute(f"SELECT rowid, {column} FROM {table} WHERE field = 'relation'")
        for rowid, text in rows.fetchall():
            db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                       (json.dumps(_link(_load(text))), rowid))
    for issue_id, text in db.execute("SELECT issue_id, changes FROM intents").fetchall():
        changes = json.loads(text)
        if "relation" in changes:
            changes["relation"] = _link(changes["relation"])
            db.execute("UPDATE intents SET changes = ? WHERE issue_id = ?",
                       (json.dumps(changes, ensure_ascii=False), issue_id))


def _link(value: object) -> object:
    """A relation as schema 7 kept it ("duplicates #12") as schema 8 keeps it."""
    kind, _, other = str(value).partition(" #") if isinstance(value, str) else ("", "", "")
    if kind and other.isdigit():
        return {"relation": kind, "issue": int(other)}
    return value


def _v9(db: sqlite3.Connection) -> None:
    """SLA: each open issue's next threshold instant (wakes.py): NULL none ahead, '' due
    now; and the basis (rules, fields, staff) the instants were computed on."""
    _script(db, """
        CREATE TABLE sla_wakes (issue_id INTEGER PRIMARY KEY, wake TEXT);
        CREATE INDEX sla_wakes_by_wake ON sla_wakes (wake);
        CREATE TABLE sla_wake_basis (key TEXT NOT NULL);
    """)


def _v10(db: sqlite3.Connection) -> None:
    """SLA: each open issue's tier and SLA state as last evaluated (the metrics' gauges)."""
    _script(db, "CREATE TABLE sla_states (issue_id INTEGER PRIMARY KEY, tier TEXT NOT NULL, "
                "state TEXT NOT NULL);")


def _v11(db: sqlite3.Connection) -> None:
    """A decision's further notes (the private one beside a public one), each due in a
    write of its own after the decision's first write: ``seen`` is the newest journal
    before that write (a note after it with the same text went out already)."""
    _script(db, """
        CREATE TABLE notes_due (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, issue_id INTEGER NOT NULL,
            run_id INTEGER NOT NULL, seen INTEGER NOT NULL, text TEXT NOT NULL,
            private INTEGER NOT NULL, rules TEXT NOT NULL, items TEXT NOT NULL);
    """)


def _v12(db: sqlite3.Connection) -> None:
    """Each issue's identity: its id and ``created_on``. A Redmine rebuilt or restored
    behind the same URL gives an id to another issue; what the store holds of the id
    belongs to the issue that had it (see ``StateStore.reissued``). Known from the cache.
    ``meta`` (made by ``bind`` until now) also keeps the bot's account (``rebuilt``)."""
    _script(db, """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE identities (issue_id INTEGER PRIMARY KEY, created_on TEXT NOT NULL);
        INSERT INTO identities SELECT id, json_extract(data, '$.created_on') FROM issues
            WHERE json_extract(data, '$.created_on') IS NOT NULL
    """)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11, _v12)

# What the store holds of one issue, by table and the column holding the issue's id: all
# of it describes the issue that had the id (the audit ledger is history, and stays).
ISSUE_TABLES: tuple[tuple[str, str], ...] = (
    ("issues", "id"), ("journals", "issue_id"), ("owned", "issue_id"),
    ("undone", "issue_id"), ("intents", "issue_id"), ("notes_sent", "issue_id"),
    ("notes_due", "issue_id"), ("held_failures", "issue_id"), ("sla_fired", "issue_id"),
    ("sla_verdicts", "issue_id"), ("sla_wakes", "issue_id"), ("sla_states", "issue_id"))
# What else describes one Redmine instance (the runs, the ledger and the round-robin
# pointers are the tool's own history, and stay).
INSTANCE_TABLES = ("identities", "cursor", "lookups", "sla_wake_basis", "published",
                   "report_periods")


@dataclass(frozen=True)
class RunRow:
    id: int
    mode: str
    started: str
    finished: str | None
    status: str
    planned: int
    written: int
    skipped: int
    failed: int
    message: str


@dataclass(frozen=True)
class DueNote:
    """A note of a decision still to go out in a write of its own (``notes_due``)."""

    seq: int
    issue_id: int
    run_id: int
    seen: int
    text: str
    private: bool
    rules: str
    items: frozenset[str]


@dataclass(frozen=True)
class AuditRow:
    run_id: int
    ts: str
    issue_id: int
    field: str
    old: object
    new: object
    rule: str
    outcome: str
    detail: str


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise UserError(f"cannot open the state database {path}: {exc}",
                            hint="set state.path in the config to a writable file") from None
        os.chmod(path, 0o600)
        self._lock_handle: Any = None
        self._depth = 0  # savepoints open inside the current transaction
        self._migrate()

    # -- schema and transactions -----------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(f"the state database {self.path} was written by a newer "
                            f"redmine-sync (schema {version}); upgrade the tool")
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version={number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One unit of work: all of it is written, or none of it. A unit inside another
        is a savepoint of the outer one (its failure undoes only itself if caught)."""
        if self.db.in_transaction:
            self._depth += 1
            savepoint = f"unit{self._depth}"
            self.db.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self.db
            except BaseException:
                self.db.execute(f"ROLLBACK TO {savepoint}")
                self.db.execute(f"RELEASE {savepoint}")
                raise
            finally:
                self._depth -= 1
            self.db.execute(f"RELEASE {savepoint}")
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Only one writer at a time: CLI ``apply``, ``undo`` or the daemon."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LockHeld(f"another redmine-sync writer is running ({holder}); only one "
                           "apply, undo or daemon may write at a time",
                           hint="wait for it to finish, or stop the daemon / timer") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def close(self) -> None:
        self.db.close()

    # -- which Redmine this state describes ------------------------------------------------

    def bind(self, url: str) -> None:
        """Tie the state to one Redmine; refuse another (its issues, runs and what the tool
        set would be taken for this one's: every field a person's edit, undo on the wrong
        instance). A state file from before the binding is bound to its first user."""
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, "
                        "value TEXT NOT NULL)")
        wanted = bound_url(url)
        row = self.db.execute("SELECT value FROM meta WHERE name='redmine'").fetchone()
        if row is None:
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('redmine', ?)", (wanted,))
            return
        if row[0] != wanted:
            raise UserError(
                f"the state file {self.path} belongs to the Redmine at {row[0]}, not "
                f"{wanted}: its cursor, cache, runs and what the tool set describe that "
                "instance", hint="give this Redmine its own state file: remove state.path "
                "from the config (the default is one file per Redmine) or point it "
                f"elsewhere; if it is the same Redmine at a new address: sqlite3 {self.path} "
                "\"DELETE FROM meta WHERE name='redmine'\"")

    def rebuilt(self, me: User) -> str | None:
        """Whether the Redmine behind the URL is not the one the state describes: the bot's
        account (same login) shows another ``created_on``, which never changes, so the
        Redmine was rebuilt. Then what the state knew ("login created_on"), else None.
        The account is recorded (another login: the key changed, nothing to say)."""
        now = account_mark(me)
        if now is None:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE name='bot'").fetchone()
        if row is not None and row[0] == now:
            return None
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('bot', ?)", (now,))
        return None if row is None or row[0].split(" ")[0] != me.login else str(row[0])

    def forget_instance(self) -> None:
        """All the state knew of a Redmine but the tool's runs, ledger and pointers."""
        with self.transaction():
            for table in (*(t for t, _ in ISSUE_TABLES), *INSTANCE_TABLES):
                self.db.execute(f"DELETE FROM {table}")

    def bound_to(self) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE name='redmine'").fetchone()
        except sqlite3.OperationalError:
            return None
        return str(row[0]) if row else None

    def writer_active(self) -> bool:
        """Whether a writer holds the lock right now (a run marked running is really running)."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        if not lock_path.exists():
            return False
        with lock_path.open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False

    def ledger_counts(self, run_id: int) -> dict[str, int]:
        """Issues per outcome in a run's audit ledger, and those with a write pending."""
        rows = self.db.execute("SELECT outcome, COUNT(DISTINCT issue_id) FROM audit WHERE "
                               "run_id=? GROUP BY outcome", (run_id,)).fetchall()
        counts = {str(r[0]): int(r[1]) for r in rows}
        planned = self.db.execute("SELECT COUNT(DISTINCT issue_id) FROM audit WHERE run_id=?",
                                  (run_id,)).fetchone()[0]
        pending = self.db.execute("SELECT COUNT(*) FROM intents WHERE run_id=?",
                                  (run_id,)).fetchone()[0]
        counts["planned"] = int(planned) + int(pending)
        counts["pending"] = int(pending)
        return counts

    # -- cursor --------------------------------------------------------------------------

    def cursor(self, scope: str) -> datetime | None:
        row = self.db.execute("SELECT value FROM cursor WHERE scope=?", (scope,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_cursor(self, scope: str, value: datetime) -> None:
        self.db.execute("INSERT INTO cursor VALUES (?, ?) ON CONFLICT(scope) DO UPDATE SET "
                        "value=excluded.value", (scope, value.isoformat()))

    # -- runs and audit ------------------------------------------------------------------

    def start_run(self, mode: str, now: datetime) -> int:
        with self.transaction():
            cur = self.db.execute("INSERT INTO runs (mode, started) VALUES (?, ?)",
                                  (mode, now.isoformat()))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, now: datetime, status: str, *, planned: int = 0,
                   written: int = 0, skipped: int = 0, failed: int = 0,
                   message: str = "") -> None:
        self.db.execute("UPDATE runs SET finished=?, status=?, planned=?, written=?, skipped=?, "
                        "failed=?, message=? WHERE id=?", (now.isoformat(), status, planned,
                                                         written, skipped, failed, message,
                                                         run_id))

    def runs(self, limit: int = 20) -> list[RunRow]:
        rows = self.db.execute("SELECT id, mode, started, finished, status, planned, written, "
                               "skipped, failed, message FROM runs ORDER BY id DESC LIMIT ?",
                               (limit,)).fetchall()
        return [RunRow(*row) for row in rows]

    def run_totals(self) -> list[tuple[str, str, int, int, int]]:
        """(mode, status, runs, issues written, issues failed) over every finished run; the
        mode without its argument ("undo 12" counts as "undo")."""
        totals: dict[tuple[str, str], list[int]] = {}
        for mode, status, runs, written, failed in self.db.execute(
                "SELECT mode, status, COUNT(*), SUM(written), SUM(failed) FROM runs "
                "WHERE finished IS NOT NULL GROUP BY mode, status"):
            row = totals.setdefault((str(mode).split(" ")[0], str(status)), [0, 0, 0])
            row[0] += int(runs)
            row[1] += int(written or 0)
            row[2] += int(failed or 0)
        return [(mode, status, runs, written, failed)
                for (mode, status), (runs, written, failed) in sorted(totals.items())]

    def last_run(self, mode: str, status: str | None = None) -> RunRow | None:
        """The newest finished run of ``mode`` (and ``status``)."""
        row = self.db.execute("SELECT id, mode, started, finished, status, planned, written, "
                              "skipped, failed, message FROM runs WHERE mode=? AND finished "
                              "IS NOT NULL AND (? IS NULL OR status=?) ORDER BY id DESC "
                              "LIMIT 1", (mode, status, status)).fetchone()
        return RunRow(*row) if row else None

    def run(self, run_id: int) -> RunRow | None:
        row = self.db.execute("SELECT id, mode, started, finished, status, planned, written, "
                              "skipped, failed, message FROM runs WHERE id=?",
                              (run_id,)).fetchone()
        return RunRow(*row) if row else None

    def record(self, run_id: int, now: datetime, issue_id: int, field: str, old: object,
               new: object, rule: str, outcome: str, detail: str = "") -> None:
        self.db.execute("INSERT INTO audit (run_id, ts, issue_id, field, old, new, rule, "
                        "outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (run_id, now.isoformat(), issue_id, field, _dump(old), _dump(new),
                         rule, outcome, detail))

    def audit(self, run_id: int) -> list[AuditRow]:
        rows = self.db.execute("SELECT run_id, ts, issue_id, field, old, new, rule, outcome, "
                               "detail FROM audit WHERE run_id=? ORDER BY id", (run_id,))
        return [AuditRow(r[0], r[1], r[2], r[3], _load(r[4]), _load(r[5]), r[6], r[7], r[8])
                for r in rows.fetchall()]

    # -- what the tool set (people win) -------------------------------------------------

    def owned(self) -> dict[tuple[int, str], object]:
        rows = self.db.execute("SELECT issue_id, field, value FROM owned").fetchall()
        return {(r[0], r[1]): _load(r[2]) for r in rows}

    def owned_value(self, issue_id: int, field: str) -> object:
        """The value the tool last set on one field of one issue (None: never set)."""
        row = self.db.execute("SELECT value FROM owned WHERE issue_id = ? AND field = ?",
                              (issue_id, field)).fetchone()
        return _load(row[0]) if row else None

    def set_owned(self, issue_id: int, field: str, value: object, run_id: int) -> None:
        self.db.execute("INSERT INTO owned VALUES (?, ?, ?, ?) ON CONFLICT(issue_id, field) "
                        "DO UPDATE SET value=excluded.value, run_id=excluded.run_id",
                        (issue_id, field, _dump(value), run_id))

    # -- what undo put back (later runs keep it) ------------------------------------------

    def undone(self) -> dict[tuple[int, str], tuple[object, int]]:
        """(issue, field) -> (the value an undo put back, that undo's run)."""
        rows = self.db.execute("SELECT issue_id, field, value, run_id FROM undone").fetchall()
        return {(r[0], r[1]): (_load(r[2]), r[3]) for r in rows}

    def add_undone(self, issue_id: int, field: str, value: object, run_id: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO undone VALUES (?, ?, ?, ?)",
                        (issue_id, field, _dump(value), run_id))

    def clear_undone(self, issue_id: int, field: str) -> None:
        self.db.execute("DELETE FROM undone WHERE issue_id=? AND field=?", (issue_id, field))

    # -- write intents (crash recovery) --------------------------------------------------

    def add_intent(self, run_id: int, issue_id: int, changes: dict[str, object],
                   note: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO intents VALUES (?, ?, ?, ?)",
                        (issue_id, run_id, json.dumps(changes, default=_default), note))

    def clear_intent(self, issue_id: int) -> None:
        self.db.execute("DELETE FROM intents WHERE issue_id=?", (issue_id,))

    def intents(self) -> list[tuple[int, int, dict[str, Any], str | None]]:
        rows = self.db.execute("SELECT issue_id, run_id, changes, note FROM intents")
        return [(r[0], r[1], json.loads(r[2]), r[3]) for r in rows.fetchall()]

    # -- a decision's further notes, each due in a write of its own ----------------------

    def add_due_note(self, issue_id: int, run_id: int, seen: int, text: str, private: bool,
                     rules: str, items: Iterable[str]) -> None:
        self.db.execute("INSERT INTO notes_due (issue_id, run_id, seen, text, private, rules, "
                        "items) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (issue_id, run_id, seen, text, int(private), rules,
                         json.dumps(sorted(items))))

    def due_notes(self, issue_id: int | None = None) -> list[DueNote]:
        """The notes still due, oldest first (of one issue when given)."""
        query = "SELECT seq, issue_id, run_id, seen, text, private, rules, items FROM notes_due"
        rows = self.db.execute(query + " WHERE issue_id=? ORDER BY seq", (issue_id,)) \
            if issue_id is not None else self.db.execute(query + " ORDER BY seq")
        return [DueNote(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6],
                        frozenset(json.loads(r[7]))) for r in rows.fetchall()]

    def clear_due(self, issue_id: int, *, seq: int | None = None, run_id: int | None = None
                  ) -> None:
        """One due note (``seq``), or those of the issue a run left due (``run_id``)."""
        if seq is not None:
            self.db.execute("DELETE FROM notes_due WHERE seq=?", (seq,))
        else:
            self.db.execute("DELETE FROM notes_due WHERE issue_id=? AND run_id=?",
                            (issue_id, run_id))

    # -- notes sent for a decision still pending ------------------------------------------

    def sent_items(self, issue_id: int) -> frozenset[str]:
        """What notes already said for the issue's pending decision (``apply.note_items``)."""
        rows = self.db.execute("SELECT item FROM notes_sent WHERE issue_id=?", (issue_id,))
        return frozenset(r[0] for r in rows.fetchall())

    def add_sent(self, issue_id: int, items: Iterable[str], run_id: int) -> None:
        self.db.executemany("INSERT OR IGNORE INTO notes_sent VALUES (?, ?, ?)",
                            [(issue_id, item, run_id) for item in items])

    def clear_sent(self, issue_id: int) -> None:
        """The decision landed whole: a later one may say the same again."""
        self.db.execute("DELETE FROM notes_sent WHERE issue_id=?", (issue_id,))

    # -- failures that will not change by themselves -------------------------------------

    def held_failures(self) -> dict[int, tuple[datetime, str, int]]:
        """issue id -> (its updated_on when it failed, the reason, the run that reported it)."""
        rows = self.db.execute("SELECT issue_id, updated_on, reason, run_id FROM held_failures")
        return {r[0]: (datetime.fromisoformat(r[1]), r[2], r[3]) for r in rows.fetchall()}

    def hold_failure(self, issue_id: int, updated_on: datetime, reason: str,
                     run_id: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO held_failures VALUES (?, ?, ?, ?)",
                        (issue_id, updated_on.isoformat(), reason, run_id))

    def release_failure(self, issue_id: int) -> None:
        self.db.execute("DELETE FROM held_failures WHERE issue_id=?", (issue_id,))

    # -- issue cache -------------------------------------------------------------------

    def issue_stamps(self) -> dict[int, str]:
        """``updated_on`` of every cached issue, by id (what a full pass compares against)."""
        return dict(self.db.execute("SELECT id, updated_on FROM issues").fetchall())

    def cache_issues(self, issues: Iterable[Issue], known: Mapping[int, str] | None = None
                     ) -> None:
        """Store the issues, all or none (one transaction: 5,000 issues take 0.4 s, not
        20 s of one commit each); with ``known`` (from ``issue_stamps``), only those whose
        ``updated_on`` differs, since an unchanged timestamp means unchanged data."""
        with self.transaction():
            for issue in issues:
                stamp = issue.updated_on.isoformat()
                if known is not None and known.get(issue.id) == stamp:
                    continue
                self.db.execute(
                    "INSERT INTO issues (id, updated_on, data, activity_on) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET updated_on=excluded.updated_on, "
                    "data=excluded.data, activity_on=CASE WHEN issues.tool_updated_on = "
                    "excluded.updated_on THEN issues.activity_on ELSE excluded.updated_on END",
                    (issue.id, stamp, _issue_json(issue), stamp))

    def reissued(self, issues: Iterable[Issue]) -> tuple[int, ...]:
        """The ids among ``issues`` that the store knew as another issue (another
        ``created_on``: a Redmine rebuilt or restored behind the same URL reuses ids).
        What the store held of those ids is dropped (``forget_marks``): it would
        otherwise stand for the new issue (thresholds already fired, fields the tool set,
        notes due). Every issue's identity is recorded."""
        with self.transaction():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS listed (issue_id INTEGER "
                            "PRIMARY KEY, created_on TEXT NOT NULL)")
            self.db.executemany("INSERT OR REPLACE INTO temp.listed VALUES (?, ?)",
                                ((i.id, i.created_on.isoformat()) for i in issues))
            other = tuple(r[0] for r in self.db.execute(
                "SELECT issue_id FROM temp.listed JOIN identities USING (issue_id) "
                "WHERE identities.created_on != listed.created_on ORDER BY issue_id"))
            self.forget_marks(other)
            self.db.execute("INSERT INTO identities SELECT issue_id, created_on FROM "
                            "temp.listed WHERE true ON CONFLICT (issue_id) DO UPDATE SET "
                            "created_on = excluded.created_on WHERE created_on != "
                            "excluded.created_on")
            self.db.execute("DELETE FROM temp.listed")
        return other

    def forget_marks(self, ids: Iterable[int]) -> None:
        """Everything the store holds of these issues but their history in the ledger."""
        rows = [(i,) for i in ids]
        with self.transaction():
            for table, column in ISSUE_TABLES:
                self.db.executemany(f"DELETE FROM {table} WHERE {column}=?", rows)

    def with_activity(self, issues: Iterable[Issue]) -> list[Issue]:
        """The issues with their last activity where it is not their ``updated_on`` (the
        tool wrote last), without decoding the cache."""
        activity = dict(self.db.execute(
            "SELECT id, activity_on FROM issues WHERE activity_on != updated_on").fetchall())
        return [replace(i, activity_on=datetime.fromisoformat(activity[i.id]))
                if i.id in activity else i for i in issues]

    def mark_tool_write(self, issue_id: int, updated_on: datetime) -> None:
        """The issue's ``updated_on`` after our own write: not activity for any rule."""
        self.db.execute("UPDATE issues SET tool_updated_on=? WHERE id=?",
                        (updated_on.isoformat(), issue_id))

    def keep_own_write(self, issue: Issue) -> None:
        """The issue as the tool's own write left it (so the next run sees no change)."""
        self.mark_tool_write(issue.id, issue.updated_on)
        self.cache_issues([issue])
        if issue.journals is not None:  # read anyway: the next run needs none
            self.cache_journals(issue.id, issue.updated_on, issue.journals)

    def cached_issues(self) -> list[Issue]:
        """Every cached issue; the rows' JSON is decoded as it is read (at 10,000 issues,
        all of it at once was 15 MB more at the moment the reports read the scope)."""
        rows = self.db.execute("SELECT data, activity_on FROM issues ORDER BY updated_on, id")
        return [_issue_from(data, activity) for data, activity in rows]

    def forget_issues(self, ids: Iterable[int]) -> None:
        rows = [(i,) for i in ids]
        with self.transaction():
            self.db.executemany("DELETE FROM issues WHERE id=?", rows)
            self.db.executemany("DELETE FROM sla_wakes WHERE issue_id=?", rows)

    # -- SLA: when unchanged issues are due (wakes.py) ---------------------------------

    def wake_basis(self) -> str | None:
        row = self.db.execute("SELECT key FROM sla_wake_basis").fetchone()
        return str(row[0]) if row else None

    def due_wakes(self, now: datetime) -> set[int]:
        """Issues due now, or whose next threshold instant has come."""
        rows = self.db.execute("SELECT issue_id FROM sla_wakes WHERE wake <= ?",
                               (_instant(now),))
        return {r[0] for r in rows.fetchall()}

    def next_wake(self) -> datetime | None:
        row = self.db.execute("SELECT MIN(wake) FROM sla_wakes WHERE wake != ''").fetchone()
        return datetime.fromisoformat(row[0]).replace(tzinfo=UTC) if row and row[0] else None

    def set_wakes(self, key: str, rows: Mapping[int, datetime | None], *, due: set[int],
                  closed: Iterable[int], whole: bool) -> None:
        """Record next instants (``due``: now); ``whole``: these are all the open issues."""
        with self.transaction():
            if whole:
                self.db.execute("DELETE FROM sla_wakes")
                self.db.execute("DELETE FROM sla_wake_basis")
                self.db.execute("INSERT INTO sla_wake_basis VALUES (?)", (key,))
            self.db.executemany("INSERT OR REPLACE INTO sla_wakes VALUES (?, ?)", [
                (i, "" if i in due else None if wake is None else _instant(wake))
                for i, wake in rows.items()])
            self.db.executemany("DELETE FROM sla_wakes WHERE issue_id=?",
                                [(i,) for i in closed])

    def set_sla_states(self, rows: Mapping[int, tuple[str, str]], gone: Iterable[int]) -> None:
        """Record (tier, SLA state) of evaluated issues; forget ``gone`` ones (closed, no
        longer under a policy, deleted)."""
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO sla_states VALUES (?, ?, ?)",
                                [(i, tier, state) for i, (tier, state) in rows.items()])
            self.db.executemany("DELETE FROM sla_states WHERE issue_id=?",
                                [(i,) for i in gone])

    def clear_sla_states(self) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM sla_states")

    def sla_state_counts(self) -> dict[tuple[str, str], int]:
        """Open issues under an SLA policy by (tier, SLA state)."""
        return {(str(tier), str(state)): int(n) for tier, state, n in self.db.execute(
            "SELECT tier, state, COUNT(*) FROM sla_states GROUP BY tier, state")}

    def clear_wakes(self) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM sla_wakes")
            self.db.execute("DELETE FROM sla_wake_basis")

    # -- SLA: journal cache and fired thresholds -------------------------------------

    def sla_verdicts(self, policy: str) -> dict[int, list[tuple[Any, ...]]]:
        """Recorded verdicts of stopped clocks under a policy, by issue: rows of (metric,
        cycle, stopped, target, breached, breached_at, fingerprint), times as datetimes."""
        out: dict[int, list[tuple[Any, ...]]] = {}
        for row in self.db.execute("SELECT issue_id, metric, cycle, stopped, target, breached, "
                                   "breached_at, fingerprint FROM sla_verdicts WHERE policy=?",
                                   (policy,)):
            out.setdefault(int(row[0]), []).append((
                row[1], int(row[2]), datetime.fromisoformat(row[3]), row[4], bool(row[5]),
                datetime.fromisoformat(row[6]) if row[6] else None, row[7]))
        return out

    def record_verdict(self, issue_id: int, policy: str, metric: str, cycle: int,
                       stopped: datetime, target: float | None, breached: bool,
                       breached_at: datetime | None, fingerprint: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO sla_verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (issue_id, policy, metric, cycle, stopped.isoformat(), target,
                         int(breached), breached_at.isoformat() if breached_at else None,
                         fingerprint))

    def journals(self, issue_id: int, updated_on: datetime) -> tuple[Journal, ...] | None:
        """Cached journals of an issue, if cached for exactly this ``updated_on``."""
        row = self.db.execute("SELECT updated_on, data FROM journals WHERE issue_id=?",
                              (issue_id,)).fetchone()
        if row is None or row[0] != updated_on.isoformat():
            return None
        return tuple(_journal_from(j) for j in json.loads(row[1]))

    def cache_journals(self, issue_id: int, updated_on: datetime,
                       journals: Iterable[Journal]) -> None:
        data = json.dumps([asdict(j) for j in journals], default=_default, ensure_ascii=False)
        self.db.execute("INSERT OR REPLACE INTO journals VALUES (?, ?, ?)",
                        (issue_id, updated_on.isoformat(), data))

    def sla_fired(self) -> frozenset[tuple[int, str, str]]:
        rows = self.db.execute("SELECT issue_id, policy, mark FROM sla_fired").fetchall()
        return frozenset((r[0], r[1], r[2]) for r in rows)

    def fire(self, issue_id: int, policy: str, mark: str, run_id: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO sla_fired VALUES (?, ?, ?, ?)",
                        (issue_id, policy, mark, run_id))

    # -- lookups kept across runs ------------------------------------------------------

    def lookup(self, name: str, now: datetime, max_age: float) -> Any:
        """A saved lookup younger than ``max_age`` seconds, else None."""
        row = self.db.execute("SELECT value, saved FROM lookups WHERE name=?",
                              (name,)).fetchone()
        if row is None or (now - datetime.fromisoformat(row[1])).total_seconds() > max_age:
            return None
        return json.loads(row[0])

    def save_lookup(self, name: str, value: Any, now: datetime) -> None:
        self.db.execute("INSERT OR REPLACE INTO lookups VALUES (?, ?, ?)",
                        (name, json.dumps(value, ensure_ascii=False), now.isoformat()))

    # -- reports -----------------------------------------------------------------------

    def published_version(self, project: str, title: str) -> int | None:
        row = self.db.execute("SELECT version FROM published WHERE project=? AND title=?",
                              (project, title)).fetchone()
        return int(row[0]) if row else None

    def record_published(self, project: str, title: str, version: int, report: str,
                         period: str, figures: str | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?, ?)",
                        (project, title, version, report, period, figures))

    def published_figures(self, project: str, title: str) -> str | None:
        """The digest of the figures the tool last published on a page (see reports.run)."""
        row = self.db.execute("SELECT figures FROM published WHERE project=? AND title=?",
                              (project, title)).fetchone()
        return str(row[0]) if row and row[0] else None

    def published_pages(self, project: str) -> list[tuple[str, str, str]]:
        """(report, period, title) of every page the tool published in a project."""
        rows = self.db.execute("SELECT report, period, title FROM published WHERE project=? "
                               "ORDER BY report, period DESC", (project,)).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def period_done(self, report: str, period: str) -> bool:
        return self.db.execute("SELECT 1 FROM report_periods WHERE report=? AND period=?",
                               (report, period)).fetchone() is not None

    def mark_period(self, report: str, period: str, title: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO report_periods VALUES (?, ?, ?)",
                        (report, period, title))

    # -- round-robin pointers ------------------------------------------------------------

    def pointer(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM pointers WHERE name=?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def set_pointer(self, name: str, value: int) -> None:
        self.db.execute("INSERT INTO pointers VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                        "value=excluded.value", (name, value))


def account_mark(me: User) -> str | None:
    """The bot's account as the state keeps it: "login created_on" (None: not shown)."""
    return None if me.created_on is None else f"{me.login} {me.created_on.isoformat()}"


def recorded_identity(path: Path) -> tuple[str | None, str | None]:
    """What a state file says of its Redmine, read without changing it (``doctor``): the
    URL it is bound to and the bot's account ("login created_on"); None where unknown."""
    if not path.exists():
        return None, None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = dict(db.execute("SELECT name, value FROM meta WHERE name IN "
                                   "('redmine', 'bot')").fetchall())
        finally:
            db.close()
    except sqlite3.Error:   # older than the binding, or not readable: runs will tell
        return None, None
    return rows.get("redmine"), rows.get("bot")


def _default(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "to_json"):  # a typed value of a change (changes.Link)
        return value.to_json()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    if isinstance(value, Mapping):  # an issue's custom fields (model.Fields)
        return dict(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def _instant(value: datetime) -> str:
    """UTC, one fixed width: instants compare as text."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _dump(value: object) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def _load(text: str | None) -> object:
    if text is None:
        return None
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


def _issue_json(issue: Issue) -> str:
    data = {f.name: getattr(issue, f.name) for f in fields(Issue)}
    for key in ("project", "author", "assigned_to"):
        data[key] = _ref_json(data[key])
    data["relations"] = [{"id": r.id, "issue_id": r.issue_id, "issue_to_id": r.issue_to_id,
                          "type": r.type} for r in issue.relations]
    data["journals"] = None
    data["activity_on"] = None
    return json.dumps(data, default=_default, ensure_ascii=False)


def _ref_json(ref: Ref | None) -> dict[str, object] | None:
    return None if ref is None else {"id": ref.id, "name": ref.name}


def _issue_from(text: str, activity: str | None) -> Issue:
    data = json.loads(text)
    for key in ("created_on", "updated_on", "closed_on"):
        data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
    for key in ("start_date", "due_date"):
        data[key] = shared.day(data[key]) if data.get(key) else None
    for key in ("project", "author", "assigned_to"):
        data[key] = shared.ref(data[key]["id"], data[key]["name"]) if data.get(key) else None
    for key in ("tracker", "status", "priority"):
        data[key] = shared.text(data[key])
    for key in ("category", "fixed_version"):
        data[key] = shared.text(data[key]) if data.get(key) is not None else None
    data["relations"] = tuple(Relation(**r) for r in data.get("relations") or ())
    data["custom_fields"] = shared.fields((k, tuple(v) if isinstance(v, list) else v)
                                          for k, v in (data.get("custom_fields") or {}).items())
    if data.get("allowed_statuses") is not None:
        data["allowed_statuses"] = tuple(data["allowed_statuses"])
    data["activity_on"] = datetime.fromisoformat(activity) if activity else None
    data["journals"] = None
    return Issue(**data)


def _journal_from(data: dict[str, Any]) -> Journal:
    return Journal(id=data["id"], user=shared.ref(data["user"]["id"], data["user"]["name"]),
                   created_on=datetime.fromisoformat(data["created_on"]), notes=data["notes"],
                   private=data["private"],
                   details=tuple(JournalDetail(**d) for d in data["details"]))


def bound_url(url: str) -> str:
    """A Redmine's URL as the state file is bound to it."""
    return url.strip().rstrip("/").lower()
