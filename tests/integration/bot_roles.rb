# Roles for the permission and workflow variants of the write matrix
# (tests/integration/test_write_matrix_live.py): each is the "Sync bot" role of
# scripts/redmine-local with one difference, so a variant gives the bot one of these in
# its own project and the shared "Sync bot" role is never changed. Idempotent; one
# transaction.
base = Role.find_by!(name: 'Sync bot')
statuses = IssueStatus.all.index_by(&:name)
variants = {
  'Sync bot without add_issue_notes' => { without: %i[add_issue_notes] },
  'Sync bot without set_notes_private' => { without: %i[set_notes_private] },
  'Sync bot without edit_issues' => { without: %i[edit_issues] },
  'Sync bot without view_private_notes' => { without: %i[view_private_notes] },
  'Sync bot without manage_issue_relations' => { without: %i[manage_issue_relations] },
  'Sync bot without edit_wiki_pages' => { without: %i[edit_wiki_pages] },
  'Sync bot, no New to Rejected' => { refused: [%w[New Rejected]] },
  'Sync bot, Tier read-only when New' => { read_only: %w[Tier] },
}
ActiveRecord::Base.transaction do
  variants.each do |name, change|
    role = Role.find_or_initialize_by(name: name)
    role.assignable = false
    role.issues_visibility = base.issues_visibility
    role.users_visibility = base.users_visibility
    role.time_entries_visibility = base.time_entries_visibility
    role.permissions = base.permissions - change.fetch(:without, [])
    role.save!
    refused = change.fetch(:refused, []).map { |from, to| [statuses.fetch(from).id, statuses.fetch(to).id] }
    WorkflowTransition.where(role_id: role.id).delete_all
    rows = WorkflowTransition.where(role_id: base.id).pluck(:tracker_id, :old_status_id, :new_status_id)
    rows = rows.reject { |_, from, to| refused.include?([from, to]) }
    WorkflowTransition.insert_all!(rows.map do |tracker, from, to|
      { type: 'WorkflowTransition', tracker_id: tracker, role_id: role.id, old_status_id: from,
        new_status_id: to, assignee: false, author: false }
    end)
    WorkflowPermission.where(role_id: role.id).delete_all
    change.fetch(:read_only, []).each do |field|
      field_id = IssueCustomField.find_by!(name: field).id.to_s
      Tracker.pluck(:id).each do |tracker|
        WorkflowPermission.create!(role_id: role.id, tracker_id: tracker, field_name: field_id,
                                   old_status_id: statuses.fetch('New').id, rule: 'readonly')
      end
    end
    puts "#{role.id}\t#{name}"
  end
end
