"""The documented shape of each command's ``--format json`` output, as JSON Schemas.

One schema per command; docs/cli.md shows each one (``reference.py``) and the tests check
every command's JSON against its schema, so a key cannot change, appear or vanish without
the documentation and the tests noticing. A shape only grows: scripts may rely on every
key listed here. ``issues`` prints one object per line (JSON lines): its schema is a line's.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
ANY: Schema = {}
TIME: Schema = {"type": "string", "format": "date-time"}


def doc(schema: Schema, text: str) -> Schema:
    return {**schema, "description": text}


def null_or(schema: Schema) -> Schema:
    return {**{k: v for k, v in schema.items() if k != "type"},
            "type": [schema["type"], "null"]} if "type" in schema else schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def one_of(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = (),
        extra: Schema | bool = False) -> Schema:
    """An object with these keys, all present unless ``optional``; no others unless
    ``extra`` (a schema for the values of other keys)."""
    return {"type": "object", "properties": properties,
            "required": [k for k in properties if k not in optional],
            "additionalProperties": extra}


ISSUE_REASON = obj({"issue": INT, "reason": STRING})
WHY = array(obj({"rule": STRING, "reason": STRING}))
PLAN_ISSUE = obj({
    "id": INT, "subject": STRING, "updated_on": TIME,
    "changes": array(obj({"field": STRING, "old": ANY, "new": ANY, "rule": STRING,
                          "reason": STRING, "why": WHY})),
    "notes": array(obj({"text": STRING, "public": BOOL, "rule": STRING})),
    "kept_for_people": array(obj({"field": STRING, "current": ANY, "wanted": ANY,
                                  "rule": STRING, "reason": STRING, "why": WHY})),
})
PLAN_SUMMARY = obj({"issues_evaluated": INT, "issues_changed": INT, "changes": INT,
                    "notes": INT, "kept_for_people": INT},
                   extra=doc(INT, "changes.FIELD: changes per field"))
PLAN = obj({"format": doc(INT, "2"), "now": TIME, "issues": array(PLAN_ISSUE),
            "summary": PLAN_SUMMARY})
APPLY_SUMMARY = obj(dict.fromkeys(
    ("written", "partial", "skipped", "deferred", "failed", "pending"), INT))
APPLY = obj({
    "run": null_or(INT), "written": doc(array(INT), "issue ids"),
    "skipped": array(ISSUE_REASON), "failed": array(ISSUE_REASON),
    "pending": array(ISSUE_REASON), "recovered": array(STRING),
    "summary": APPLY_SUMMARY,
    "reports": doc(array(STRING), "scheduled reports published"),
    "reports_failed": doc(array(STRING), "why scheduled reports were not published"),
    "breaker": doc(STRING, "why the circuit breaker refused the run (exit 3)"),
    "stopped": doc(STRING, "why the run stopped mid-way (exit 4)"),
}, optional=("breaker", "stopped", "pending"))
UNDO = obj({"undo": INT, "format": INT, "now": TIME, "issues": array(PLAN_ISSUE),
            "summary": PLAN_SUMMARY, "skipped": array(STRING),
            "result": doc(APPLY, "with --yes: what was written")}, optional=("result",))
ISSUE_LINE = obj({
    "id": INT, "project": STRING, "tracker": STRING, "status": STRING, "closed": BOOL,
    "priority": STRING, "subject": STRING, "customer": null_or(STRING),
    "labels": array(STRING), "assigned_to": null_or(STRING), "updated_on": TIME,
})
DOCTOR = obj({
    "checks": array(obj({"status": one_of("ok", "warn", "FAIL"), "name": STRING,
                         "detail": STRING, "fix": doc(STRING, "\"\" when none"),
                         "checked": doc(BOOL, "false: a warning that this key or server "
                                        "could not check it (exit 5)")})),
    "failed": INT, "warnings": INT,
    "not_checked": doc(INT, "checks that could not be made (exit 5 when none failed)"),
    "passed": doc(BOOL, "no check failed and none warned"),
})
PROBLEMS = doc(array(STRING), "file:line:col: path: message, one per problem")
VALIDATE = obj({
    "ok": doc(BOOL, "no problem, and (with --online) nothing left unchecked"),
    "files": INT, "rules": INT, "customers": INT,
    "online": doc(BOOL, "names were checked against Redmine"),
    "not_checked": doc(array(STRING), "with --online: what this key could not check"),
    "error": doc(STRING, "when not ok"), "problems": PROBLEMS,
}, optional=("files", "rules", "customers", "error"))
TEST_RULES = obj({
    "cases": array(obj({"file": STRING, "name": STRING, "ok": BOOL,
                        "failures": array(STRING)})),
    "passed": INT, "failed": INT,
})
EXPLAIN = obj({
    "issue": obj({"id": INT, "subject": STRING}),
    "customer": null_or(obj({"name": STRING, "value": NUMBER, "fit": NUMBER})),
    "duplicate_candidates": array(obj({"issue": INT, "score": NUMBER, "terms": STRING})),
    "vagueness": obj({"score": NUMBER, "vague": BOOL, "missing": array(STRING)}),
    "rules": array(obj({"file": STRING, "stage": STRING, "rule": STRING,
                        "considered": BOOL, "matched": BOOL, "changes": INT,
                        "lines": doc(array(STRING), "each condition with its value")})),
    "changes": array(obj({"field": STRING, "old": ANY, "new": ANY, "rule": STRING})),
    "kept_for_people": array(obj({"field": STRING, "current": ANY, "wanted": ANY,
                                  "reason": STRING})),
    "notes": array(obj({"text": STRING, "public": BOOL, "rule": STRING})),
})
RUN = obj({
    "id": INT, "started": STRING, "finished": null_or(STRING), "mode": STRING,
    "status": doc(STRING, "ok, failed, running, interrupted, ..."), "planned": INT,
    "written": INT, "skipped": INT, "failed": INT, "message": STRING,
})
HISTORY = obj({
    "runs": doc(array(RUN), "without --run: the last runs, newest first"),
    "run": doc(INT, "with --run"),
    "changes": doc(array(obj({"issue": INT, "field": STRING, "old": ANY, "new": ANY,
                              "outcome": STRING, "rule": STRING, "detail": STRING})),
                   "with --run: every change of that run"),
}, optional=("runs", "run", "changes"))
SECONDS = doc(null_or(NUMBER), "seconds of business time")
INTERVAL = obj({"state": STRING, "start": null_or(TIME), "end": null_or(TIME),
                "reason": STRING})
CLOCK = obj({
    "metric": STRING, "cycle": INT, "state": STRING, "breached": BOOL,
    "target": SECONDS, "elapsed": SECONDS, "remaining": SECONDS,
    "used": doc(null_or(NUMBER), "elapsed / target"),
    "started": null_or(TIME), "due": null_or(TIME), "breached_at": null_or(TIME),
    "stopped": null_or(TIME), "intervals": array(INTERVAL),
})
SLA = obj({
    "issue": doc(obj({"id": INT, "subject": STRING, "status": STRING, "priority": STRING}),
                 "with ISSUE"),
    "policy": doc(STRING, "with ISSUE"),
    "clocks": doc(array(CLOCK), "with ISSUE: its clocks"),
    "at_risk": doc(array(obj({"issue": INT, "subject": STRING, "metric": STRING,
                              "used": NUMBER, "remaining": SECONDS, "due": null_or(TIME)})),
                   "with --at-risk: open clocks, most used first, at most --limit"),
    "open_clocks": doc(INT, "with --at-risk: how many open clocks there are"),
}, optional=("issue", "policy", "clocks", "at_risk", "open_clocks"))
CONFIG = obj({
    "file": null_or(STRING), "url": STRING, "api_key": one_of("set", "missing"),
    "key_source": STRING, "projects": array(STRING), "state_path": STRING,
    "rules_dir": STRING, "text_formatting": STRING, "labels_backend": STRING,
    "fields": doc(obj({}, extra=STRING), "concept: Redmine field name"),
    "metrics_textfile": doc(null_or(STRING), "metrics.textfile, null when off"),
})
REPORT = obj({
    "report": STRING, "title": STRING, "period": STRING,
    "markup": one_of("textile", "markdown", "common_mark"),
    "text": doc(STRING, "the page (without --publish)"),
    "warnings": array(STRING),
    "published": doc(array(obj({"outcome": STRING, "title": STRING, "url": STRING,
                                "version": null_or(INT), "note": STRING})),
                     "with --publish: each page written (the report's, the index)"),
}, optional=("text", "published"))
RATIO = obj({"met": INT, "total": INT, "percent": doc(null_or(NUMBER), "null: nothing to count")})
BREACH = obj({"issue": INT, "subject": STRING, "metric": STRING, "cycle": INT,
              "breached_at": null_or(TIME), "target_hours": null_or(NUMBER)})
SIDE = obj({
    "issues": INT, "attainment": RATIO,
    "by_tier": doc(obj({}, extra=RATIO), "tier: its attainment"),
    "by_priority": doc(obj({}, extra=RATIO), "priority: its attainment"),
    "breaches": array(BREACH),
    "escalations": array(obj({"issue": INT, "threshold": STRING, "changes": array(STRING)})),
    "notes": array(obj({"issue": INT, "threshold": STRING, "text": STRING})),
})
WHAT_IF = obj({
    "format": doc(INT, "1"), "now": TIME, "since": null_or(TIME),
    "current": doc(SIDE, "under the current rules"),
    "proposed": doc(SIDE, "under the rules of --rules"),
    "new_breaches": array(BREACH), "avoided_breaches": array(BREACH),
    "changed": array(obj({"issue": INT, "subject": STRING, "current": STRING,
                          "proposed": STRING})),
})
ENTRY = obj({"name": STRING, "doc": STRING, "example": STRING})
RULES = obj({"kinds": array(STRING), "fields": array(ENTRY), "operators": array(ENTRY),
             "actions": array(ENTRY)})

SHAPES: dict[str, Schema] = {
    "doctor": DOCTOR, "config": CONFIG, "validate": VALIDATE, "plan": PLAN,
    "explain": EXPLAIN, "apply": APPLY, "history": HISTORY, "undo": UNDO, "sla": SLA,
    "report": REPORT, "rules": RULES, "test-rules": TEST_RULES, "issues": ISSUE_LINE,
    "what-if": WHAT_IF,
}
"""Each command with ``--format json``, and its shape."""
