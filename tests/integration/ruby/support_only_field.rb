# A string issue custom field named ARGV[0], enabled for project ARGV[1] (so the bot's key
# knows it from the project) but for the Support tracker only: issues of the other
# trackers do not have it, and Redmine drops a write to it without an error. Idempotent;
# drop it with drop_fields.rb.
field = IssueCustomField.find_or_initialize_by(name: ARGV[0])
field.field_format = 'string'
field.is_for_all = false
field.visible = true
field.editable = true
field.is_filter = true
field.tracker_ids = [Tracker.find_by!(name: 'Support').id]
field.project_ids = [Project.find_by!(identifier: ARGV[1]).id]
field.save!
puts field.id
