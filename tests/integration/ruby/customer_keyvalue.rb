# A key/value list field named ARGV[1], enabled in project ARGV[0] only, holding the
# customer names ARGV[3..]; each issue of ARGV[2] (comma-separated ids) gets the first.
project = Project.find_by_identifier!(ARGV[0])
cf = IssueCustomField.new(name: ARGV[1], field_format: 'enumeration', is_for_all: false,
                          is_filter: true, visible: true)
cf.tracker_ids = Tracker.pluck(:id)
cf.project_ids = [project.id]
cf.save!
ARGV[3..].each_with_index { |label, i| cf.enumerations.create!(name: label, position: i + 1) }
first = cf.enumerations.order(:position).first
ARGV[2].split(',').each do |id|
  issue = Issue.find(id.to_i)
  issue.custom_field_values = { cf.id.to_s => first.id.to_s }
  issue.save!
end
puts first.id
