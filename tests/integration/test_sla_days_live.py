"""`d` in SLA targets is a working day of the policy's calendar, on the real Redmine."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from tests.integration.backdate import backdate
from tests.integration.conftest import Admin
from tests.integration.conftest import config_with_rules
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration

SLA = """\
kind: sla
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-12:00", "13:00-17:30"]}}   # 7.5 h a day
staff: {roles: [Developer, Manager]}
write: {due: SLA due}
policies:
  - name: slow
    when: {is_closed: false}
    calendar: office
    targets: {first_response: {default: {any: 20d}}}
"""


def test_twenty_days_are_twenty_working_days(admin: Admin, local_redmine: dict[str, str],
                                             tmp_path_factory: pytest.TempPathFactory
                                             ) -> None:
    project = admin.new_demo_project("sladays", seed=False)
    [issue] = backdate(project, [{"subject": "Quarterly export", "author": "client.d",
                                  "created": datetime(2026, 11, 23, 9, 0, tzinfo=UTC)}])
    folder = tmp_path_factory.mktemp("sladays")
    config = config_with_rules(folder, project, {"sla.yaml": SLA})
    done = run_cli(local_redmine, config, "apply", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    written = admin.get(f"/issues/{issue}.json")["issue"]
    due = next(f["value"] for f in written["custom_fields"] if f["name"] == "SLA due")
    assert due == "2026-12-18 17:30 UTC"      # Monday 09:00 + 4 weeks of 7.5 h days
