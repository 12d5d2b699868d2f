"""Issue 19's write matrix on the real Redmine: the shipped pack under a workflow that refuses
New -> Rejected, the bot's role minus one permission at a time, and a public subproject
where the bot is no member.

Each variant is a small project of its own with four requests (a strategy conflict to
reject with a public note, a feature request, and a duplicate pair) and `apply` runs
several times. The variant roles come from tests/integration/bot_roles.rb (one rails
runner); a field the workflow makes read-only stands for every field Redmine drops. Every variant ends correct or with a named error before writing: never a
public internal note, a lost note, a repeated note or a half-written decision.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT
from tests.integration.conftest import Admin
from tests.integration.conftest import rails_runner
from tests.integration.conftest import run_cli
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration

CUSTOMER = "Northwind Logistics"
CONFLICT = ("Our IT department wants the complete source code to keep a fork of the "
            "product that we maintain ourselves, without your upgrades.")
EXPORT = ("Scenario: every Monday our planners copy the shipment list into Excel for the "
          "weekly carrier review.\nPain: copying page by page takes about two hours and "
          "loses the column formats.\nExpected effect: one \"Export to Excel\" button that "
          "keeps the current filters.")
MAP = ("Scenario: our dispatchers follow the trucks of a shipment in three tools.\nPain: "
       "they lose about an hour a day switching between them.\nExpected effect: one map "
       "that shows every truck of a shipment live.")
REQUESTS = {
    "conflict": ("Send us the full source code so we can run a self-maintained fork", CONFLICT),
    "feature": ("Export the shipment list to Excel", EXPORT),
    "original": ("Track every truck of a shipment on one map", MAP),
    "duplicate": ("Track every truck of a shipment on one map", MAP),
}


@pytest.fixture(scope="module")
def roles(admin: Admin) -> dict[str, int]:
    """The variant roles (tests/integration/bot_roles.rb), by name."""
    done = subprocess.run([str(ROOT / "scripts" / "redmine-local"), "runner",
                           str(ROOT / "tests" / "integration" / "bot_roles.rb")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return {r["name"]: r["id"] for r in admin.get("/roles.json")["roles"]}


class Variant:
    """One project with the four requests, the bot in a given role, apply run by run."""

    def __init__(self, admin: Admin, env: dict[str, str], folder: Path, name: str) -> None:
        self.admin, self.env = admin, env
        self.project = admin.new_demo_project(f"w19-{name}", seed=False)
        self.config = write_config(folder, self.project)
        self._config_text = self.config.read_text(encoding="utf-8")
        self.reports({})  # rendering every report is not what these variants test

    def reports(self, schedules: dict[str, str]) -> None:
        """Replace the config's report schedules."""
        text = self._config_text
        start = text.index("  schedules:")
        end = text.index("\n", text.index('quarterly: "', start))
        inline = ", ".join(f'{name}: "{cron}"' for name, cron in schedules.items())
        self.config.write_text(text[:start] + f"  schedules: {{{inline}}}" + text[end:],
                               encoding="utf-8")
        self.runs: list[subprocess.CompletedProcess[str]] = []
        self.ids: dict[str, int] = {}

    def bot_role(self, role_id: int) -> None:
        rows = self.admin.get(f"/projects/{self.project}/memberships.json",
                              limit=100)["memberships"]
        [bot] = [m for m in rows if m.get("user", {}).get("name") == "redmine-sync bot"]
        self.admin.send("PUT", f"/memberships/{bot['id']}.json",
                        {"membership": {"role_ids": [role_id]}})

    def add_requests(self, project: str | None = None) -> None:
        fields = {f["name"]: f["id"] for f in self.admin.get("/custom_fields.json")[
            "custom_fields"]}
        for key, (subject, description) in REQUESTS.items():
            created = self.admin.send("POST", "/issues.json", {"issue": {
                "project_id": project or self.project, "tracker_id": 2, "subject": subject,
                "description": description,
                "custom_fields": [{"id": fields["Customer"], "value": CUSTOMER}]}})
            self.ids[key] = created["issue"]["id"]

    def apply(self, times: int) -> list[subprocess.CompletedProcess[str]]:
        for _ in range(times):
            self.runs.append(run_cli(self.env, self.config, "apply", "--yes"))
        return self.runs

    def issue(self, key: str) -> dict[str, Any]:
        data: dict[str, Any] = self.admin.get(f"/issues/{self.ids[key]}.json",
                                              include="journals,relations")["issue"]
        return data

    def notes(self, key: str) -> list[tuple[str, bool]]:
        """(text, private) of each note on the request, as the administrator sees them."""
        return [(j["notes"], j["private_notes"]) for j in self.issue(key)["journals"]
                if j.get("notes")]

    def labels(self, key: str) -> list[str]:
        issue = self.issue(key)
        return next((f.get("value") or [] for f in issue.get("custom_fields", [])
                     if f["name"] == "Labels"), [])


