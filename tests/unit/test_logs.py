from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redmine_sync.config import Secret
from redmine_sync.logs import HANDLER_NAME
from redmine_sync.logs import setup_logging
from redmine_sync.logs import stderr_is_journal

SECRET = "s3cr3t-api-key-of-the-bot"
HEX = "0123456789abcdef0123456789abcdef01234567"  # a Redmine-style key, not in the secrets
CREATED = 1795000000.25  # 2026-11-18T11:06:40.250Z
TS = "2026-11-18T11:06:40.250Z"


def _fixed_time(record: logging.LogRecord) -> bool:
    record.created = CREATED
    return True


@pytest.fixture(autouse=True)
def clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without the handler and journald; the root logger is restored after."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    loggers = [logging.getLogger(n) for n in ("redmine_sync", "redmine_sync.apply", "urllib3")]
    for logger in loggers:
        logger.addFilter(_fixed_time)
    yield
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("redmine_sync").setLevel(logging.NOTSET)
    for logger in loggers:
        logger.removeFilter(_fixed_time)


def err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]


# --- text ----------------------------------------------------------------------------------

CALLS: list[tuple[str, int, str]] = [
    ("redmine_sync.apply", logging.DEBUG, "fetched 3 issue(s)"),
    ("redmine_sync.apply", logging.INFO, "run 12 started"),
    ("redmine_sync", logging.WARNING, "key file is readable by others"),
    ("urllib3", logging.DEBUG, "Starting new HTTP connection"),
    ("urllib3", logging.INFO, "pool is full"),
    ("urllib3", logging.ERROR, "connection reset"),
]


