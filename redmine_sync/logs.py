"""Logging to stderr for the CLI, the scheduled ``apply`` and the daemon.

``setup_logging`` installs one handler on the root logger (calling it again replaces it):

* ``text``: ``LEVEL logger: message``, one line per record, no timestamp (journald and
  terminals add their own). When stderr is the journal (``JOURNAL_STREAM`` names it),
  each line starts with the sd-daemon priority, e.g. ``<4>``, which journald turns into
  the entry's priority. Newlines inside a message are written as ``\\n`` so a message can
  never forge a second record; only an exception's traceback adds indented lines.
* ``json``: one JSON object per line: ``ts`` (UTC), ``level``, ``logger``, ``message``,
  every ``extra={...}`` field of the call (``run_id``, ``issue``, ...), and ``exc`` with
  the traceback text. Under journald the priority prefix is added too; journald strips it.

A filter on the handler replaces every secret (the API key) with ``***`` in the message,
its arguments, extra fields and traceback, and any 40-hex token written after ``key=`` or
``X-Redmine-API-Key``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import TextIO

FORMATS = ("text", "json")
HANDLER_NAME = "redmine-sync"
REDACTED = "***"
# Shorter "secrets" protect nothing and would blank out ordinary words in every message.
MIN_SECRET_LENGTH = 4

_TOKEN = re.compile(r"(?i)((?:key=|X-Redmine-API-Key[\"']?\s*[:=]?\s*[\"']?))"
                    r"[0-9a-f]{40}(?![0-9a-f])")
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def setup_logging(fmt: str = "text", verbosity: int = 0, secrets: Iterable[str] = ()) -> None:
    """Send log records to stderr as ``fmt`` ("text" or "json"), redacting ``secrets``.

    verbosity 0: warnings from libraries, info from ``redmine_sync`` (a daemon says what
    it does); 1: info from everything; 2: debug. Other handlers on the root logger
    (pytest's, for instance) are left alone; the one installed earlier by this function
    is replaced, so calling it twice never doubles a line.
    """
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    verbosity = max(0, min(verbosity, 2))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
        old.close()

    handler = _StderrHandler()
    handler.name = HANDLER_NAME
    journal = stderr_is_journal(sys.stderr, os.environ.get("JOURNAL_STREAM"))
    handler.setFormatter(JsonFormatter(journal) if fmt == "json" else TextFormatter(journal))
    handler.addFilter(RedactFilter(secrets))
    root.addHandler(handler)
    root.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[verbosity])
    logging.getLogger("redmine_sync").setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)


def stderr_is_journal(stream: TextIO, journal_stream: str | None) -> bool:
    """Whether ``stream`` is journald's, as ``JOURNAL_STREAM`` ("DEV:INODE") says.

    A stream without a file descriptor (captured output) trusts the variable; a real
    file must be the one it names, so output redirected elsewhere gets no prefix.
    """
    if not journal_stream:
        return False
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return True
    return journal_stream.strip() == f"{info.st_dev}:{info.st_ino}"


def priority(levelno: int) -> int:
    """The syslog / sd-daemon priority of a logging level."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (test captures swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:  # StreamHandler.setStream; stderr it stays
        pass


class TextFormatter(logging.Formatter):
    """``[<N>]LEVEL logger: message``; a traceback follows on indented lines."""

    def __init__(self, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        message = _one_line(record.getMessage())
        lines = [f"{record.levelname} {record.name}: {message}"]
        extra = _exception_text(self, record)
        if extra:
            lines += [f"  {line}" for line in extra.splitlines()]
        prefix = f"<{priority(record.levelno)}>" if self.journal else ""
        return "\n".join(prefix + line for line in lines)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, message, extra fields, exc."""

    def __init__(self, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        obj: dict[str, Any] = {
            "ts": ts.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                obj.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            obj["exc"] = record.exc_text
        if record.stack_info:
            obj["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(obj, ensure_ascii=False, default=str)
        return f"<{priority(record.levelno)}>{line}" if self.journal else line


class RedactFilter(logging.Filter):
    """Replaces secrets and API-key-looking tokens with ``***`` before any formatting.

    It renders the message with its arguments first, so a secret inside any argument
    (a URL, a dict of headers, an object's str) is caught; then the extra fields and the
    traceback. Records are changed in place and always let through.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        usable = {str(s).strip() for s in secrets if s and len(str(s).strip()) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(usable, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # arguments do not fit the format
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), ()
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                record.__dict__[key] = self._redact_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def _redact_value(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list | tuple | dict):
            dumped = json.dumps(value, ensure_ascii=False, default=str)
            cleaned = self.redact(dumped)
            return value if cleaned == dumped else json.loads(cleaned)
        text = str(value)
        cleaned = self.redact(text)
        return value if cleaned == text else cleaned


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    parts = [record.exc_text or ""]
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(p for p in parts if p)