def check_invariants(variant: Variant) -> None:
    """Whatever the variant: no note twice, no internal note public, no half decision."""
    for key in variant.ids:
        notes = variant.notes(key)
        assert len(notes) == len(set(notes)), f"{key}: a note was posted twice: {notes}"
        for text, private in notes:
            if text.startswith("redmine-sync:"):
                assert private, f"{key}: an internal note is public: {text[:80]}"
        issue = variant.issue(key)
        rejected = issue["status"]["name"] == "Rejected"
        announced = any("conflicts with our product strategy" in t for t, _ in notes)
        assert rejected == announced == ("rejected" in variant.labels(key)), \
            f"{key}: half-written rejection: status {issue['status']['name']}, notes {notes}"


@pytest.fixture
def variant(admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> Variant:
    return Variant(admin, local_redmine, tmp_path, uuid.uuid4().hex[:4])


def test_a_workflow_refusing_new_to_rejected_sends_none_of_the_rejection(
        variant: Variant, roles: dict[str, int]) -> None:
    variant.bot_role(roles["Sync bot, no New to Rejected"])
    variant.add_requests()
    first, second, third = variant.apply(3)
    assert first.returncode == 2, first.stdout + first.stderr
    refused = f"#{variant.ids['conflict']}: failed: the workflow does not allow 'New' -> " \
              "'Rejected' for the bot"
    assert refused in first.stdout
    stamp = variant.issue("conflict")["updated_on"]
    for later in (second, third):  # reported once, then pending: not retried, exit 0
        assert later.returncode == 0, later.stdout + later.stderr
        assert f"#{variant.ids['conflict']}: pending: the workflow does not allow" \
            in later.stdout
    conflict = variant.issue("conflict")
    assert (conflict["status"]["name"], variant.labels("conflict"),
            variant.notes("conflict"), conflict["updated_on"]) == ("New", [], [], stamp)
    for key in ("feature", "original", "duplicate"):  # the others land, each note once
        assert len(variant.notes(key)) == 1 and variant.notes(key)[0][1]
    history = run_cli(variant.env, variant.config, "history").stdout.splitlines()
    assert "1 pending on a failure reported before" in history[0]  # the newest run
    check_invariants(variant)


@pytest.mark.parametrize(("permission", "failing"), [
    ("add_issue_notes", {"conflict", "feature", "original", "duplicate"}),
    ("set_notes_private", {"feature", "original", "duplicate"}),
    ("edit_issues", {"conflict", "feature", "original", "duplicate"}),
    ("manage_issue_relations", {"duplicate"}),
    ("view_private_notes", set()),
])
def test_the_bots_role_minus_one_permission(variant: Variant, roles: dict[str, int],
                                            permission: str, failing: set[str]) -> None:
    variant.bot_role(roles[f"Sync bot without {permission}"])
    variant.add_requests()
    first, second = variant.apply(2)
    assert first.returncode == (2 if failing else 0), first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    for key in failing:  # named before writing, then pending; nothing of it in Redmine
        assert f"#{variant.ids[key]}: failed: the bot's role in project {variant.project} " \
               f"lacks" in first.stdout
        assert f"({permission}); nothing of this decision was sent" in first.stdout
        assert f"#{variant.ids[key]}: pending: " in second.stdout
        issue = variant.issue(key)
        assert issue["journals"] == [] and issue["status"]["name"] == "New"
        assert variant.labels(key) == [] and not issue.get("relations")
    for key in set(variant.ids) - failing:  # the rest is written, each note exactly once
        [(text, private)] = variant.notes(key)
        assert private == text.startswith("redmine-sync:")
    if "conflict" not in failing:
        assert variant.issue("conflict")["status"]["name"] == "Rejected"
    if "duplicate" not in failing:
        [relation] = variant.issue("duplicate")["relations"]
        assert relation["relation_type"] == "duplicates"
    check_invariants(variant)


def test_a_field_redmine_drops_is_reported_once_then_pending(
        variant: Variant, roles: dict[str, int]) -> None:
    variant.bot_role(roles["Sync bot, Tier read-only when New"])  # 204, Tier unchanged
    variant.add_requests()
    first, second, third = variant.apply(3)
    assert first.returncode == 2, first.stdout + first.stderr
    for later in (second, third):  # no loop: pending, not sent again, exit 0
        assert later.returncode == 0, later.stdout + later.stderr
    for key in ("feature", "original", "duplicate"):
        assert f"#{variant.ids[key]}: partial: not applied: tier" in first.stdout
        for later in (second, third):
            assert f"#{variant.ids[key]}: pending: Redmine dropped tier without an error" \
                in later.stdout, later.stdout
        [(text, private)] = variant.notes(key)  # sent with the first write only
        assert private and text.startswith("redmine-sync:")
        assert "strategic" in text and "Set tier to" not in text, text
        assert "strategic" in variant.labels(key)  # the rest of the decision landed
        assert next(f.get("value") for f in variant.issue(key)["custom_fields"]
                    if f["name"] == "Tier") in (None, "")
    check_invariants(variant)


def test_a_field_not_enabled_for_the_tracker_is_left_out_of_the_write_and_its_note(
        variant: Variant) -> None:
    field = f"{variant.project} Tier"  # enabled for Support only; the requests are Features
    rails_runner("support_only_field.rb", field, variant.project)
    try:
        text = variant.config.read_text(encoding="utf-8")
        variant.config.write_text(text.replace("  tier: Tier ", f"  tier: {field} ", 1),
                                  encoding="utf-8")
        variant.add_requests()
        first, second = variant.apply(2)
        assert first.returncode == 2, first.stdout + first.stderr
        assert second.returncode == 0, second.stdout + second.stderr
        for key in ("feature", "original", "duplicate"):
            assert f"#{variant.ids[key]}: partial: not applied: tier" in first.stdout
            assert f"#{variant.ids[key]}: pending: tier not sent: the issue does not have " \
                "the custom field" in second.stdout, second.stdout
            [(note, private)] = variant.notes(key)
            assert private and note.startswith("redmine-sync:")
            assert "strategic" in note and "Set tier to" not in note, note
            assert "strategic" in variant.labels(key)
        check_invariants(variant)
    finally:
        rails_runner("drop_fields.rb", field)


def test_without_edit_wiki_pages_the_issues_land_and_apply_names_the_missing_permission(
        variant: Variant, roles: dict[str, int]) -> None:
    variant.bot_role(roles["Sync bot without edit_wiki_pages"])
    variant.reports({"weekly": "0 17 * * fri"})
    variant.add_requests()
    first, second = variant.apply(2)
    for run in (first, second):
        assert run.returncode == 2, run.stdout + run.stderr
        assert "scheduled reports not published: Redmine answered 403 Forbidden to PUT " \
               f"/projects/{variant.project}/wiki/" in run.stderr
        assert '"Edit wiki pages" (edit_wiki_pages)' in run.stderr
    assert "run 1: 4 written" in first.stdout and "run 2: 0 written" in second.stdout
    assert variant.admin.get(f"/projects/{variant.project}/wiki/index.json")[
        "wiki_pages"] == []
    check_invariants(variant)


def test_a_public_subproject_where_the_bot_is_no_member_gets_no_public_copies(
        variant: Variant, admin: Admin) -> None:
    parent = admin.get(f"/projects/{variant.project}.json")["project"]["id"]
    sub = f"{variant.project}-pub"
    admin.send("POST", "/projects.json", {"project": {
        "name": sub, "identifier": sub, "is_public": True, "parent_id": parent,
        "inherit_members": False, "enabled_module_names": ["issue_tracking", "wiki"],
        "tracker_ids": [t["id"] for t in admin.get("/trackers.json")["trackers"]],
        "issue_custom_field_ids": [f["id"] for f in admin.get("/custom_fields.json")[
            "custom_fields"]]}})
    admin.created.insert(0, sub)  # deleted before its parent
    text = variant.config.read_text(encoding="utf-8")  # a subproject is managed when listed
    variant.config.write_text(text.replace(f"  - {variant.project}\n",
                                           f"  - {variant.project}\n  - {sub}\n", 1),
                              encoding="utf-8")
    variant.add_requests(project=sub)
    runs = variant.apply(3)
    assert runs[0].returncode == 2, runs[0].stdout + runs[0].stderr
    for key in variant.ids:  # no role there but "Non member": no edit, no private notes
        assert f"#{variant.ids[key]}: failed: the bot's role in project {sub} lacks" \
            in runs[0].stdout
        assert "(edit_issues)" in runs[0].stdout
        issue = variant.issue(key)
        assert issue["journals"] == [] and variant.labels(key) == []
    for run in runs[1:]:
        assert run.returncode == 0 and "4 pending" in run.stdout, run.stdout + run.stderr
    check_invariants(variant)
