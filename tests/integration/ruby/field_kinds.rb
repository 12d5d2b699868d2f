# One issue custom field of every Redmine 5 kind, enabled in one project, and one issue
# with a value in each. ARGV: project identifier, field name prefix, issue id.
# Prints one JSON line: {"fields": {kind: name}, "version": name, "user": name}.
require 'json'

project = Project.find_by_identifier!(ARGV[0])
prefix = ARGV[1]
issue = Issue.find(ARGV[2].to_i)
member = project.users.sort_by(&:login).detect { |u| u.login.start_with?('dev.') }
version = Version.create!(project: project, name: "#{prefix} 2026.1")
Version.create!(project: project, name: "#{prefix} 2026.2")

kinds = %w[string text link int float date bool list enumeration user version]
fields = {}
kinds.each do |kind|
  multiple = %w[list enumeration user version].include?(kind)
  cf = IssueCustomField.new(name: "#{prefix} #{kind}", field_format: kind, is_for_all: false,
                            multiple: multiple, is_filter: true, visible: true)
  cf.possible_values = %w[alpha beta gamma] if kind == 'list'
  cf.tracker_ids = Tracker.pluck(:id)
  cf.project_ids = [project.id]
  cf.save!
  if kind == 'enumeration'
    cf.enumerations.create!(name: 'Acme Corp', position: 1)
    cf.enumerations.create!(name: 'Globex', position: 2)
  end
  fields[kind] = cf
end
acme = fields['enumeration'].enumerations.detect { |e| e.name == 'Acme Corp' }
values = {
  'string' => 'Acme Corp', 'text' => "two\nlines", 'link' => 'https://example.com/x',
  'int' => '42', 'float' => '2.5', 'date' => '2026-11-30', 'bool' => '1',
  'list' => %w[alpha gamma], 'enumeration' => [acme.id.to_s], 'user' => [member.id.to_s],
  'version' => [version.id.to_s],
}
issue.init_journal(User.find_by_login('admin'))
issue.custom_field_values = fields.to_h { |kind, cf| [cf.id.to_s, values[kind]] }
issue.save!
puts JSON.generate(fields: fields.transform_values(&:name), version: version.name,
                   user: member.name, ids: fields.transform_values(&:id))