@pytest.mark.parametrize(("verbosity", "expected"), [
    (0, ["INFO redmine_sync.apply: run 12 started",
         "WARNING redmine_sync: key file is readable by others",
         "ERROR urllib3: connection reset"]),
    (1, ["INFO redmine_sync.apply: run 12 started",
         "WARNING redmine_sync: key file is readable by others",
         "INFO urllib3: pool is full",
         "ERROR urllib3: connection reset"]),
    (2, ["DEBUG redmine_sync.apply: fetched 3 issue(s)",
         "INFO redmine_sync.apply: run 12 started",
         "WARNING redmine_sync: key file is readable by others",
         "DEBUG urllib3: Starting new HTTP connection",
         "INFO urllib3: pool is full",
         "ERROR urllib3: connection reset"]),
])
def test_text_lines_by_verbosity(verbosity: int, expected: list[str],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("text", verbosity)
    for name, level, message in CALLS:
        logging.getLogger(name).log(level, message)
    assert err_lines(capsys) == expected


@pytest.mark.parametrize(("call", "expected"), [
    (lambda log: log.info("issue #%d: %s -> %s", 7, "New", "Triaged"),
     "INFO redmine_sync.apply: issue #7: New -> Triaged"),
    (lambda log: log.info("需求 #%d 已分级", 7),
     "INFO redmine_sync.apply: 需求 #7 已分级"),
    (lambda log: log.warning("subject: %s", "first\nERROR redmine_sync: forged"),
     "WARNING redmine_sync.apply: subject: first\\nERROR redmine_sync: forged"),
    (lambda log: log.info("run %s", "r1", extra={"run_id": "r1"}),
     "INFO redmine_sync.apply: run r1"),
])
def test_text_is_one_line_per_record(call: Callable[[logging.Logger], None], expected: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("text")
    call(logging.getLogger("redmine_sync.apply"))
    assert err_lines(capsys) == [expected]


def test_text_traceback_follows_on_indented_lines(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("text")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("redmine_sync").exception("write failed")
    first, *rest = err_lines(capsys)
    assert first == "ERROR redmine_sync: write failed"
    assert rest[0] == "  Traceback (most recent call last):"
    assert rest[-1] == "  RuntimeError: boom"
    assert all(line.startswith("  ") for line in rest)


# --- journald ------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "expected"), [
    (logging.CRITICAL, "<2>CRITICAL redmine_sync: m"),
    (logging.ERROR, "<3>ERROR redmine_sync: m"),
    (logging.WARNING, "<4>WARNING redmine_sync: m"),
    (logging.INFO, "<6>INFO redmine_sync: m"),
    (logging.DEBUG, "<7>DEBUG redmine_sync: m"),
])
def test_journald_gets_the_priority_prefix(level: int, expected: str,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:123456")
    setup_logging("text", verbosity=2)
    logging.getLogger("redmine_sync").log(level, "m")
    assert err_lines(capsys) == [expected]


def test_journald_prefixes_every_traceback_line_and_json(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:123456")
    setup_logging("text")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("redmine_sync").exception("write failed")
    lines = err_lines(capsys)
    assert lines[0] == "<3>ERROR redmine_sync: write failed"
    assert lines[-1] == "<3>  RuntimeError: boom"
    assert all(line.startswith("<3>") for line in lines)

    setup_logging("json")
    logging.getLogger("redmine_sync").warning("w")
    assert err_lines(capsys) == [
        f'<4>{{"ts": "{TS}", "level": "WARNING", "logger": "redmine_sync", "message": "w"}}']


def test_no_prefix_without_journald(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("text")
    logging.getLogger("redmine_sync").warning("w")
    assert err_lines(capsys) == ["WARNING redmine_sync: w"]


def test_journal_stream_must_name_the_real_stderr(tmp_path: Path) -> None:
    with (tmp_path / "err").open("w") as stream:
        info = os.fstat(stream.fileno())
        assert stderr_is_journal(stream, f"{info.st_dev}:{info.st_ino}")
        assert not stderr_is_journal(stream, f"{info.st_dev}:{info.st_ino + 1}")  # redirected
        assert not stderr_is_journal(stream, None)
        assert not stderr_is_journal(stream, "")
    assert stderr_is_journal(io.StringIO(), "8:123456")  # captured: trust the variable


# --- json ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "expected"), [
    (lambda log: log.info("run started"),
     {"message": "run started"}),
    (lambda log: log.info("issue #%d written", 7,
                          extra={"run_id": "r-12", "issue": 7, "written": ["status", "labels"]}),
     {"message": "issue #7 written", "run_id": "r-12", "issue": 7,
      "written": ["status", "labels"]}),
    (lambda log: log.warning("需求 %s", "重复", extra={"issue": 3}),
     {"level": "WARNING", "message": "需求 重复", "issue": 3}),
    (lambda log: log.info("line one\nline two"),
     {"message": "line one\nline two"}),
])
def test_json_one_object_per_line(call: Callable[[logging.Logger], None],
                                  expected: dict[str, Any],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("json")
    call(logging.getLogger("redmine_sync.apply"))
    lines = err_lines(capsys)
    full = {"ts": TS, "level": "INFO", "logger": "redmine_sync.apply", **expected}
    assert lines == [json.dumps(full, ensure_ascii=False)]


def test_json_exception_is_exc_text(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("redmine_sync").error("write failed", extra={"issue": 9})
        logging.getLogger("redmine_sync").exception("write failed", extra={"issue": 9})
    plain, with_exc = (json.loads(line) for line in err_lines(capsys))
    assert plain == {"ts": TS, "level": "ERROR", "logger": "redmine_sync",
                     "message": "write failed", "issue": 9}
    exc = with_exc.pop("exc")
    assert with_exc == plain
    assert exc.startswith("Traceback (most recent call last):")
    assert exc.endswith("RuntimeError: boom")


def test_json_levels_follow_verbosity(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("json", verbosity=0)
    logging.getLogger("urllib3").info("hidden")
    logging.getLogger("redmine_sync").info("shown")
    assert [json.loads(line)["message"] for line in err_lines(capsys)] == ["shown"]


# --- redaction -----------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "expected"), [
    (lambda log: log.warning(f"the key is {SECRET}"),
     "WARNING redmine_sync: the key is ***"),
    (lambda log: log.warning("GET %s failed", f"https://redmine.example/issues.json?key={SECRET}"),
     "WARNING redmine_sync: GET https://redmine.example/issues.json?key=*** failed"),
    (lambda log: log.warning("key %s", Secret(SECRET)),
     "WARNING redmine_sync: key ***"),
    (lambda log: log.warning("key %r", Secret(SECRET)),
     "WARNING redmine_sync: key Secret('***')"),
    (lambda log: log.warning("%(url)s", {"url": f"x{SECRET}x"}),
     "WARNING redmine_sync: x***x"),
    (lambda log: log.warning("headers %s", {"X-Redmine-API-Key": SECRET}),
     "WARNING redmine_sync: headers {'X-Redmine-API-Key': '***'}"),
    # 40-hex tokens where a key goes, even when they are not a configured secret
    (lambda log: log.warning("GET /issues.json?key=%s", HEX),
     "WARNING redmine_sync: GET /issues.json?key=***"),
    (lambda log: log.warning("GET /users/current.json?limit=1&key=%s", HEX.upper()),
     "WARNING redmine_sync: GET /users/current.json?limit=1&key=***"),
    (lambda log: log.warning("headers %s", {"X-Redmine-API-Key": HEX}),
     "WARNING redmine_sync: headers {'X-Redmine-API-Key': '***'}"),
    (lambda log: log.warning("X-Redmine-API-Key: %s", HEX),
     "WARNING redmine_sync: X-Redmine-API-Key: ***"),
    # ... but not other 40-hex strings, such as a commit
    (lambda log: log.warning("rules at commit %s", HEX),
     f"WARNING redmine_sync: rules at commit {HEX}"),
])
def test_secrets_are_redacted_in_text(call: Callable[[logging.Logger], None], expected: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("text", secrets=[SECRET])
    call(logging.getLogger("redmine_sync"))
    assert err_lines(capsys) == [expected]


def test_secrets_are_redacted_in_exception_text_and_extra(
        capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("json", secrets=[SECRET])
    log = logging.getLogger("redmine_sync")
    try:
        raise RuntimeError(f"Redmine refused key {SECRET}")
    except RuntimeError:
        log.exception("refused", extra={"url": f"/issues.json?key={SECRET}",
                                        "headers": {"X-Redmine-API-Key": SECRET}})
    out = capsys.readouterr().err
    assert SECRET not in out
    record = json.loads(out)
    assert record["exc"].endswith("RuntimeError: Redmine refused key ***")
    assert record["url"] == "/issues.json?key=***"
    assert record["headers"] == {"X-Redmine-API-Key": "***"}

    setup_logging("text", secrets=[SECRET])
    try:
        raise RuntimeError(f"Redmine refused key {SECRET}")
    except RuntimeError:
        log.exception("refused")
    lines = err_lines(capsys)
    assert lines[-1] == "  RuntimeError: Redmine refused key ***"
    assert SECRET not in "\n".join(lines)


def test_several_secrets_and_too_short_ones(capsys: pytest.CaptureFixture[str]) -> None:
    # a one-letter "key" (as in tests) would blank out every word containing it
    setup_logging("text", secrets=["k", "", SECRET, SECRET + "-old"])
    logging.getLogger("redmine_sync").warning("keys: %s, %s", SECRET + "-old", SECRET)
    assert err_lines(capsys) == ["WARNING redmine_sync: keys: ***, ***"]


def test_arguments_that_do_not_fit_the_format_are_still_redacted(
        capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("text", secrets=[SECRET])
    record = logging.makeLogRecord({"name": "redmine_sync", "levelno": logging.WARNING,
                                    "levelname": "WARNING", "msg": "one %s",
                                    "args": (SECRET, "two")})
    ours()[0].handle(record)
    assert err_lines(capsys) == ["WARNING redmine_sync: one %s ('***', 'two')"]


# --- setup ---------------------------------------------------------------------------------

def test_setup_twice_does_not_duplicate(capsys: pytest.CaptureFixture[str]) -> None:
    foreign = logging.NullHandler()
    logging.getLogger().addHandler(foreign)
    setup_logging("text")
    setup_logging("text", verbosity=1)
    setup_logging("json")
    setup_logging("text", secrets=[SECRET])
    assert len(ours()) == 1
    assert foreign in logging.getLogger().handlers  # other handlers are left alone
    logging.getLogger("redmine_sync").warning("once %s", SECRET)
    assert err_lines(capsys) == ["WARNING redmine_sync: once ***"]


def test_writes_to_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    setup_logging("text")
    replaced = io.StringIO()
    monkeypatch.setattr("sys.stderr", replaced)
    logging.getLogger("redmine_sync").warning("here")
    assert replaced.getvalue() == "WARNING redmine_sync: here\n"


@pytest.mark.parametrize("fmt", ["yaml", "", "TEXT"])
def test_unknown_format_is_refused(fmt: str) -> None:
    with pytest.raises(ValueError, match="log format must be one of text, json"):
        setup_logging(fmt)
