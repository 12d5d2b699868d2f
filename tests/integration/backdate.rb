# Back-dated issues and journals for the integration tests (see backdate.py): reads a JSON
# spec on stdin, writes each issue and journal through ActiveRecord as its author, moves the
# timestamps, prints the new issue ids as JSON on the last line of stdout.
require 'json'
require 'time'

spec = JSON.parse($stdin.read)
project = Project.find_by!(identifier: spec.fetch('project'))
fields = IssueCustomField.all.index_by(&:name)

def person(login)
  User.find_by(login: login) || User.create!(login: login, firstname: login, lastname: 'Customer',
                                            mail: "#{login}@customer.example", language: 'en')
end

def set_values(issue, fields, values)
  issue.custom_field_values = values.to_h { |name, value| [fields.fetch(name).id.to_s, value] }
end

ids = spec.fetch('issues').map do |row|
  if row['id']   # more history for an issue made before
    issue = Issue.find(row['id'])
    last = nil
  else
    author = person(row.fetch('author'))
    User.current = author
    issue = Issue.new(project: project, author: author, subject: row.fetch('subject'),
                      tracker: Tracker.find_by!(name: row.fetch('tracker', 'Bug')),
                      priority: IssuePriority.find_by!(name: row.fetch('priority', 'Normal')),
                      description: row.fetch('description', ''))
    set_values(issue, fields, row.fetch('fields', {}))
    issue.save!
    created = Time.iso8601(row.fetch('created'))
    Issue.where(id: issue.id).update_all(created_on: created, updated_on: created)
    last = created
  end
  closed = nil
  row.fetch('journals', []).each do |j|
    issue = Issue.find(issue.id)
    user = person(j.fetch('user'))
    User.current = user
    issue.init_journal(user, j.fetch('notes', ''))
    issue.current_journal.private_notes = j.fetch('private', false)
    issue.status = IssueStatus.find_by!(name: j['status']) if j['status']
    issue.priority = IssuePriority.find_by!(name: j['priority']) if j['priority']
    issue.subject = j['subject'] if j['subject']
    issue.description = j['description'] if j['description']
    set_values(issue, fields, j['fields']) if j['fields']
    issue.save!
    at = Time.iso8601(j.fetch('at'))
    Journal.where(id: issue.journals.order(:id).last.id).update_all(created_on: at)
    last = at
    closed = at if j['status'] && issue.status.is_closed?
  end
  stamps = last ? { updated_on: last } : {}
  stamps[:closed_on] = closed if closed
  Issue.where(id: issue.id).update_all(stamps) unless stamps.empty?
  issue.id
end
puts JSON.dump(ids)
