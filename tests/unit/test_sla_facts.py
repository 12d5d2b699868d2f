"""Which journals a run reads: none for an issue never changed since it was created."""

from __future__ import annotations

from pathlib import Path

from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.sla_facts import Reads
from redmine_sync.sla_facts import journals
from redmine_sync.store import StateStore


def test_an_issue_never_changed_since_it_was_created_is_not_read(tmp_path: Path) -> None:
    fake = FakeRedmine()
    untouched = fake.add_issue("help")
    edited = fake.add_issue("help too")
    fake.human_edit(edited.id, fake.me, notes="any news?")
    listed = [fake.issues[untouched.id], fake.issues[edited.id]]
    assert listed[0].updated_on == listed[0].created_on != listed[1].updated_on

    found = journals(fake, listed, StateStore(tmp_path / "s.db"))
    assert found[untouched.id] == ()
    assert [j.notes for j in found[edited.id]] == ["any news?"]
    assert fake.reads[untouched.id] == 0 and fake.reads[edited.id] == 1


def test_an_apply_run_reads_it_all_the_same_its_read_is_the_read_before_the_write() -> None:
    fake = FakeRedmine()
    untouched = fake.add_issue("help")
    reads = Reads(fake.updated_on)
    journals(fake, [fake.issues[untouched.id]], None, reads)
    assert fake.reads[untouched.id] == 1 and len(reads) == 1
