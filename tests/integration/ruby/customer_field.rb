# A customer field of kind ARGV[0] ('enumeration': a key/value list, or 'user') named
# ARGV[2], enabled in project ARGV[1] only, holding the customers ARGV[4..] (for 'user',
# one user per customer named like it, made a member of the project); each issue of
# ARGV[3] (comma-separated ids) gets the first. Prints the first value's key or user id.
kind, identifier, name, ids, *customers = ARGV
project = Project.find_by_identifier!(identifier)
cf = IssueCustomField.new(name: name, field_format: kind, is_for_all: false,
                          is_filter: true, visible: true)
cf.tracker_ids = Tracker.pluck(:id)
cf.project_ids = [project.id]
cf.save!
values = customers.each_with_index.map do |label, i|
  next cf.enumerations.create!(name: label, position: i + 1).id if kind == 'enumeration'

  first, last = label.split(' ', 2)
  login = "#{name}-#{i}".parameterize
  user = User.find_by_login(login) || User.new(firstname: first, lastname: last || first,
                                               mail: "#{login}@example.invalid")
  user.login = login
  user.save!
  Member.create!(project: project, principal: user,
                 role_ids: [Role.find_by!(name: 'Developer').id])
  user.id
end
ids.split(',').each do |id|
  issue = Issue.find(id.to_i)
  issue.custom_field_values = { cf.id.to_s => values.first.to_s }
  issue.save!
end
puts values.first
