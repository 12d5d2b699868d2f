"""The live adapter and the bot's permissions: 403s name the permission, roles are read."""

from __future__ import annotations

import pytest
import responses

from redmine_sync.errors import PermissionDenied
from redmine_sync.model import IssueUpdate
from redmine_sync.redmine.live import LiveRedmine
from tests.unit.redmine.test_live import ME
from tests.unit.redmine.test_live import URL
from tests.unit.redmine.test_live import lookups


@pytest.fixture
def client() -> LiveRedmine:
    return LiveRedmine(URL, "k" * 40, sleep=lambda seconds: None)


@responses.activate
@pytest.mark.parametrize(("update", "permission"), [
    (IssueUpdate(1, priority="High", notes="why"), '"Edit issues" (edit_issues)'),
    (IssueUpdate(1, notes="why"), '"Add notes" (add_issue_notes)'),
])
def test_a_403_to_an_issue_write_names_the_permission(client: LiveRedmine,
                                                      update: IssueUpdate,
                                                      permission: str) -> None:
    lookups(responses)
    responses.put(f"{URL}/issues/1.json", status=403)
    with pytest.raises(PermissionDenied) as info:
        client.update_issue(update)
    assert f"403 Forbidden to PUT /issues/1.json: the bot's role lacks {permission}" \
        in str(info.value)
    assert info.value.exit_code == 4


@responses.activate
def test_a_403_to_a_relation_or_a_wiki_page_names_the_permission(
        client: LiveRedmine) -> None:
    responses.get(f"{URL}/issues/1/relations.json", json={"relations": []})
    responses.post(f"{URL}/issues/1/relations.json", status=403)
    with pytest.raises(PermissionDenied, match=r'"Manage issue relations" '
                                               r'\(manage_issue_relations\)'):
        client.add_relation(1, 2, "duplicates")
    responses.get(f"{URL}/projects/demo/wiki/Weekly.json", status=404)
    responses.put(f"{URL}/projects/demo/wiki/Weekly.json", status=403)
    with pytest.raises(PermissionDenied, match=r'"Edit wiki pages" \(edit_wiki_pages\)'):
        client.put_wiki_page("demo", "Weekly", "text", base_version=None)


@responses.activate
def test_permissions_come_from_the_roles_of_the_bots_memberships(
        client: LiveRedmine) -> None:
    responses.get(f"{URL}/users/current.json", json=ME)
    responses.get(f"{URL}/projects/demo.json", json={"project": {
        "id": 3, "identifier": "demo", "name": "Demo", "is_public": False}})
    responses.get(f"{URL}/users/current.json", json={"user": {**ME["user"], "memberships": [
        {"project": {"id": 3, "name": "Demo"}, "roles": [{"id": 6, "name": "Sync bot"}]},
        {"project": {"id": 4, "name": "Other"}, "roles": [{"id": 3, "name": "Manager"}]}]}})
    responses.get(f"{URL}/roles/6.json", json={"role": {
        "id": 6, "permissions": ["view_issues", "add_issue_notes"]}})
    assert client.permissions("demo") == frozenset({"view_issues", "add_issue_notes"})


@responses.activate
def test_in_a_public_project_without_membership_the_non_member_role_applies(
        client: LiveRedmine) -> None:
    responses.get(f"{URL}/users/current.json", json=ME)
    responses.get(f"{URL}/projects/pub.json", json={"project": {
        "id": 5, "identifier": "pub", "name": "Pub", "is_public": True}})
    responses.get(f"{URL}/users/current.json", json={"user": {**ME["user"], "memberships": []}})
    responses.get(f"{URL}/roles/1.json", json={"role": {
        "id": 1, "name": "Non member", "permissions": ["view_issues", "add_issue_notes"]}})
    assert client.permissions("pub") == frozenset({"view_issues", "add_issue_notes"})
