# Roles for the permission and workflow variants of the write matrix
# (tests/integration/test_write_matrix_live.py): each is the "Sync bot" role of
# scripts/redmine-local with one difference, so a variant assigns the bot one of these
# in its own project and the shared "Sync bot" role is never changed. Idempotent.
base = Role.find_by!(name: 'Sync bot')
variants = {
  'Sync bot without add_issue_notes' => [[:add_issue_notes], []],
  'Sync bot without set_notes_private' => [[:set_notes_private], []],
  'Sync bot without edit_issues' => [[:edit_issues], []],
  'Sync bot without view_private_notes' => [[:view_private_notes], []],
  'Sync bot without manage_issue_relations' => [[:manage_issue_relations], []],
  'Sync bot without edit_wiki_pages' => [[:edit_wiki_pages], []],
  'Sync bot, no New to Rejected' => [[], [%w[New Rejected]]],
}
statuses = IssueStatus.all.index_by(&:name)
variants.each do |name, (without, refused)|
  role = Role.find_or_initialize_by(name: name)
  role.assignable = false
  role.issues_visibility = base.issues_visibility
  role.users_visibility = base.users_visibility
  role.time_entries_visibility = base.time_entries_visibility
  role.permissions = base.permissions - without
  role.save!
  WorkflowTransition.where(role_id: role.id).delete_all
  skip = refused.map { |from, to| [statuses.fetch(from).id, statuses.fetch(to).id] }.to_set
  WorkflowTransition.where(role_id: base.id).find_each do |w|
    next if skip.include?([w.old_status_id, w.new_status_id])

    WorkflowTransition.create!(tracker_id: w.tracker_id, role_id: role.id,
                               old_status_id: w.old_status_id, new_status_id: w.new_status_id)
  end
  puts "#{role.id}\t#{name}"
end
