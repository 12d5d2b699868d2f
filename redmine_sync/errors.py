"""Every error the tool reports on purpose, and the one table mapping them to exit codes.

Commands raise these; the CLI (``cli.Group.main``) turns them into a message on stderr
and an exit code (``EXIT_TABLE``, shown in docs/cli.md). Nothing else in the package calls ``sys.exit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where it is, what is wrong, how to fix it."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True)
class ExitCode:
    """One exit code: its number, a short name, when the tool exits with it, what to do."""

    code: int
    name: str
    meaning: str
    todo: str = ""


OK = ExitCode(0, "ok", "everything asked was done (or there was nothing to do)")
USER = ExitCode(1, "user error", "wrong arguments, config, rule files or input; a failed "
                "check (doctor, validate, test-rules); an issue, project or page not found; "
                "another writer holds the lock", "read the message; `redmine-sync doctor`")
WRITES = ExitCode(2, "writes failed", "some writes failed or were silently dropped by "
                  "Redmine, or the scheduled reports could not be published; the others "
                  "were made", "`redmine-sync history --run ID` (the ID is in the message)")
BREAKER = ExitCode(3, "breaker", "the circuit breaker refused the run: it printed what it "
                   "would have done and wrote nothing", "check the plan; `apply --yes` or "
                   "`apply --max-changes N`, or fix the rules (`explain ISSUE`)")
REDMINE = ExitCode(4, "redmine", "Redmine unreachable past the run's retry budget "
                   "(`redmine.retries.total_seconds`: the run says which issues it wrote and "
                   "which remain), its TLS certificate refused (`redmine.ca_bundle`), the key "
                   "refused or missing, or an answer unusable; nothing was written after it",
                   "`redmine-sync doctor`; the next run retries and finishes the rest")
NOT_CHECKED = ExitCode(5, "not checked", "nothing failed, but something could not be checked "
                       "with this key or server: `validate --online`'s NOT CHECKED lines, "
                       "`doctor`'s warnings of what it could not check or measure",
                       "check each listed item by hand, or run the command with a key that "
                       "can see it (an administrator's)")
INTERNAL = ExitCode(70, "internal error", "a bug in redmine-sync", "run it by hand with -vv "
                    "for the traceback and report it")
INTERRUPTED = ExitCode(130, "interrupted", "stopped by Ctrl-C or SIGINT")
EXIT_TABLE: tuple[ExitCode, ...] = (OK, USER, WRITES, BREAKER, REDMINE, NOT_CHECKED, INTERNAL,
                                   INTERRUPTED)
"""Every exit code of every command, in one place (docs/cli.md is generated from it)."""


class RedmineSyncError(Exception):
    """Base class: an error with a message meant for the user."""

    exit_code = USER.code


class UserError(RedmineSyncError):
    """Wrong arguments, config or files: the user can fix it. Exit 1."""

    def __init__(self, message: str, problems: Sequence[Problem] = (), hint: str = "") -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.hint = hint

    def __str__(self) -> str:
        lines = [self.args[0]]
        lines += [f"  {p}" for p in self.problems]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class ConfigError(UserError):
    """The configuration file or environment is wrong."""


class NotYetAvailable(UserError):
    """A command that a later release fills in."""


class RedmineError(RedmineSyncError):
    """Redmine answered something the tool cannot use. Exit 4."""

    exit_code = REDMINE.code


class RedmineGone(RedmineError):
    """Redmine cannot be used for the rest of this run: a run stops on it (no more writes)."""


class RedmineUnavailable(RedmineGone):
    """Redmine could not be reached, or stayed down past the run's retry budget."""


class RedmineTLSError(RedmineGone):
    """Redmine's TLS certificate was not accepted."""


class UnusableAnswer(RedmineGone):
    """Redmine answered with something of the wrong shape (not JSON, wrong types, HTML)."""


class RedmineAuthError(RedmineError):
    """The API key was refused, missing, or the REST API is disabled."""


class ProjectUnavailable(RedmineAuthError):
    """A project in scope answers 403 while the key works: archived, or not visible."""


class PermissionDenied(RedmineAuthError):
    """Redmine answered 403 to an operation: the bot's role lacks ``permission``."""

    def __init__(self, message: str, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class NotFound(RedmineError):
    """The issue, project or page does not exist, or the key may not see it. Exit 1."""

    exit_code = USER.code


class RedmineValidationError(RedmineError):
    """Redmine refused a write (HTTP 422) and said why."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = tuple(errors)


class WikiConflict(RedmineError):
    """The wiki page changed since it was read (HTTP 409); nothing was overwritten."""


class WritesFailed(RedmineSyncError):
    """Some writes failed or were dropped by Redmine; the others were made. Exit 2."""

    exit_code = WRITES.code


class ChecksFailed(RedmineSyncError):
    """``doctor`` found at least one failing check. Exit 1."""


class NotChecked(RedmineSyncError):
    """Nothing failed, but a check could not be made; the output listed what. Exit 5."""

    exit_code = NOT_CHECKED.code


EXIT_CODES: dict[str, int] = {e.meaning: e.code for e in EXIT_TABLE}
