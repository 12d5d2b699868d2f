"""SLA threshold notes and automatic replies, on back-dated issues in the real Redmine."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.backdate import backdate
from tests.integration.conftest import Admin
from tests.integration.conftest import config_with_rules
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration

SLA = """\
kind: sla
calendars: {always: {always: true}}
staff: {roles: [Developer, Manager]}
auto_replies: [自动回复, auto-reply, automatic reply, out of office]
policies:
  - name: answer
    when: {is_closed: false}
    calendar: always
    targets: {first_response: {default: {any: 10h}}}
    thresholds:
      - {at: 50%, then: [{add_labels: [sla-warning]}]}
      - {at: 75%, then: [{note: "SLA warning ({reason})."}]}
      - {at: 100%, then: [{add_labels: [sla-breached]}]}
"""


@pytest.fixture(scope="module")
def site(admin: Admin, local_redmine: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Issues back-dated from the real clock (the CLI runs at the real now): one at 80 % of
    its target already carrying the 50 % label; one answered by staff quoting "out of
    office"; one whose only staff note is an automatic reply."""
    project = admin.new_demo_project("slanote", seed=False)
    now = datetime.now(UTC)
    warned, quoted, away = backdate(project, [
        {"subject": "Slow search", "author": "client.a", "created": now - timedelta(hours=8),
         "fields": {"Labels": ["sla-warning"]}},
        {"subject": "Status shows wrong text", "author": "client.b",
         "created": now - timedelta(hours=12),
         "journals": [{"at": now - timedelta(hours=11), "user": "support.zhao",
                       "notes": "Fixed: the 'out of office' status now shows correctly."}]},
        {"subject": "登录失败", "author": "client.c", "created": now - timedelta(hours=12),
         "journals": [{"at": now - timedelta(hours=11), "user": "tech.sun",
                       "notes": "[自动回复] 我正在休假 下周一回复"}]},
    ])
    folder = tmp_path_factory.mktemp("slanote")
    config = config_with_rules(folder, project, {"sla.yaml": SLA})
    first = run_cli(local_redmine, config, "apply", "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    again = run_cli(local_redmine, config, "apply", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    return {"warned": warned, "quoted": quoted, "away": away}


def labels(issue: dict[str, Any]) -> list[str]:
    return list(next(f["value"] for f in issue["custom_fields"] if f["name"] == "Labels"))


def test_a_note_only_threshold_posts_its_note_once(site: dict[str, Any], admin: Admin
                                                   ) -> None:
    issue = admin.get(f"/issues/{site['warned']}.json", include="journals")["issue"]
    notes = [j["notes"] for j in issue["journals"] if "SLA warning" in (j["notes"] or "")]
    assert len(notes) == 1 and "first response at 80% of 10 h" in notes[0]
    assert labels(issue) == ["sla-warning"]


def test_a_staff_answer_quoting_out_of_office_stops_the_clock(site: dict[str, Any],
                                                              admin: Admin) -> None:
    quoted = admin.get(f"/issues/{site['quoted']}.json")["issue"]
    assert labels(quoted) == []
    away = admin.get(f"/issues/{site['away']}.json")["issue"]
    assert "sla-breached" in labels(away)
