"""Every error the tool reports on purpose, and the one table mapping them to exit codes.

Commands raise these; ``cli.main`` turns them into a message on stderr and an exit
code (see ``EXIT_CODES`` and docs/cli.md). Nothing else in the package calls ``sys.exit``.
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


class RedmineSyncError(Exception):
    """Base class: an error with a message meant for the user."""

    exit_code = 1


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

    exit_code = 4


class RedmineUnavailable(RedmineError):
    """Redmine could not be reached, or stayed down past the retry budget."""


class RedmineAuthError(RedmineError):
    """The API key was refused, or the REST API is disabled."""


class PermissionDenied(RedmineAuthError):
    """Redmine answered 403 to an operation: the bot's role lacks ``permission``."""

    def __init__(self, message: str, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class NotFound(RedmineError):
    """The issue, project or page does not exist, or the key may not see it."""


class RedmineValidationError(RedmineError):
    """Redmine refused a write (HTTP 422) and said why."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = tuple(errors)


class WikiConflict(RedmineError):
    """The wiki page changed since it was read (HTTP 409); nothing was overwritten."""


class WritesFailed(RedmineSyncError):
    """Some writes failed or were dropped by Redmine; the others were made. Exit 2."""

    exit_code = 2


class ChecksFailed(RedmineSyncError):
    """``doctor`` found at least one failing check. Exit 1."""


EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "user or configuration error, failed checks": 1,
    "some writes failed": 2,
    "circuit breaker tripped": 3,
    "Redmine unreachable, refused the key, or answered unusably": 4,
    "interrupted": 130,
}
